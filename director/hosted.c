/* hosted.c - see hosted.h.  One SISMEMBER per domain and cache lifetime
 * rather than per message: outbound mail asks about the same few big
 * domains all the time.  The cache is direct-mapped and fixed in size, so
 * memory stays bounded however many domains Postfix asks about. */
#include "hb-config-auto.h"
#include "director.h"
#include "hosted.h"
#include "redis.h"
#include "metrics.h"
#include "hb-addr.h"
#include "hb-domain-list.h"
#include "hb-hash.h"
#include "hb-keys.h"
#include "hb-log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTED_SLOTS 512	/* a power of two */

struct hosted_slot {
	long long checked_ms;	/* 0 = empty */
	int hosted;
	char domain[HB_DOMAIN_MAX + 1];
};

struct hosted {
	struct hb_domain_list *configured;
	struct hosted_slot slots[HOSTED_SLOTS];
};

struct hosted_request {
	struct director *d;
	hosted_cb *cb;		/* NULL once cancelled */
	void *ctx;
	int starting;		/* inside hosted_check(): it frees the request */
	int answered;
	char domain[HB_DOMAIN_MAX + 1];
};

struct hosted *hosted_create(const char *configured, char *err, size_t err_size)
{
	struct hosted *h = calloc(1, sizeof(*h));
	char reason[HB_DOMAIN_MAX + 128];

	if (h == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (hb_domain_list_parse(configured, &h->configured, reason, sizeof(reason)) < 0) {
		snprintf(err, err_size, "socketmap_domains: %s", reason);
		free(h);
		return NULL;
	}
	return h;
}

void hosted_destroy(struct hosted **_h)
{
	struct hosted *h = *_h;

	if (h == NULL)
		return;
	hb_domain_list_free(&h->configured);
	free(h);
	*_h = NULL;
}

static struct hosted_slot *slot_for(struct hosted *h, const char *domain)
{
	return &h->slots[hb_hash64(domain, strlen(domain), 0x686f7374) & (HOSTED_SLOTS - 1)];
}

/* The cached answer for DOMAIN if it is at most MAX_AGE_MS old (-1: any
 * age), else -1. */
static int cached(struct hosted *h, const char *domain, long long max_age_ms)
{
	const struct hosted_slot *slot = slot_for(h, domain);

	if (slot->checked_ms == 0 || strcmp(slot->domain, domain) != 0)
		return -1;
	if (max_age_ms >= 0 && director_now_ms() - slot->checked_ms > max_age_ms)
		return -1;
	return slot->hosted;
}

/* Redis unreachable: a domain that was hosted still is (its users are
 * routed in degraded mode); anything else is unknown, never "not ours". */
static enum hosted_answer answer_without_redis(struct hosted *h, const char *domain)
{
	return cached(h, domain, -1) == 1 ? HOSTED_YES : HOSTED_UNKNOWN;
}

static void remember(struct hosted *h, const char *domain, int hosted)
{
	struct hosted_slot *slot = slot_for(h, domain);

	snprintf(slot->domain, sizeof(slot->domain), "%s", domain);
	slot->hosted = hosted;
	slot->checked_ms = director_now_ms();
}

static void on_sismember(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct hosted_request *req = ctx;
	enum hosted_answer answer;

	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER) {
		remember(d->hosted, req->domain, reply->integer == 1);
		answer = reply->integer == 1 ? HOSTED_YES : HOSTED_NO;
	} else {
		metrics_redis_error(d->metrics);
		/* an outage is logged once by redis.c; this is the request's own */
		if (director_redis_usable(d))
			hb_error("socketmap: is %s hosted? Redis: %s", req->domain,
				 reply == NULL ? error : "unexpected reply");
		answer = answer_without_redis(d->hosted, req->domain);
	}
	if (req->cb != NULL)
		req->cb(req->ctx, answer);
	if (req->starting)
		req->answered = 1;
	else
		free(req);
}

struct hosted_request *hosted_check(struct director *d, const char *domain,
				    hosted_cb *cb, void *ctx)
{
	struct hosted *h = d->hosted;
	struct hosted_request *req;
	char key[HB_KEY_MAX];
	int known;

	if (hb_domain_list_contains(h->configured, domain)) {
		cb(ctx, HOSTED_YES);
		return NULL;
	}
	if ((known = cached(h, domain, HOSTED_CACHE_TTL_MS)) >= 0) {
		cb(ctx, known ? HOSTED_YES : HOSTED_NO);
		return NULL;
	}
	if (!director_redis_usable(d) ||
	    hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_DOMAINS, NULL) == 0 ||
	    (req = calloc(1, sizeof(*req))) == NULL) {
		cb(ctx, answer_without_redis(h, domain));
		return NULL;
	}
	req->d = d;
	req->cb = cb;
	req->ctx = ctx;
	req->starting = 1;
	snprintf(req->domain, sizeof(req->domain), "%s", domain);
	{
		const char *argv[] = { "SISMEMBER", key, req->domain };

		director_redis_call(d, 3, argv, on_sismember, req);
	}
	req->starting = 0;
	if (req->answered) {
		free(req);
		return NULL;
	}
	return req;
}

void hosted_cancel(struct hosted_request *req)
{
	if (req != NULL)
		req->cb = NULL;
}
