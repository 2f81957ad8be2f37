/* main.c - hummingbird-director: option parsing, settings, daemon start-up,
 * signals (SIGHUP reload, SIGTERM/SIGINT clean exit) and the event loop.
 * Usage: hummingbird-director [-c FILE] [-f] [-t] [-n] [--version] */
#include "hb-config-auto.h"
#include "director.h"
#include "apikey.h"
#include "cache.h"
#include "conn.h"
#include "census.h"
#include "doveadm-client.h"
#include "health.h"
#include "hosted.h"
#include "housekeeping.h"
#include "kick.h"
#include "listeners.h"
#include "metrics.h"
#include "redis.h"
#include "table.h"
#include "hb-daemon.h"
#include "hb-log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long long director_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct hb_backend *director_backend(const struct director *d, const char *name)
{
	for (size_t i = 0; i < d->table.count; i++) {
		if (strcmp(d->table.backends[i].name, name) == 0)
			return &d->table.backends[i];
	}
	return NULL;
}

static void apply_logging(const struct hb_settings *set)
{
	hb_daemon_logging("hummingbird-director", set);
}

static void set_instance_id(struct director *d)
{
	char host[64] = "localhost";

	if (d->set->instance_id[0] != '\0') {
		snprintf(d->instance_id, sizeof(d->instance_id), "%s", d->set->instance_id);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(d->instance_id, sizeof(d->instance_id), "%s:%d", host, (int)getpid());
}

/* Settings that need new sockets or a new cache are applied only on restart. */
static void warn_unreloadable(const struct hb_settings *old, const struct hb_settings *new)
{
	if (strcmp(old->director_listen, new->director_listen) != 0 ||
	    strcmp(old->director_tcp_listen, new->director_tcp_listen) != 0 ||
	    strcmp(old->socketmap_listen, new->socketmap_listen) != 0 ||
	    strcmp(old->metrics_listen, new->metrics_listen) != 0 ||
	    old->cache_size != new->cache_size)
		hb_warn("reload: listen addresses and cache_size change only on restart");
}

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct director *d = arg;
	struct hb_settings *set;
	struct hosted *hosted = NULL;
	char err[HB_SETTINGS_ERROR_MAX];
	int redis_changed;

	if (hb_settings_load(d->config_path, &set, err, sizeof(err)) < 0 ||
	    (hosted = hosted_create(set->socketmap_domains, err, sizeof(err))) == NULL) {
		hb_error("reload failed, keeping the running settings: %s", err);
		hb_settings_free(&set);
		return;
	}
	hosted_destroy(&d->hosted);
	d->hosted = hosted;
	warn_unreloadable(d->set, set);
	redis_changed = strcmp(d->set->redis_host, set->redis_host) != 0 ||
		d->set->redis_port != set->redis_port ||
		strcmp(d->set->redis_socket, set->redis_socket) != 0 ||
		strcmp(d->set->redis_password_file, set->redis_password_file) != 0 ||
		strcmp(d->set->redis_user, set->redis_user) != 0 ||
		d->set->redis_db != set->redis_db;
	if (redis_changed)
		director_redis_stop(d);
	/* keep the listen settings the sockets were opened with */
	hb_settings_free(&d->set);
	d->set = set;
	apply_logging(set);
	kick_deinit(d);
	if (kick_init(d, err, sizeof(err)) < 0)
		hb_error("reload: %s (failover kicks disabled)", err);
	if (redis_changed)
		director_redis_start(d);
	hb_info("configuration reloaded from %s", d->config_path);
}

static void on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct director *d = arg;

	hb_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(d->base);
}

/* epoll's change list folds the add-then-delete of write and one-shot read
 * events within one loop iteration (hiredis re-adds its read event after
 * every reply) into no system call at all.  It misbehaves only with dup()ed
 * descriptors, which the director never has. */
static struct event_base *director_event_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static int director_init(struct director *d, char *err, size_t err_size)
{
	d->base = director_event_base_new();
	d->metrics = metrics_create();
	d->cache = user_cache_create(d->set->cache_size);
	if (d->base == NULL || d->metrics == NULL || d->cache == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	d->started = (long long)time(NULL);
	set_instance_id(d);
	/* the handlers first: a stop that comes as soon as a socket accepts
	   still ends the director cleanly */
	d->sig_hup = evsignal_new(d->base, SIGHUP, on_sighup, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, on_sigterm, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_sigterm, d);
	evsignal_add(d->sig_hup, NULL);
	evsignal_add(d->sig_term, NULL);
	evsignal_add(d->sig_int, NULL);
	d->apikey = apikey_create(d);
	if (kick_init(d, err, err_size) < 0 || listeners_start(d, err, err_size) < 0)
		return -1;
	d->health = health_create(d);
	d->census = census_create(d);
	director_redis_start(d);
	housekeeping_start(d);
	return 0;
}

static void director_deinit(struct director *d)
{
	housekeeping_stop(d);
	listeners_stop(d);
	conn_destroy_all(d);
	census_destroy(&d->census);
	health_destroy(&d->health);
	kick_deinit(d);
	apikey_destroy(&d->apikey);
	doveadm_client_deinit(d);
	director_redis_stop(d);
	if (d->sig_hup != NULL) {
		event_free(d->sig_hup);
		event_free(d->sig_term);
		event_free(d->sig_int);
	}
	table_clear(&d->table);
	hosted_destroy(&d->hosted);
	user_cache_destroy(&d->cache);
	metrics_destroy(&d->metrics);
	if (d->base != NULL)
		event_base_free(d->base);
	if (d->set != NULL)
		hb_daemon_remove_pid(d->set->pid_file);
	hb_settings_free(&d->set);
}

/* -t: the files the director reads once running.  An unreadable health
 * login password only turns the probes into greeting checks, so it warns
 * without failing (the units run -t before every start). */
static int check_files(const struct hb_settings *set)
{
	char err[HB_SETTINGS_ERROR_MAX], *password;

	if (apikey_check_files(set, err, sizeof(err)) < 0) {
		fprintf(stderr, "hummingbird-director: %s\n", err);
		return -1;
	}
	if (set->health_login_user[0] == '\0')
		return 0;
	if (hb_read_secret_file(set->health_login_password_file, &password, err, sizeof(err)) < 0) {
		fprintf(stderr, "hummingbird-director: warning: health login disabled: %s\n", err);
		return 0;
	}
	explicit_bzero(password, strlen(password));
	free(password);
	return 0;
}

int main(int argc, char *argv[])
{
	struct director d;
	struct hb_daemon_args args;
	char err[HB_SETTINGS_ERROR_MAX];
	int ret;

	memset(&d, 0, sizeof(d));
	if ((ret = hb_daemon_parse_args("hummingbird-director", argc, argv, &args)) >= 0)
		return ret;
	d.config_path = args.config_path;
	if (hb_daemon_load("hummingbird-director", &args, &d.set) < 0)
		return 1;
	if (args.print_config) {
		hb_settings_free(&d.set);
		return 0;
	}
	if (hb_daemon_check_secrets(d.set, err, sizeof(err)) < 0 ||
	    (d.hosted = hosted_create(d.set->socketmap_domains, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hummingbird-director: %s\n", err);
		hb_settings_free(&d.set);
		return 1;
	}
	if (args.test_only) {
		if (check_files(d.set) < 0) {
			hosted_destroy(&d.hosted);
			hb_settings_free(&d.set);
			return 1;
		}
		printf("%s: configuration OK\n", d.config_path);
		hosted_destroy(&d.hosted);
		hb_settings_free(&d.set);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!args.foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "hummingbird-director: daemon(): %s\n", strerror(errno));
		return 1;
	}
	apply_logging(d.set);
	if (director_init(&d, err, sizeof(err)) < 0) {
		hb_error("start-up failed: %s", err);
		director_deinit(&d);
		return 1;
	}
	if (hb_daemon_write_pid(d.set->pid_file) < 0) {	/* logged why */
		director_deinit(&d);
		return 1;
	}
	hb_info("started (instance %s, version %s)", d.instance_id, DIRECTOR_VERSION);
	ret = event_base_dispatch(d.base);
	hb_info("stopped");
	hb_daemon_block_exit_signals();
	director_deinit(&d);
	hb_log_close();
	return ret < 0 ? 1 : 0;
}
