/* ratelimit.c - the per-login and per-domain rate limits of an
 * authenticated submission: messages and recipients per period, all four
 * checked and consumed together by one atomic script (lib/hb-scripts-policy.c),
 * so several Postfix nodes sharing one Redis never let more through than
 * the limit allows, and a refused message consumes nothing. */
#include "checks.h"
#include "milter.h"
#include "redis-pool.h"
#include "hb-keys.h"
#include "hb-scripts-policy.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct pool_script script;
static pthread_once_t script_once = PTHREAD_ONCE_INIT;

static void script_setup(void)
{
	pool_script_init(&script, hb_script_ratelimit, 0);
}

struct rate_check {
	const char *name;	/* the policy value, for replies */
	const char *unit;	/* "messages" or "recipients" */
	const char *subject;	/* login or domain */
	const struct policy_rate *rate;
	long long cost;
	char key[HB_KEY_MAX];
};

static const char *period_name(long long seconds, char *buf, size_t size)
{
	if (seconds == 3600)
		return "hour";
	if (seconds == 60)
		return "minute";
	if (seconds == 86400)
		return "day";
	if (seconds == 1)
		return "second";
	snprintf(buf, size, "%lld seconds", seconds);
	return buf;
}

static void refuse(const struct rate_check *c, long long retry_ms, struct verdict *v)
{
	char pbuf[32];
	const char *period = period_name(c->rate->seconds, pbuf, sizeof(pbuf));

	if (c->rate->count == 0)
		verdict_set(v, "550", "5.7.1", MC_REFUSE_RATE,
			    "Sending is disabled for %s by policy (%s = 0)", c->subject, c->name);
	else if (retry_ms < 0)
		verdict_set(v, "550", "5.7.1", MC_REFUSE_RATE,
			    "This message has %lld %s; %s allows at most %lld per %s",
			    c->cost, c->unit, c->name, c->rate->count, period);
	else
		verdict_set(v, "450", "4.7.1", MC_REFUSE_RATE,
			    "Rate limit %s reached for %s (%lld %s per %s); try again in %lld s",
			    c->name, c->subject, c->rate->count, c->unit, period,
			    (retry_ms + 999) / 1000);
}

/* Fill CHECKS with the limits that apply (unlimited ones are left out). */
static unsigned int collect(const struct milter_conf *conf, const struct msg_state *m,
			    struct rate_check *checks)
{
	const struct domain_policy *p = &m->login_policy;
	const struct rate_check all[4] = {
		{ "user_msgs", "messages", m->login, &p->user_msgs, 1, "" },
		{ "user_rcpts", "recipients", m->login, &p->user_rcpts, m->rcpts, "" },
		{ "domain_msgs", "messages", m->login_domain, &p->domain_msgs, 1, "" },
		{ "domain_rcpts", "recipients", m->login_domain, &p->domain_rcpts, m->rcpts, "" },
	};
	unsigned int n = 0;

	for (unsigned int i = 0; i < 4; i++) {
		if (all[i].rate->count < 0 || all[i].cost <= 0)
			continue;
		checks[n] = all[i];
		if (hb_ratelimit_key(conf->set->key_prefix, all[i].name, all[i].subject,
				     checks[n].key, sizeof(checks[n].key)) == 0)
			continue;	/* cannot happen for a normalised subject */
		n++;
	}
	return n;
}

void check_rates(const struct milter_conf *conf, const struct msg_state *m, struct verdict *v)
{
	struct rate_check checks[4];
	struct hb_ratelimit_check rl[4];
	const char *argv[HB_RATELIMIT_ARGV_MAX];
	size_t lens[HB_RATELIMIT_ARGV_MAX];
	char numbuf[HB_RATELIMIT_NUMBUF_SIZE], err[256];
	const char *error = NULL;
	unsigned int n, argc, index;
	long long retry_ms;
	int allowed;
	redisReply *r;

	n = collect(conf, m, checks);
	for (unsigned int i = 0; i < n; i++) {
		if (checks[i].rate->count == 0 || checks[i].cost > checks[i].rate->count) {
			refuse(&checks[i], -1, v);
			return;
		}
		rl[i] = (struct hb_ratelimit_check){ checks[i].key, checks[i].rate->count,
						      checks[i].rate->seconds, checks[i].cost };
	}
	if (n == 0)
		return;
	pthread_once(&script_once, script_setup);
	if (hb_ratelimit_argv(script.sha[0] != '\0' ? script.sha : NULL, rl, n, argv, lens,
			      numbuf, sizeof(numbuf), &argc, &error) < 0) {
		verdict_redis_failed(conf, v, "rate limits", error);
		return;
	}
	/* hb_ratelimit_argv fills the command and script itself: hand the
	 * arguments after them to the pool, which adds EVALSHA + sha */
	r = redis_pool_script(conf, &script, (int)argc - 2, argv + 2, lens + 2, err, sizeof(err));
	if (r == NULL) {
		verdict_redis_failed(conf, v, "rate limits", err);
		return;
	}
	if (hb_ratelimit_parse_reply(r, &allowed, &index, &retry_ms, &error) < 0 ||
	    (!allowed && (index < 1 || index > n))) {
		snprintf(err, sizeof(err), "%s", error != NULL ? error : "index out of range");
		freeReplyObject(r);
		verdict_redis_failed(conf, v, "rate limits", err);
		return;
	}
	freeReplyObject(r);
	if (!allowed)
		refuse(&checks[index - 1], retry_ms, v);
}
