/* census.c - session census rounds.  Only the health-lease holder runs
 * them; each backend with a doveadm_port is asked "who" (one request in
 * flight per backend at most) and the users found go in batches through the
 * `census` script.  Mismatches are logged once per round and counted. */
#include "hb-config-auto.h"
#include "director.h"
#include "census.h"
#include "apikey.h"
#include "census-who.h"
#include "doveadm-client.h"
#include "health.h"
#include "kick.h"
#include "metrics.h"
#include "redis.h"
#include "hb-dlist.h"
#include "hb-log.h"
#include "hb-scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WHO_BODY "[[\"who\",{\"mask\":[\"*\"]},\"hb-census\"]]"
#define CENSUS_REPLY_MAX (1024 * 1024)
#define CENSUS_BATCH 500
#define CENSUS_IDLE_MS 1000  /* re-check period while the census is off */

struct census_backend {
	struct census *c;
	struct census_backend *prev, *next;
	char name[HB_BACKEND_NAME_MAX + 1];
	struct doveadm_req *req;     /* "who" in flight, or NULL */
	unsigned long sessions;
	int known;                   /* a census of it succeeded */
	int failing;                 /* its failure was logged */
};

struct census {
	struct director *d;
	struct event *timer;
	struct census_backend *backends;
};

/* What a batch's reply needs: the backend name (the census may be gone). */
struct census_batch {
	char backend[HB_BACKEND_NAME_MAX + 1];
};

static struct census_backend *find_backend(struct census *c, const char *name)
{
	for (struct census_backend *cb = c->backends; cb != NULL; cb = cb->next)
		if (strcmp(cb->name, name) == 0)
			return cb;
	return NULL;
}

static void backend_free(struct census *c, struct census_backend *cb)
{
	HB_DLIST_REMOVE(c->backends, cb);
	doveadm_cancel(&cb->req);
	free(cb);
}

static void on_batch_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct census_batch *batch = ctx;

	if (reply == NULL) {
		hb_debug("census of %s: storing failed: %s", batch->backend, error);
	} else if (reply->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < reply->elements; i += 2) {
			if (reply->element[i]->type != REDIS_REPLY_STRING ||
			    reply->element[i + 1]->type != REDIS_REPLY_STRING)
				continue;
			hb_warn("census: user %s has sessions on %s but is assigned to %s",
				reply->element[i]->str, batch->backend, reply->element[i + 1]->str);
			metrics_census_mismatch(d->metrics);
		}
	}
	free(batch);
}

/* One `census` script call for USERS[0..N-1]. */
static void send_batch(struct director *d, const char *backend, char **users, size_t n)
{
	const char *argv[7 + CENSUS_BATCH];
	char now[24], expire[16];
	struct census_batch *batch = calloc(1, sizeof(*batch));

	if (batch == NULL)
		return;
	snprintf(batch->backend, sizeof(batch->backend), "%s", backend);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(expire, sizeof(expire), "%u", d->set->user_expire_s);
	argv[0] = "EVAL";
	argv[1] = hb_script_census;
	argv[2] = "0";
	argv[3] = d->set->key_prefix;
	argv[4] = backend;
	argv[5] = now;
	argv[6] = expire;
	for (size_t i = 0; i < n; i++)
		argv[7 + i] = users[i];
	director_redis_call(d, (int)(7 + n), argv, on_batch_reply, batch);
}

static void census_failed(struct census_backend *cb, const char *why)
{
	if (!cb->failing)
		hb_warn("census of backend %s failed: %s", cb->name, why);
	cb->failing = 1;
}

static void census_store(struct census_backend *cb, const char *body, size_t len)
{
	struct director *d = cb->c->d;
	struct census_who who;
	char err[256];

	if (census_who_parse(body, len, d->set->recipient_delimiter, &who, err, sizeof(err)) < 0) {
		census_failed(cb, err);
		return;
	}
	if (cb->failing)
		hb_info("census of backend %s works again", cb->name);
	cb->failing = 0;
	cb->known = 1;
	cb->sessions = who.sessions;
	hb_debug("census of %s: %lu sessions of %zu users", cb->name, who.sessions, who.count);
	for (size_t i = 0; i < who.count; i += CENSUS_BATCH)
		send_batch(d, cb->name, who.users + i,
			   who.count - i < CENSUS_BATCH ? who.count - i : CENSUS_BATCH);
	census_who_free(&who);
}

static void on_who_reply(void *ctx, enum doveadm_status status, int code,
			 const char *body, size_t len)
{
	struct census_backend *cb = ctx;
	char why[512];

	cb->req = NULL;
	switch (status) {
	case DOVEADM_TIMEOUT: census_failed(cb, "doveadm API did not answer in time"); return;
	case DOVEADM_UNREACHABLE: census_failed(cb, "doveadm API unreachable"); return;
	case DOVEADM_FAILED: census_failed(cb, "doveadm API reply too large or unusable"); return;
	case DOVEADM_TLS_FAILED:
		snprintf(why, sizeof(why), "%.*s; the API key was not sent", (int)len, body);
		census_failed(cb, why);
		return;
	case DOVEADM_REPLY: break;
	}
	if (code != 200)
		census_failed(cb, apikey_http_error(cb->c->d, code, why, sizeof(why)));
	else
		census_store(cb, body, len);
}

static void census_backend_start(struct census *c, const struct hb_backend *b)
{
	struct director *d = c->d;
	unsigned int port = b->ports[HB_SERVICE_DOVEADM];
	struct census_backend *cb = find_backend(c, b->name);

	if (port == 0)
		return;
	if (cb == NULL) {
		if ((cb = calloc(1, sizeof(*cb))) == NULL)
			return;
		cb->c = c;
		snprintf(cb->name, sizeof(cb->name), "%s", b->name);
		HB_DLIST_PREPEND(c->backends, cb);
	}
	if (cb->req != NULL)
		return; /* a slow backend does not pile up requests */
	cb->req = doveadm_post(d, b->host, port, WHO_BODY, d->set->kick_timeout_ms,
			       CENSUS_REPLY_MAX, on_who_reply, cb);
	if (cb->req == NULL)
		census_failed(cb, "cannot send the request");
}

/* Forget backends that left the table (or lost their doveadm port). */
static void census_prune(struct census *c)
{
	struct census_backend *cb = c->backends, *next;

	for (; cb != NULL; cb = next) {
		const struct hb_backend *b = director_backend(c->d, cb->name);
		next = cb->next;
		if (b == NULL || b->ports[HB_SERVICE_DOVEADM] == 0)
			backend_free(c, cb);
	}
}

static void census_round(struct census *c)
{
	struct director *d = c->d;

	if (!health_lease_held(d->health) || !kick_available(d)) {
		while (c->backends != NULL)   /* another director counts now */
			backend_free(c, c->backends);
		return;
	}
	if (!director_redis_usable(d))
		return;
	metrics_census_run(d->metrics);
	census_prune(c);
	for (size_t i = 0; i < d->table.count; i++)
		census_backend_start(c, &d->table.backends[i]);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct census *c = arg;
	unsigned int ms = c->d->set->census_interval_ms;
	struct timeval tv;

	if (ms != 0)
		census_round(c);
	else
		ms = CENSUS_IDLE_MS;   /* census_interval may be set by a reload */
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

struct census *census_create(struct director *d)
{
	struct census *c = calloc(1, sizeof(*c));
	struct timeval tv = { CENSUS_IDLE_MS / 1000, 0 };

	if (c == NULL)
		return NULL;
	c->d = d;
	c->timer = evtimer_new(d->base, on_timer, c);
	if (c->timer == NULL) {
		free(c);
		return NULL;
	}
	evtimer_add(c->timer, &tv);
	return c;
}

void census_destroy(struct census **_c)
{
	struct census *c = *_c;

	if (c == NULL)
		return;
	while (c->backends != NULL)
		backend_free(c, c->backends);
	event_free(c->timer);
	free(c);
	*_c = NULL;
}

int census_sessions(const struct census *c, const char *backend, unsigned long *sessions_r)
{
	for (const struct census_backend *cb = c != NULL ? c->backends : NULL; cb != NULL;
	     cb = cb->next) {
		if (strcmp(cb->name, backend) == 0 && cb->known) {
			*sessions_r = cb->sessions;
			return 1;
		}
	}
	return 0;
}
