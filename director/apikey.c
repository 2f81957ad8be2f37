/* apikey.c - the doveadm API key: read once from doveadm_api_key_file, byte
 * for byte (a trailing newline is part of it, as for Dovecot's `<FILE`), and
 * checked against every backend's doveadm HTTP API with a POST of an empty
 * command list.  A refusal is an error naming the file and the likely cause,
 * found by trying the key with its trailing newline removed (or one added);
 * results go to the backend's doveadm_api* fields.  Never logs the key.
 * With doveadm_tls = yes it also holds the TLS context that protects the
 * key (doveadm_ca_file, loaded with the key); without it, no key is sent. */
#include "hb-config-auto.h"
#include "director.h"
#include "apikey.h"
#include "doveadm-client.h"
#include "redis.h"
#include "hb-base64.h"
#include "hb-dlist.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-scripts.h"
#include "hb-secret.h"
#include "hb-tls-client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APIKEY_TICK_MS 1000
#define APIKEY_TIMEOUT_MS 5000
#define APIKEY_RECHECK_OK_MS (300 * 1000)
#define APIKEY_RECHECK_BAD_MS (30 * 1000)
/* a refusal stored by another director outlives our "ok" this long: well
 * above APIKEY_RECHECK_BAD_MS, so only a director that stopped re-checking
 * (or stopped refusing) lets it go */
#define APIKEY_KEEP_S "90"
#define APIKEY_BODY "[]"
#define APIKEY_REPLY_MAX 4096
#define AUTH_PREFIX "X-Dovecot-API "

/* Why a refused key was refused, found with the alternative key. */
enum apikey_cause { CAUSE_NONE, CAUSE_OTHER_KEY, CAUSE_ALT_ACCEPTED };

struct apikey_backend {
	struct apikey *a;
	struct apikey_backend *prev, *next;
	char name[HB_BACKEND_NAME_MAX + 1];
	char host[HB_HOST_MAX + 1];
	unsigned int port;
	int in_table;
	long long due_ms;             /* next check */
	struct doveadm_req *req;      /* check in flight */
	int alt;                      /* ... with the alternative key */
	int refused_code;             /* HTTP status of the refusal */
	int logged;                   /* state * 4 + cause last logged, -1 none */
};

struct apikey {
	struct director *d;
	struct event *timer;
	struct apikey_backend *backends;
	char *alt_auth;      /* the key without its trailing line break, or with "\n" added */
	int key_line_end;    /* the key ends in a line break */
	SSL_CTX *tls;        /* doveadm_tls = yes: trusts doveadm_ca_file only */
};

static void check_start(struct apikey_backend *ab, int alt);

/* "X-Dovecot-API base64(KEY[0..LEN))", malloc'd; NULL when out of memory. */
static char *auth_header(const char *key, size_t len)
{
	char b64[(HB_SECRET_MAX + 1 + 2) / 3 * 4 + 1];
	char *auth;

	if (hb_base64_encode((const unsigned char *)key, len, b64, sizeof(b64)) == 0)
		return NULL;
	auth = malloc(sizeof(AUTH_PREFIX) + strlen(b64));
	if (auth != NULL)
		sprintf(auth, AUTH_PREFIX "%s", b64);
	hb_secret_wipe(b64, sizeof(b64));
	return auth;
}

static void free_auth(char **auth)
{
	if (*auth != NULL) {
		hb_secret_wipe(*auth, strlen(*auth));
		free(*auth);
		*auth = NULL;
	}
}

/* The TLS context of doveadm_tls = yes, loaded before the key so that a
 * key is never held without it; plain HTTP is said once in the log. */
static int tls_load(struct director *d, char *err, size_t err_size)
{
	const char *ca_file, *error;

	if (hb_doveadm_tls_settings(d->set, &ca_file, &error) < 0) {
		snprintf(err, err_size, "%s", error);
		return -1;
	}
	if (ca_file == NULL) {
		hb_info("doveadm API requests go over plain HTTP (doveadm_tls = no): the API key "
			"travels in clear, acceptable on loopback or a trusted private segment only");
		return 0;
	}
	if (d->apikey == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	d->apikey->tls = hb_tls_client_ctx(ca_file, &error);
	if (d->apikey->tls == NULL) {
		snprintf(err, err_size, "doveadm_ca_file %s: %s", ca_file, error);
		return -1;
	}
	hb_info("doveadm API requests go over TLS only, server certificates checked against "
		"%s and the backend's address", ca_file);
	return 0;
}

int apikey_check_files(const struct hb_settings *set, char *err, size_t err_size)
{
	const char *ca_file, *error;
	char key[HB_SECRET_MAX + 2];    /* as apikey_load() */
	SSL_CTX *tls;

	if (set->doveadm_api_key_file[0] == '\0')
		return 0;
	if (hb_doveadm_tls_settings(set, &ca_file, &error) < 0) {
		snprintf(err, err_size, "%s", error);
		return -1;
	}
	if (ca_file != NULL) {
		if ((tls = hb_tls_client_ctx(ca_file, &error)) == NULL) {
			snprintf(err, err_size, "doveadm_ca_file %s: %s", ca_file, error);
			return -1;
		}
		SSL_CTX_free(tls);
	}
	if (hb_secret_read_verbatim(set->doveadm_api_key_file, key, sizeof(key) - 1, &error) < 0) {
		snprintf(err, err_size, "doveadm_api_key_file: %s", error);
		return -1;
	}
	hb_secret_wipe(key, sizeof(key));
	return 0;
}

SSL_CTX *apikey_tls(const struct director *d)
{
	return d->apikey != NULL ? d->apikey->tls : NULL;
}

int apikey_load(struct director *d, char *err, size_t err_size)
{
	const char *path = d->set->doveadm_api_key_file, *error;
	char key[HB_SECRET_MAX + 2];    /* room to add a "\n" */
	size_t len, line_end;
	char *alt;

	apikey_unload(d);
	if (path[0] == '\0')
		return 0;
	if (tls_load(d, err, err_size) < 0)
		return -1;
	if (hb_secret_read_verbatim(path, key, sizeof(key) - 1, &error) < 0) {
		snprintf(err, err_size, "doveadm_api_key_file: %s", error);
		return -1;
	}
	len = strlen(key);
	line_end = hb_secret_line_end(key);
	d->doveadm_auth = auth_header(key, len);
	if (line_end == 0)
		key[len++] = '\n';
	alt = auth_header(key, line_end > 0 ? len - line_end : len);
	hb_secret_wipe(key, sizeof(key));
	if (d->doveadm_auth == NULL || alt == NULL) {
		free_auth(&alt);
		free_auth(&d->doveadm_auth);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	hb_info("doveadm API key read from %s (%s)", path, line_end > 0 ?
		"it ends in a line break, which is part of the key, as for Dovecot's <FILE" :
		"no trailing line break");
	if (d->apikey == NULL) {
		free_auth(&alt);
		return 0;
	}
	d->apikey->alt_auth = alt;
	d->apikey->key_line_end = line_end > 0;
	for (struct apikey_backend *ab = d->apikey->backends; ab != NULL; ab = ab->next) {
		ab->due_ms = 0;   /* a new key: check and report everyone again */
		ab->logged = -1;
	}
	return 0;
}

void apikey_unload(struct director *d)
{
	free_auth(&d->doveadm_auth);
	if (d->apikey == NULL)
		return;
	free_auth(&d->apikey->alt_auth);
	for (struct apikey_backend *ab = d->apikey->backends; ab != NULL; ab = ab->next)
		doveadm_cancel(&ab->req);
	SSL_CTX_free(d->apikey->tls);   /* sessions still open hold their own reference */
	d->apikey->tls = NULL;
}

const char *apikey_http_error(const struct director *d, int code, char *buf, size_t size)
{
	if (code == 401 || code == 403)
		snprintf(buf, size, "doveadm API key refused (HTTP %d): %s does not hold the "
			 "backend's doveadm_api_key byte for byte (a trailing newline counts)",
			 code, d->set->doveadm_api_key_file);
	else
		snprintf(buf, size, "doveadm API answered HTTP %d", code);
	return buf;
}

/* ---- results ---- */

static void ignore_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	if (reply == NULL)
		hb_debug("storing an API key check failed: %s", error);
}

static void store_result(struct apikey_backend *ab, enum hb_doveadm_api state,
			 const char *reason)
{
	struct director *d = ab->a->d;
	char key[HB_KEY_MAX], now[24];

	if (hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_BACKEND, ab->name) == 0)
		return;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	const char *argv[] = { "EVAL", hb_script_apikey, "1", key, hb_doveadm_api_name(state),
			       now, reason, d->instance_id, APIKEY_KEEP_S };
	director_redis_call(d, 9, argv, ignore_reply, NULL);
}

/* The short reason stored for `hbctl status` (at most HB_REASON_MAX). */
static const char *refusal_reason(const struct apikey_backend *ab, enum apikey_cause cause,
				  char *buf, size_t size)
{
	const char *why = cause != CAUSE_ALT_ACCEPTED ?
		"the backend's doveadm_api_key is another key, or unset" :
		ab->a->key_line_end ?
		"accepted without the key file's trailing newline: the backend has the key inline" :
		"accepted with a trailing newline: the backend reads a key file ending in one";

	snprintf(buf, size, "key refused (HTTP %d): %s", ab->refused_code, why);
	return buf;
}

/* The operator's part: what to change, for the error log. */
static const char *refusal_advice(const struct apikey_backend *ab, enum apikey_cause cause)
{
	if (cause != CAUSE_ALT_ACCEPTED)
		return "the backend's doveadm_api_key is not the content of the file (a different "
			"key, or none set); the whole file is the key, a trailing newline included, "
			"as Dovecot's `doveadm_api_key = <FILE` reads it";
	if (ab->a->key_line_end)
		return "the file ends in a newline and the backend accepts the key without it, so "
			"its doveadm_api_key is written inline in dovecot.conf (or read from a copy "
			"without the newline): use `doveadm_api_key = <FILE` there with a copy of "
			"this file, or rewrite the file without the newline (printf '%s')";
	return "the backend accepts the key only with a trailing newline, so it reads a key "
		"file that ends in one (`doveadm_api_key = <FILE`, written with echo): copy "
		"that file here";
}

static void log_result(const struct apikey_backend *ab, enum hb_doveadm_api state,
		       enum apikey_cause cause, const char *reason)
{
	const struct director *d = ab->a->d;

	switch (state) {
	case HB_DOVEADM_API_OK:
		hb_info("backend %s (%s:%u): doveadm API accepts the key of %s",
			ab->name, ab->host, ab->port, d->set->doveadm_api_key_file);
		break;
	case HB_DOVEADM_API_REFUSED:
		hb_error("backend %s (%s:%u): doveadm API key refused (HTTP %d) for %s: %s; "
			 "failover kicks and the session census of this backend fail until "
			 "the keys match", ab->name, ab->host, ab->port, ab->refused_code,
			 d->set->doveadm_api_key_file, refusal_advice(ab, cause));
		break;
	default:
		hb_warn("backend %s (%s:%u): cannot check the doveadm API key: %s "
			"(kicks and the census of it fail while this lasts)",
			ab->name, ab->host, ab->port, reason);
		break;
	}
}

static void check_done(struct apikey_backend *ab, enum hb_doveadm_api state,
		       enum apikey_cause cause, const char *reason)
{
	char buf[HB_REASON_MAX + 1];
	int what = (int)state * 4 + (int)cause;

	if (state == HB_DOVEADM_API_REFUSED)
		reason = refusal_reason(ab, cause, buf, sizeof(buf));
	if (what != ab->logged)
		log_result(ab, state, cause, reason);
	ab->logged = what;
	ab->alt = 0;
	ab->due_ms = director_now_ms() +
		(state == HB_DOVEADM_API_OK ? APIKEY_RECHECK_OK_MS : APIKEY_RECHECK_BAD_MS);
	store_result(ab, state, reason);
}

static void on_check_reply(void *ctx, enum doveadm_status status, int code,
			   const char *body, size_t len)
{
	struct apikey_backend *ab = ctx;
	char reason[HB_REASON_MAX + 1];

	ab->req = NULL;
	if (ab->alt) {
		check_done(ab, HB_DOVEADM_API_REFUSED, status == DOVEADM_REPLY && code == 200 ?
			   CAUSE_ALT_ACCEPTED : CAUSE_OTHER_KEY, NULL);
		return;
	}
	if (status == DOVEADM_TLS_FAILED) {
		snprintf(reason, sizeof(reason), "%.*s; the key was not sent", (int)len, body);
		check_done(ab, HB_DOVEADM_API_ERROR, CAUSE_NONE, reason);
	} else if (status == DOVEADM_TIMEOUT)
		check_done(ab, HB_DOVEADM_API_UNREACHABLE, CAUSE_NONE, "no answer in time");
	else if (status == DOVEADM_UNREACHABLE)
		check_done(ab, HB_DOVEADM_API_UNREACHABLE, CAUSE_NONE,
			   "connection refused or reset");
	else if (status != DOVEADM_REPLY)
		check_done(ab, HB_DOVEADM_API_ERROR, CAUSE_NONE, "reply unusable");
	else if (code == 200)
		check_done(ab, HB_DOVEADM_API_OK, CAUSE_NONE, "key accepted");
	else if (code == 401 || code == 403) {
		ab->refused_code = code;
		check_start(ab, 1);   /* which key would it take? */
	} else {
		snprintf(reason, sizeof(reason), "doveadm API answered HTTP %d", code);
		check_done(ab, HB_DOVEADM_API_ERROR, CAUSE_NONE, reason);
	}
}

/* POST an empty command list with the key (or the alternative key). */
static void check_start(struct apikey_backend *ab, int alt)
{
	struct director *d = ab->a->d;
	unsigned int timeout_ms = d->set->kick_timeout_ms < APIKEY_TIMEOUT_MS ?
		d->set->kick_timeout_ms : APIKEY_TIMEOUT_MS;
	const char *auth = alt ? ab->a->alt_auth : d->doveadm_auth;

	ab->alt = alt;
	ab->req = auth == NULL ? NULL :
		doveadm_post_auth(d, auth, ab->host, ab->port, APIKEY_BODY,
				  timeout_ms < 1000 ? 1000 : timeout_ms, APIKEY_REPLY_MAX,
				  on_check_reply, ab);
	if (ab->req == NULL && alt)
		check_done(ab, HB_DOVEADM_API_REFUSED, CAUSE_OTHER_KEY, NULL);
	else if (ab->req == NULL)
		check_done(ab, HB_DOVEADM_API_ERROR, CAUSE_NONE, "cannot send the request");
}

/* ---- following the backend table ---- */

static struct apikey_backend *find_backend(struct apikey *a, const char *name)
{
	for (struct apikey_backend *ab = a->backends; ab != NULL; ab = ab->next)
		if (strcmp(ab->name, name) == 0)
			return ab;
	return NULL;
}

static void backend_free(struct apikey *a, struct apikey_backend *ab)
{
	HB_DLIST_REMOVE(a->backends, ab);
	doveadm_cancel(&ab->req);
	free(ab);
}

/* Track B; a new backend or a new doveadm address is checked at once. */
static struct apikey_backend *track(struct apikey *a, const struct hb_backend *b)
{
	unsigned int port = b->ports[HB_SERVICE_DOVEADM];
	struct apikey_backend *ab = find_backend(a, b->name);

	if (ab == NULL) {
		if ((ab = calloc(1, sizeof(*ab))) == NULL)
			return NULL;
		ab->a = a;
		ab->logged = -1;
		snprintf(ab->name, sizeof(ab->name), "%s", b->name);
		HB_DLIST_PREPEND(a->backends, ab);
	} else if (ab->port != port || strcmp(ab->host, b->host) != 0) {
		doveadm_cancel(&ab->req);
		ab->due_ms = 0;
		ab->logged = -1;
	}
	snprintf(ab->host, sizeof(ab->host), "%s", b->host);
	ab->port = port;
	ab->in_table = 1;
	return ab;
}

static void apikey_tick(struct apikey *a)
{
	struct director *d = a->d;
	struct apikey_backend *ab, *next;
	long long now = director_now_ms();

	for (ab = a->backends; ab != NULL; ab = ab->next)
		ab->in_table = 0;
	for (size_t i = 0; d->doveadm_auth != NULL && i < d->table.count; i++) {
		const struct hb_backend *b = &d->table.backends[i];

		if (b->ports[HB_SERVICE_DOVEADM] == 0 || (ab = track(a, b)) == NULL)
			continue;
		if (ab->req == NULL && now >= ab->due_ms)
			check_start(ab, 0);
	}
	for (ab = a->backends; ab != NULL; ab = next) {
		next = ab->next;
		if (!ab->in_table)
			backend_free(a, ab);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct apikey *a = arg;
	struct timeval tv = { APIKEY_TICK_MS / 1000, (APIKEY_TICK_MS % 1000) * 1000 };

	apikey_tick(a);
	evtimer_add(a->timer, &tv);
}

struct apikey *apikey_create(struct director *d)
{
	struct apikey *a = calloc(1, sizeof(*a));
	struct timeval tv = { 0, 100 * 1000 };

	if (a == NULL)
		return NULL;
	a->d = d;
	a->timer = evtimer_new(d->base, on_timer, a);
	if (a->timer == NULL) {
		free(a);
		return NULL;
	}
	evtimer_add(a->timer, &tv);
	return a;
}

void apikey_destroy(struct apikey **_a)
{
	struct apikey *a = *_a;

	if (a == NULL)
		return;
	while (a->backends != NULL)
		backend_free(a, a->backends);
	free_auth(&a->alt_auth);
	SSL_CTX_free(a->tls);
	event_free(a->timer);
	free(a);
	*_a = NULL;
}

int apikey_accepted(const struct apikey *a, const char *backend)
{
	const struct apikey_backend *ab = a != NULL ? find_backend((struct apikey *)a, backend) : NULL;

	if (ab == NULL || ab->logged < 0)
		return -1;
	if (ab->logged / 4 == HB_DOVEADM_API_OK)
		return 1;
	return ab->logged / 4 == HB_DOVEADM_API_REFUSED ? 0 : -1;
}
