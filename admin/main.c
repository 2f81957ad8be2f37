/* main.c - hummingbird-admind, the HTTPS + JSON service through which
 * delegated domain admins manage their own domains (docs/ADMIND.md): option
 * parsing, settings, TLS context, signals (SIGHUP reloads the settings and
 * the certificate, SIGTERM/SIGINT end it cleanly) and the event loop.
 * Usage: hummingbird-admind [-c FILE] [-f] [-t] [-n] [--version] */
#include "hb-config-auto.h"
#include "admind.h"
#include "conns.h"
#include "limiter.h"
#include "hb-daemon.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void apply_logging(const struct hb_settings *set)
{
	hb_daemon_logging("hummingbird-admind", set);
}

/* The TLS context of SET (loaded from PATH); -1 with "PATH: why" in ERR. */
static int tls_create(const char *path, const struct hb_settings *set, SSL_CTX **ssl_r,
		      char *err, size_t err_size)
{
	char why[HB_SETTINGS_ERROR_MAX];

	if ((*ssl_r = admind_tls_create(set, why, sizeof(why))) == NULL) {
		snprintf(err, err_size, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

/* Load the configuration and build its TLS context; nothing is changed on failure. */
static int load(const char *path, struct hb_settings **set_r, SSL_CTX **ssl_r, char *err,
		size_t err_size)
{
	if (hb_settings_load(path, set_r, err, err_size) < 0)
		return -1;
	if (tls_create(path, *set_r, ssl_r, err, err_size) < 0) {
		hb_settings_free(set_r);
		return -1;
	}
	return 0;
}

static int redis_changed(const struct hb_settings *a, const struct hb_settings *b)
{
	return strcmp(a->redis_host, b->redis_host) != 0 || a->redis_port != b->redis_port ||
		strcmp(a->redis_socket, b->redis_socket) != 0 ||
		strcmp(a->redis_user, b->redis_user) != 0 ||
		strcmp(a->redis_password_file, b->redis_password_file) != 0 ||
		a->redis_db != b->redis_db || a->redis_timeout_ms != b->redis_timeout_ms;
}

/* Swap in the new settings and TLS context: connections already open keep
 * theirs, new ones get the new certificate. */
static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct admind *ad = arg;
	struct hb_settings *set;
	SSL_CTX *ssl;
	char err[HB_SETTINGS_ERROR_MAX + 256];

	(void)sig; (void)what;
	if (load(ad->config_path, &set, &ssl, err, sizeof(err)) < 0) {
		hb_error("reload failed, keeping the running settings: %s", err);
		return;
	}
	if (strcmp(set->admind_listen, ad->set->admind_listen) != 0)
		hb_warn("reload: admind_listen changes only on restart");
	if (redis_changed(ad->set, set))
		admind_redis_close(ad);
	hb_settings_free(&ad->set);
	ad->set = set;
	SSL_CTX_free(ad->ssl);
	ad->ssl = ssl;
	admind_server_limits(ad);
	apply_logging(set);
	hb_info("configuration and certificate reloaded from %s", ad->config_path);
}

static void on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct admind *ad = arg;

	(void)what;
	hb_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(ad->base);
}

static int dummy_hash(struct admind *ad, char *err, size_t err_size)
{
	char password[HB_SECRET_GENERATED_LEN + 1];
	const char *error = "random generator failed";
	int ret = hb_secret_generate(password, sizeof(password)) < 0 ? -1 :
		hb_admin_hash(password, HB_ADMIN_KDF_ITER_DEFAULT, ad->dummy_hash,
			      sizeof(ad->dummy_hash), &error);

	hb_secret_wipe(password, sizeof(password));
	if (ret < 0)
		snprintf(err, err_size, "%s", error);
	return ret;
}

static int admind_init(struct admind *ad, char *err, size_t err_size)
{
	ad->base = event_base_new();
	ad->limiter = admind_limiter_create();
	if (ad->base == NULL || ad->limiter == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	/* the handlers first: a stop that comes as soon as the port accepts
	   still ends admind cleanly */
	ad->sig_hup = evsignal_new(ad->base, SIGHUP, on_sighup, ad);
	ad->sig_term = evsignal_new(ad->base, SIGTERM, on_sigterm, ad);
	ad->sig_int = evsignal_new(ad->base, SIGINT, on_sigterm, ad);
	if (ad->sig_hup == NULL || ad->sig_term == NULL || ad->sig_int == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	evsignal_add(ad->sig_hup, NULL);
	evsignal_add(ad->sig_term, NULL);
	evsignal_add(ad->sig_int, NULL);
	return dummy_hash(ad, err, err_size) < 0 || admind_server_start(ad, err, err_size) < 0 ?
		-1 : 0;
}

static void admind_deinit(struct admind *ad)
{
	admind_server_stop(ad);
	if (ad->sig_hup != NULL)
		event_free(ad->sig_hup);
	if (ad->sig_term != NULL)
		event_free(ad->sig_term);
	if (ad->sig_int != NULL)
		event_free(ad->sig_int);
	admind_redis_close(ad);
	admind_limiter_destroy(&ad->limiter);
	if (ad->base != NULL)
		event_base_free(ad->base);
	SSL_CTX_free(ad->ssl);
	if (ad->set != NULL)
		hb_daemon_remove_pid(ad->set->pid_file);
	hb_settings_free(&ad->set);
	hb_secret_wipe(ad->dummy_hash, sizeof(ad->dummy_hash));
}

int main(int argc, char *argv[])
{
	struct admind ad;
	struct hb_daemon_args args;
	char err[HB_SETTINGS_ERROR_MAX + 256];
	int ret;

	memset(&ad, 0, sizeof(ad));
	if ((ret = hb_daemon_parse_args("hummingbird-admind", argc, argv, &args)) >= 0)
		return ret;
	if (admind_conns_global_init() < 0) {
		fprintf(stderr, "hummingbird-admind: no OpenSSL ex_data slot: out of memory\n");
		return 1;
	}
	ad.config_path = args.config_path;
	if (hb_daemon_load("hummingbird-admind", &args, &ad.set) < 0)
		return 1;
	if (args.print_config) {
		admind_deinit(&ad);
		return 0;
	}
	if (tls_create(ad.config_path, ad.set, &ad.ssl, err, sizeof(err)) < 0 ||
	    hb_daemon_check_secrets(ad.set, err, sizeof(err)) < 0) {
		fprintf(stderr, "hummingbird-admind: %s\n", err);
		admind_deinit(&ad);
		return 1;
	}
	if (args.test_only) {
		printf("%s: configuration OK\n", ad.config_path);
		admind_deinit(&ad);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!args.foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "hummingbird-admind: daemon(): %s\n", strerror(errno));
		admind_deinit(&ad);
		return 1;
	}
	apply_logging(ad.set);
	if (admind_init(&ad, err, sizeof(err)) < 0 || hb_daemon_write_pid(ad.set->pid_file) < 0) {
		hb_error("start-up failed: %s", err);
		admind_deinit(&ad);
		return 1;
	}
	hb_info("listening on %s (version %s)", ad.set->admind_listen, PACKAGE_VERSION);
	ret = event_base_dispatch(ad.base);
	hb_info("stopped");
	hb_daemon_block_exit_signals();
	admind_deinit(&ad);
	hb_log_close();
	return ret < 0 ? 1 : 0;
}
