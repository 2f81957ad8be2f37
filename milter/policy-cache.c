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

/* Store DEF's effective value into OUT; counts corrupt stored values.  The
 * effective value is valid by construction (bounded, a period of at most a
 * day), so the rate script always accepts it. */
static void apply_value(const struct hb_policy_def *def, const redisReply *policy,
			const redisReply *caps, struct domain_policy *out, unsigned int *corrupt_r)
{
	char eff[HB_POLICY_VALUE_MAX];
	int corrupt = 0;
	struct policy_rate *rate = NULL;

	if (hb_policy_effective(def, hb_redis_pair_value(policy, def->name), hb_redis_pair_value(caps, def->name),
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

int policy_from_replies(const redisReply *domain, const redisReply *policy,
			const redisReply *caps, struct domain_policy *out,
			unsigned int *corrupt_r)
{
	const char *state;

	memset(out, 0, sizeof(*out));
	*corrupt_r = 0;
	if (!is_hash_reply(domain) || !is_hash_reply(policy) || !is_hash_reply(caps))
		return -1;
	state = hb_redis_pair_value(domain, "state");
	if (state == NULL)
		return 0;		/* not hosted */
	out->hosted = 1;
	out->suspended = strcmp(state, "active") != 0;
	for (size_t i = 0; i < hb_policy_def_count; i++) {
		if (!hb_policy_defs[i].cap_only)
			apply_value(&hb_policy_defs[i], policy, caps, out, corrupt_r);
	}
	return 0;
}

static int policy_fetch(const struct milter_conf *conf, const char *domain,
			struct domain_policy *out, char *err, size_t err_size)
{
	static const enum hb_domain_key_kind kinds[3] = { HB_DKEY_DOMAIN, HB_DKEY_POLICY, HB_DKEY_CAPS };
	char keys[3][HB_KEY_MAX];
	const char *argv[3][2];
	size_t lens[3][2];
	struct pool_cmd cmds[3];
	redisReply *replies[3];
	unsigned int corrupt = 0;
	int ret, err_reply = 0;

	for (int i = 0; i < 3; i++) {
		if (hb_domain_key(keys[i], sizeof(keys[i]), conf->set->key_prefix, kinds[i],
				  domain, NULL) == 0) {
			snprintf(err, err_size, "domain name too long for a key");
			return -1;
		}
		argv[i][0] = "HGETALL";
		argv[i][1] = keys[i];
		lens[i][0] = 7;
		lens[i][1] = strlen(keys[i]);
		cmds[i] = (struct pool_cmd){ 2, argv[i], lens[i] };
	}
	if (redis_pool_exec(conf, 3, cmds, replies, err, err_size) < 0)
		return -1;
	ret = policy_from_replies(replies[0], replies[1], replies[2], out, &corrupt);
	for (int i = 0; i < 3; i++) {
		err_reply |= replies[i]->type == REDIS_REPLY_ERROR;
		freeReplyObject(replies[i]);
	}
	if (ret < 0)
		snprintf(err, err_size, "Redis: unexpected reply to HGETALL %.300s%s", keys[0],
			 err_reply ? " (error reply: check the milter's Redis ACL user)" : "");
	if (corrupt > 0) {
		metrics_inc(MC_CORRUPT_VALUES);
		hb_warn("domain %s: %u stored policy value(s) or cap(s) are not valid and were "
			"replaced (a value by its default, a cap by the built-in default; never "
			"above the cap); fix them with hbctl policy set or caps set", domain, corrupt);
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
