/* main.c - hummingbird-milter: options, settings, logging, the libmilter
 * socket, privilege drop, and signals.  libmilter runs in its own thread;
 * the main thread keeps SIGHUP, SIGTERM and SIGINT unblocked so that Linux
 * delivers them to it (the thread group leader is preferred) rather than to
 * libmilter's signal thread, which would stop the milter on SIGHUP.
 * SIGHUP reloads the settings, SIGTERM/SIGINT stop accepting connections
 * and wait (bounded) for open MTA sessions.
 * Usage: hummingbird-milter [-c FILE] [-f] [-t] [-n] [--version] */
#define _GNU_SOURCE		/* pthread_setattr_default_np */
#include "hb-config-auto.h"
#include "callbacks.h"
#include "checks.h"
#include "metrics.h"
#include "milter.h"
#include "policy-cache.h"
#include "redis-pool.h"
#include "hb-daemon.h"
#include "hb-log.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHUTDOWN_WAIT_MS 10000

static int signal_pipe[2] = { -1, -1 };

static void apply_logging(const struct hb_settings *set)
{
	hb_daemon_logging("hummingbird-milter", set);
}

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(signal_pipe[1], &c, 1);
	errno = saved;
}

static void reload(const char *path)
{
	struct milter_conf *old = milter_conf_acquire();
	struct hb_settings *set;
	char err[HB_SETTINGS_ERROR_MAX];
	int forget;

	if (hb_settings_load(path, &set, err, sizeof(err)) < 0) {
		hb_error("reload failed, keeping the running settings: %s", err);
		milter_conf_release(old);
		return;
	}
	if (strcmp(old->set->milter_listen, set->milter_listen) != 0 ||
	    strcmp(old->set->milter_metrics_listen, set->milter_metrics_listen) != 0 ||
	    strcmp(old->set->milter_user, set->milter_user) != 0 ||
	    strcmp(old->set->milter_socket_group, set->milter_socket_group) != 0 ||
	    old->set->milter_socket_mode != set->milter_socket_mode ||
	    old->set->milter_timeout_s != set->milter_timeout_s)
		hb_warn("reload: milter_listen, milter_socket_*, milter_metrics_listen, "
			"milter_user and milter_timeout change only on restart");
	/* cached policy stays valid (and usable in an outage) unless it may
	 * now come from elsewhere */
	forget = strcmp(old->set->key_prefix, set->key_prefix) != 0 ||
		strcmp(old->set->redis_host, set->redis_host) != 0 ||
		old->set->redis_port != set->redis_port ||
		strcmp(old->set->redis_socket, set->redis_socket) != 0 ||
		old->set->redis_db != set->redis_db;
	milter_conf_release(old);
	apply_logging(set);
	if (milter_conf_install(set) < 0) {
		hb_error("reload failed: out of memory");
		return;
	}
	if (forget) {
		policy_cache_clear();
		sender_rights_cache_clear();
	}
	hb_info("configuration reloaded from %s", path);
}

/* Switch to milter_user (after the sockets are open). */
static int drop_privileges(const char *user, char *err, size_t err_size)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, err_size, "milter_user %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		snprintf(err, err_size, "milter_user %s: cannot switch: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, err_size, "milter_user %s: could regain root, refusing to run", user);
		return -1;
	}
	return 0;
}

static void *run_libmilter(void *arg)
{
	int *result = arg;

	*result = smfi_main();
	(void)!write(signal_pipe[1], "M", 1);
	return NULL;
}

/* The path of a unix milter_listen ("unix:PATH", "local:PATH", "/PATH"),
 * or NULL for inet sockets. */
static const char *unix_socket_path(const char *listen)
{
	if (strncmp(listen, "unix:", 5) == 0)
		return listen + 5;
	if (strncmp(listen, "local:", 6) == 0)
		return listen + 6;
	return listen[0] == '/' ? listen : NULL;
}

/* Give a unix socket milter_socket_group and milter_socket_mode.  Postfix
 * reaches it through the group, or through a directory only Postfix and
 * the milter may enter (docs/MILTER.md 4); the milter itself never needs
 * the postfix group (docs/INSTALL.md). */
static int socket_access(const struct hb_settings *set, char *err, size_t err_size)
{
	const char *path = unix_socket_path(set->milter_listen);
	struct group *gr;

	if (path == NULL)
		return 0;
	if (set->milter_socket_group[0] != '\0') {
		if ((gr = getgrnam(set->milter_socket_group)) == NULL) {
			snprintf(err, err_size, "milter_socket_group %s: no such group",
				 set->milter_socket_group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			snprintf(err, err_size, "chown %s to group %s: %s (the milter must be "
				 "root or a member)", path, set->milter_socket_group, strerror(errno));
			return -1;
		}
	}
	if (chmod(path, set->milter_socket_mode) < 0) {
		snprintf(err, err_size, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Open the MTA socket and the metrics port (before any privilege drop). */
static int open_sockets(const struct hb_settings *set, char *err, size_t err_size)
{
	mode_t old_umask;
	int ret;

	if (smfi_setconn((char *)set->milter_listen) != MI_SUCCESS ||
	    smfi_settimeout((int)set->milter_timeout_s) != MI_SUCCESS ||
	    smfi_register(milter_desc) != MI_SUCCESS) {
		snprintf(err, err_size, "milter_listen %s: not accepted by libmilter", set->milter_listen);
		return -1;
	}
	/* a unix socket is mode 0000 until its group and mode are set */
	old_umask = umask(0777);
	ret = smfi_opensocket(1);
	umask(old_umask);
	if (ret != MI_SUCCESS) {
		snprintf(err, err_size, "milter_listen %s: cannot listen (in use, or no permission?)",
			 set->milter_listen);
		return -1;
	}
	if (socket_access(set, err, err_size) < 0)
		return -1;
	return metrics_start(set->milter_metrics_listen, err, err_size);
}

/* libmilter starts a thread per MTA connection with the default attributes;
 * glibc's 8 MB stacks are mapped and unmapped for each (its cache holds only
 * a few), which costs more than a message's checks.  The checks need a few
 * tens of KB. */
#define SESSION_STACK_SIZE (512 * 1024)

static void smaller_thread_stacks(void)
{
	pthread_attr_t attr;

	if (pthread_attr_init(&attr) != 0)
		return;
	if (pthread_attr_setstacksize(&attr, SESSION_STACK_SIZE) != 0 ||
	    pthread_setattr_default_np(&attr) != 0)
		hb_warn("cannot set the default thread stack size; keeping the system's");
	pthread_attr_destroy(&attr);
}

/* Start libmilter in its thread with the signals blocked there (since
 * main() blocked them), then take them in this one.  Returns libmilter's
 * thread. */
static int start_libmilter(pthread_t *thread, int *result)
{
	struct sigaction sa;
	sigset_t set;

	smaller_thread_stacks();
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_create(thread, NULL, run_libmilter, result) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

/* Wait for signals until told to stop (or libmilter stops by itself). */
static void main_loop(const char *config_path, int *stopped_by_libmilter)
{
	unsigned char c;

	for (;;) {
		ssize_t n = read(signal_pipe[0], &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == 'M') {
			*stopped_by_libmilter = 1;
			return;
		}
		if (c == SIGHUP) {
			reload(config_path);
			continue;
		}
		hb_info("signal %d: shutting down", (int)c);
		return;
	}
}

static void wait_for_sessions(void)
{
	for (int waited = 0; milter_active_sessions() > 0 && waited < SHUTDOWN_WAIT_MS; waited += 50)
		usleep(50000);
	if (milter_active_sessions() > 0)
		hb_warn("%u MTA sessions still open after %d s; exiting anyway",
			milter_active_sessions(), SHUTDOWN_WAIT_MS / 1000);
}

int main(int argc, char *argv[])
{
	struct hb_daemon_args args;
	const char *config_path;
	struct hb_settings *set;
	char err[HB_SETTINGS_ERROR_MAX] = "";
	int ret, milter_result = MI_SUCCESS, by_libmilter = 0;
	pthread_t thread;

	if ((ret = hb_daemon_parse_args("hummingbird-milter", argc, argv, &args)) >= 0)
		return ret;
	config_path = args.config_path;
	if (hb_daemon_load("hummingbird-milter", &args, &set) < 0)
		return 1;
	if (args.print_config) {
		hb_settings_free(&set);
		return 0;
	}
	/* with milter_user the password file is that user's: checked after the drop */
	if (set->milter_user[0] == '\0' && hb_daemon_check_secrets(set, err, sizeof(err)) < 0) {
		fprintf(stderr, "hummingbird-milter: %s\n", err);
		hb_settings_free(&set);
		return 1;
	}
	if (args.test_only) {
		printf("%s: configuration OK\n", config_path);
		hb_settings_free(&set);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!args.foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "hummingbird-milter: daemon(): %s\n", strerror(errno));
		hb_settings_free(&set);
		return 1;
	}
	apply_logging(set);
	/* signals wait until start_libmilter() has its handlers in place: a
	 * stop as soon as the socket accepts still ends the milter cleanly, and
	 * the threads started meanwhile (metrics, libmilter) inherit the block */
	hb_daemon_block_exit_signals();
	if (pipe(signal_pipe) < 0 || open_sockets(set, err, sizeof(err)) < 0 ||
	    hb_daemon_write_pid(set->pid_file) < 0 ||
	    drop_privileges(set->milter_user, err, sizeof(err)) < 0 ||
	    hb_daemon_check_secrets(set, err, sizeof(err)) < 0) {
		hb_error("start-up failed: %s", err[0] != '\0' ? err : strerror(errno));
		metrics_stop();
		hb_daemon_remove_pid(set->pid_file);
		hb_settings_free(&set);
		return 1;
	}
	if (milter_conf_install(set) < 0 || redis_pool_init() < 0 ||
	    start_libmilter(&thread, &milter_result) < 0) {
		hb_error("start-up failed: out of memory or threads");
		return 1;
	}
	hb_info("started on %s (version %s)", set->milter_listen, PACKAGE_VERSION);
	main_loop(config_path, &by_libmilter);
	if (!by_libmilter)
		smfi_stop();
	pthread_join(thread, NULL);
	wait_for_sessions();
	metrics_stop();
	redis_pool_deinit();
	policy_cache_clear();
	sender_rights_cache_clear();
	{
		struct milter_conf *conf = milter_conf_acquire();
		hb_daemon_remove_pid(conf->set->pid_file);
		milter_conf_release(conf);
	}
	milter_conf_shutdown();
	if (by_libmilter && milter_result != MI_SUCCESS) {
		hb_error("libmilter stopped with an error");
		return 1;
	}
	hb_info("stopped");
	return 0;
}
