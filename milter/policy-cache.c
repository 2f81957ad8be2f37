/* policy-cache.c - see policy-cache.h.  The cache (ttl-cache.c) is keyed by
 * the A-label domain; a domain that is not hosted is cached too. */
#include "policy-cache.h"
#include "metrics.h"
#include "milter.h"
#include "redis-pool.h"
#include "ttl-cache.h"
#include "hb-addr.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-policy.h"
#include "hb-redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 20000

static struct ttl_cache cache = TTL_CACHE_INIT(struct domain_policy, MAX_ENTRIES);

void policy_cache_clear(void)
{
	ttl_cache_clear(&cache);
}

static int is_hash_reply(const redisReply *r)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
		return 0;
	for (size_t i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING)
			return 0;
	}
	return 1;
}

/* Store DEF's effective value into OUT; counts corrupt stored values. */
static void apply_value(const struct hb_policy_def *def, const redisReply *domain,
			const redisReply *caps, struct domain_policy *out, unsigned int *corrupt_r)
{
	char eff[HB_POLICY_VALUE_MAX];
	int corrupt = 0;
	struct policy_rate *rate = NULL;

	if (hb_policy_effective(def, hb_redis_pair_value(domain, def->name), hb_redis_pair_value(caps, def->name),
				eff, sizeof(eff), &corrupt) < 0)
		return;
	*corrupt_r += (unsigned int)corrupt;
	if (strcmp(def->name, "max_msg_size") == 0)
		(void)hb_policy_number(eff, &out->max_msg_size);
	else if (strcmp(def->name, "max_rcpt") == 0)
		(void)hb_policy_number(eff, &out->max_rcpt);
	else if (strcmp(def->name, "unauth_sender") == 0)
		out->unauth_reject = strcmp(eff, "accept") != 0;
	else if (strcmp(def->name, "user_msgs") == 0)
		rate = &out->user_msgs;
	else if (strcmp(def->name, "user_rcpts") == 0)
		rate = &out->user_rcpts;
	else if (strcmp(def->name, "domain_msgs") == 0)
		rate = &out->domain_msgs;
	else if (strcmp(def->name, "domain_rcpts") == 0)
		rate = &out->domain_rcpts;
	if (rate != NULL && hb_policy_rate(eff, &rate->count, &rate->seconds) < 0)
		rate->count = 0;	/* cannot happen for an effective value: refuse */
}

int policy_from_replies(const redisReply *domain, const redisReply *caps,
			struct domain_policy *out, unsigned int *corrupt_r)
{
	const char *state;

	memset(out, 0, sizeof(*out));
	*corrupt_r = 0;
	if (!is_hash_reply(domain) || !is_hash_reply(caps))
		return -1;
	state = hb_redis_pair_value(domain, "state");
	if (state == NULL)
		return 0;		/* not hosted */
	out->hosted = 1;
	out->suspended = strcmp(state, "active") != 0;
	for (size_t i = 0; i < hb_policy_def_count; i++) {
		if (!hb_policy_defs[i].cap_only)
			apply_value(&hb_policy_defs[i], domain, caps, out, corrupt_r);
	}
	return 0;
}

static int policy_fetch(const struct milter_conf *conf, const char *domain,
			struct domain_policy *out, char *err, size_t err_size)
{
	char dkey[HB_KEY_MAX], ckey[HB_KEY_MAX];
	const char *prefix = conf->set->key_prefix;
	const char *a1[] = { "HGETALL", dkey }, *a2[] = { "HGETALL", ckey };
	size_t l1[2], l2[2];
	struct pool_cmd cmds[2] = { { 2, a1, l1 }, { 2, a2, l2 } };
	redisReply *replies[2];
	unsigned int corrupt = 0;
	int ret;

	if (hb_domain_key(dkey, sizeof(dkey), prefix, HB_DKEY_DOMAIN, domain, NULL) == 0 ||
	    hb_domain_key(ckey, sizeof(ckey), prefix, HB_DKEY_CAPS, domain, NULL) == 0) {
		snprintf(err, err_size, "domain name too long for a key");
		return -1;
	}
	l1[0] = l2[0] = 7;
	l1[1] = strlen(dkey);
	l2[1] = strlen(ckey);
	if (redis_pool_exec(conf, 2, cmds, replies, err, err_size) < 0)
		return -1;
	ret = policy_from_replies(replies[0], replies[1], out, &corrupt);
	if (ret < 0)
		snprintf(err, err_size, "Redis: unexpected reply to HGETALL %.300s%s", dkey,
			 replies[0]->type == REDIS_REPLY_ERROR || replies[1]->type == REDIS_REPLY_ERROR ?
			 " (error reply: check the milter's Redis ACL user)" : "");
	freeReplyObject(replies[0]);
	freeReplyObject(replies[1]);
	if (corrupt > 0) {
		metrics_inc(MC_CORRUPT_VALUES);
		hb_warn("domain %s: %u stored policy value(s) are not valid and were ignored "
			"(default or cap applied); fix them with hbctl policy set", domain, corrupt);
	}
	return ret;
}

int policy_lookup(const struct milter_conf *conf, const char *domain,
		  struct domain_policy *out, char *err, size_t err_size)
{
	long long age = 0;
	int cached = ttl_cache_get(&cache, domain, out, &age) == 0;

	if (cached && age < (long long)conf->set->milter_cache_ttl_ms) {
		metrics_inc(MC_CACHE_HIT);
		return 0;
	}
	metrics_inc(MC_CACHE_MISS);
	if (policy_fetch(conf, domain, out, err, err_size) == 0) {
		ttl_cache_put(&cache, domain, out);
		return 0;
	}
	if (cached && age < (long long)conf->set->milter_stale_ttl_ms &&
	    ttl_cache_get(&cache, domain, out, &age) == 0) {
		metrics_inc(MC_CACHE_STALE);
		return 0;
	}
	return -1;
}
