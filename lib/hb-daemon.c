/* hb-daemon.c - see hb-daemon.h. */
#include "hb-config-auto.h"
#include "hb-daemon.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out, const char *prog, const char *default_config)
{
	fprintf(out, "usage: %s [-c FILE] [-f] [-t] [-n] [--version]\n"
		"  -c FILE    configuration (default %s)\n"
		"  -f         stay in the foreground\n"
		"  -t         check the configuration, report every problem, and exit\n"
		"  -n         print the settings that differ from the defaults, and exit\n"
		"  --version  print the version and exit\n", prog, default_config);
}

const char *hb_daemon_default_config(const char *prog)
{
	if (strcmp(prog, "hummingbird-director") == 0)
		return HB_DIRECTOR_CONFIG_PATH;
	if (strcmp(prog, "hummingbird-milter") == 0)
		return HB_MILTER_CONFIG_PATH;
	if (strcmp(prog, "hummingbird-admind") == 0)
		return HB_ADMIND_CONFIG_PATH;
	return HB_DEFAULT_CONFIG_PATH;
}

static const struct option long_options[] = {
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int hb_daemon_parse_args(const char *prog, int argc, char *argv[], struct hb_daemon_args *args)
{
	const char *default_config = hb_daemon_default_config(prog);
	int opt;

	args->config_path = default_config;
	args->foreground = 0;
	args->test_only = 0;
	args->print_config = 0;
	while ((opt = getopt_long(argc, argv, "c:fthn", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c': args->config_path = optarg; break;
		case 'f': args->foreground = 1; break;
		case 't': args->test_only = 1; break;
		case 'n': args->print_config = 1; break;
		case 'h': usage(stdout, prog, default_config); return 0;
		case 'V': printf("%s %s\n", prog, PACKAGE_VERSION); return 0;
		default: usage(stderr, prog, default_config); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, prog, default_config);
		return 2;
	}
	return -1;
}

/* -t: each problem on a line of its own */
static void report_problem(void *context, const char *problem)
{
	fprintf(stderr, "%s: %s\n", (const char *)context, problem);
}

int hb_daemon_load(const char *prog, const struct hb_daemon_args *args,
		   struct hb_settings **set_r)
{
	char err[HB_SETTINGS_ERROR_MAX];

	if (args->test_only) {
		if (hb_settings_check(args->config_path, set_r, report_problem, (void *)prog) > 0)
			return -1;
	} else if (hb_settings_load(args->config_path, set_r, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (args->print_config && hb_settings_print_changed(*set_r, stdout) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		hb_settings_free(set_r);
		return -1;
	}
	return 0;
}

void hb_daemon_logging(const char *ident, const struct hb_settings *set)
{
	enum hb_log_level level = HB_LOG_INFO;

	(void)hb_log_level_parse(set->log_level, &level);
	hb_log_close();
	hb_log_open(ident, strcmp(set->log, "syslog") == 0, level);
}

int hb_daemon_check_secrets(const struct hb_settings *set, char *err, size_t err_size)
{
	char *password;

	if (set->redis_password_file[0] == '\0')
		return 0;
	if (hb_read_secret_file(set->redis_password_file, &password, err, err_size) < 0)
		return -1;
	explicit_bzero(password, strlen(password));
	free(password);
	return 0;
}

/* Open PATH for the pid without following a symlink: a pid file lives in a
 * directory others may write to (/run, /tmp in tests), and root writing
 * through a planted link would truncate any file of the attacker's choice.
 * O_NONBLOCK: a planted FIFO must not hang the start. */
static int pid_open(const char *path)
{
	struct stat st;
	int fd;

	/* never even open a FIFO or a device someone put there */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		hb_error("pid_file %s is not a regular file: refusing to write it", path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0) {
		if (errno == ELOOP)
			hb_error("pid_file %s is a symbolic link: refusing to follow it", path);
		else
			hb_error("pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	/* a hard link would let us truncate its other name */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		hb_error("pid_file %s is not a regular file of one link: refusing to write it",
			 path);
		close(fd);
		return -1;
	}
	return fd;
}

int hb_daemon_write_pid(const char *path)
{
	char line[32];
	int fd, len, ok;

	if (path[0] == '\0')
		return 0;
	if ((fd = pid_open(path)) < 0)
		return -1;
	len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	ok = ftruncate(fd, 0) == 0 && write(fd, line, (size_t)len) == len;
	if (close(fd) != 0 || !ok) {
		hb_error("pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void hb_daemon_remove_pid(const char *path)
{
	char line[32], want[32];
	ssize_t n;
	int fd;

	if (path[0] == '\0')
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return;
	line[n] = '\0';
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	if (strcmp(line, want) == 0)
		unlink(path);
}

void hb_daemon_block_exit_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
}
