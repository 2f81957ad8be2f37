/* route.c - one routing decision per request.  The decision itself is made by
 * the `route` Lua script inside Redis so that all directors agree; this file
 * supplies the rendezvous candidate order, retries WAIT answers on a timer
 * (bounded by lookup_wait_timeout) and falls back to degraded routing. */
#include "hb-config-auto.h"
#include "director.h"
#include "route.h"
#include "redis.h"
#include "table.h"
#include "cache.h"
#include "metrics.h"
#include "hb-user.h"
#include "hb-log.h"
#include "hb-scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_RETRY_MS 100
/* waiting for a table snapshot: one arrives every second */
#define TABLE_WAIT_MAX_MS 2500
#define ROUTE_FIXED_ARGS 8

struct route_request {
	struct director *d;
	char user[HB_USER_MAX + 1];
	enum hb_service service;
	route_cb *cb;
	void *ctx;
	long long started_ms;
	struct event *retry_timer;
	int redis_pending;
	int waited;
	int script_reloaded;
	int starting;	/* inside route_lookup(): an answer must not free it */
	int answered;	/* answered while starting: route_lookup() frees it */
};

static void route_free(struct route_request *req)
{
	if (req->retry_timer != NULL)
		event_free(req->retry_timer);
	free(req);
}

static void route_finish(struct route_request *req, enum route_result result,
			 const struct hb_backend *backend, enum lookup_result kind,
			 const char *reason)
{
	double secs = (double)(director_now_ms() - req->started_ms) / 1000.0;
	unsigned int port = backend != NULL ? backend->ports[req->service] : 0;

	if (result == ROUTE_OK && port == 0) {
		result = ROUTE_TEMPFAIL;
		kind = LOOKUP_TEMPFAIL;
		reason = "assigned backend has no port for this service";
	}
	metrics_lookup(req->d->metrics, req->service, kind, secs);
	if (req->cb != NULL)
		req->cb(req->ctx, result, backend, port, reason);
	if (req->starting) {
		req->answered = 1;
		return;
	}
	route_free(req);
}

/* Redis unreachable: cached assignment if its backend still keeps users,
 * else the first candidate that takes users in the last known table. */
static void route_degraded(struct route_request *req)
{
	struct director *d = req->d;
	const char *names[DIRECTOR_MAX_BACKENDS];
	const char *cached = user_cache_get(d->cache, req->user);
	const struct hb_backend *b = cached != NULL ? director_backend(d, cached) : NULL;
	size_t n;

	if (b != NULL && hb_backend_keeps_users(b)) {
		route_finish(req, ROUTE_OK, b, LOOKUP_DEGRADED, NULL);
		return;
	}
	n = table_candidates(d, req->user, names);
	/* as the route script: up backends first, degraded ones as a last resort */
	for (int last = 0; last < 2; last++) {
		for (size_t i = 0; i < n; i++) {
			b = director_backend(d, names[i]);
			if (b != NULL && (last ? hb_backend_takes_users_last(b) :
					  hb_backend_takes_users(b))) {
				user_cache_put(d->cache, req->user, b->name);
				route_finish(req, ROUTE_OK, b, LOOKUP_DEGRADED, NULL);
				return;
			}
		}
	}
	route_finish(req, ROUTE_TEMPFAIL, NULL, LOOKUP_TEMPFAIL,
		     d->table.loaded ? "no usable backend" : "no backend table yet");
}

static void route_send(struct route_request *req);

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
	struct route_request *req = arg;

	if (req->cb == NULL) {
		route_free(req);
		return;
	}
	route_send(req);
}

static void route_wait(struct route_request *req, const char *why)
{
	struct director *d = req->d;
	struct timeval tv = { 0, WAIT_RETRY_MS * 1000 };
	long long limit = d->set->lookup_wait_timeout_ms;

	if (!req->waited) {
		metrics_wait(d->metrics);
		req->waited = 1;
	}
	if (strcmp(why, "table") == 0 && limit > TABLE_WAIT_MAX_MS)
		limit = TABLE_WAIT_MAX_MS;
	if (director_now_ms() + WAIT_RETRY_MS - req->started_ms > limit) {
		route_finish(req, ROUTE_TEMPFAIL, NULL, LOOKUP_TEMPFAIL,
			     strcmp(why, "moving") == 0 ? "user is being moved, try again" :
			     strcmp(why, "table") == 0 ? "no usable backend" :
			     "user's backend is being taken down, try again");
		return;
	}
	if (req->retry_timer == NULL)
		req->retry_timer = evtimer_new(d->base, on_retry_timer, req);
	evtimer_add(req->retry_timer, &tv);
}

static void route_assigned(struct route_request *req, const char *name,
			   const char *old, enum lookup_result kind)
{
	struct director *d = req->d;
	const struct hb_backend *b = director_backend(d, name);

	if (b == NULL) {
		/* assigned in Redis to a backend our table does not know yet:
		 * wait (bounded) for the next snapshot instead of failing */
		table_refresh(d);
		route_wait(req, "table");
		return;
	}
	if (old != NULL && old[0] != '\0') {
		metrics_failover(d->metrics);
		hb_info("user %s reassigned from %s to %s", req->user, old, name);
	}
	user_cache_put(d->cache, req->user, name);
	route_finish(req, ROUTE_OK, b, kind, NULL);
}

static int reply_is(const redisReply *reply, size_t idx, const char *word)
{
	return idx < reply->elements && reply->element[idx]->type == REDIS_REPLY_STRING &&
		strcmp(reply->element[idx]->str, word) == 0;
}

static const char *reply_str(const redisReply *reply, size_t idx)
{
	return idx < reply->elements && reply->element[idx]->type == REDIS_REPLY_STRING ?
		reply->element[idx]->str : "";
}

static void on_route_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct route_request *req = ctx;

	req->redis_pending = 0;
	if (req->cb == NULL) {
		route_free(req);
		return;
	}
	if (reply == NULL && director_redis_is_noscript(error) && !req->script_reloaded) {
		req->script_reloaded = 1;
		director_redis_load_scripts(d);
		route_send(req); /* with EVAL until the script is loaded again */
	} else if (reply == NULL) {
		metrics_redis_error(d->metrics);
		route_degraded(req);
	} else if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
		route_finish(req, ROUTE_TEMPFAIL, NULL, LOOKUP_TEMPFAIL, "unexpected Redis reply");
	} else if (reply_is(reply, 0, "OK")) {
		route_assigned(req, reply_str(reply, 1), NULL, LOOKUP_OK);
	} else if (reply_is(reply, 0, "NEW")) {
		route_assigned(req, reply_str(reply, 1), reply_str(reply, 2), LOOKUP_NEW);
	} else if (reply_is(reply, 0, "WAIT")) {
		route_wait(req, reply_str(reply, 1));
	} else if (!d->table.loaded || d->table.count == 0) {
		/* just started or backends just added: the snapshot is on its way */
		route_wait(req, "table");
	} else {
		route_finish(req, ROUTE_TEMPFAIL, NULL, LOOKUP_TEMPFAIL, "no usable backend");
	}
}

static void route_send(struct route_request *req)
{
	struct director *d = req->d;
	const char *argv[ROUTE_FIXED_ARGS + DIRECTOR_MAX_BACKENDS];
	char now_s[24], now_ms[24], expire[24];
	long long ms = director_now_ms();
	size_t n;

	if (!director_redis_usable(d)) {
		route_degraded(req);
		return;
	}
	snprintf(now_s, sizeof(now_s), "%lld", ms / 1000);
	snprintf(now_ms, sizeof(now_ms), "%lld", ms);
	snprintf(expire, sizeof(expire), "%u", d->set->user_expire_s);
	argv[0] = d->redis.route_sha[0] != '\0' ? "EVALSHA" : "EVAL";
	argv[1] = d->redis.route_sha[0] != '\0' ? d->redis.route_sha : hb_script_route;
	argv[2] = "0";
	argv[3] = d->set->key_prefix;
	argv[4] = req->user;
	argv[5] = now_s;
	argv[6] = now_ms;
	argv[7] = expire;
	n = table_candidates(d, req->user, argv + ROUTE_FIXED_ARGS);
	req->redis_pending = 1;
	director_redis_call(d, (int)(ROUTE_FIXED_ARGS + n), argv, on_route_reply, req);
}

struct route_request *route_lookup(struct director *d, const char *user,
				   enum hb_service service, route_cb *cb, void *ctx)
{
	struct route_request *req = calloc(1, sizeof(*req));

	if (req == NULL) {
		cb(ctx, ROUTE_TEMPFAIL, NULL, 0, "out of memory");
		return NULL;
	}
	req->d = d;
	snprintf(req->user, sizeof(req->user), "%s", user);
	req->service = service;
	req->cb = cb;
	req->ctx = ctx;
	req->started_ms = director_now_ms();
	/* the answer may come synchronously (degraded routing, Redis call that
	 * fails at once): then the request is freed here and NULL returned, so
	 * the caller never holds a handle to freed memory */
	req->starting = 1;
	route_send(req);
	req->starting = 0;
	if (req->answered) {
		route_free(req);
		return NULL;
	}
	return req;
}

void route_cancel(struct route_request *req)
{
	req->cb = NULL;
	if (!req->redis_pending && req->retry_timer != NULL &&
	    evtimer_pending(req->retry_timer, NULL))
		route_free(req);
}
