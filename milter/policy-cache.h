/* policy-cache.h - a hosted domain's effective policy as the milter applies
 * it (docs/DOMAINS.md 4: the stricter of the domain value or default and the
 * operator cap, rates on each axis, computed here on every read so a corrupt
 * or out-of-range stored value never lifts a cap and every rate stays within
 * what the rate script enforces),
 * kept for milter_cache_ttl and, while Redis is unreachable, served for up
 * to milter_stale_ttl. */
#ifndef POLICY_CACHE_H
#define POLICY_CACHE_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct milter_conf;

struct policy_rate {
	long long count;	/* -1: unlimited */
	long long seconds;
};

struct domain_policy {
	int hosted;		/* 0: not a hosted domain, nothing else is set */
	int suspended;
	long long max_msg_size;	/* bytes, -1 unlimited */
	long long max_rcpt;	/* -1 unlimited */
	struct policy_rate user_msgs, user_rcpts, domain_msgs, domain_rcpts;
	int unauth_reject;	/* unauth_sender = reject */
};

/* DOMAIN's (A-label) policy into OUT.  Returns 0, or -1 with ERR when Redis
 * failed and no cached copy young enough is left. */
int policy_lookup(const struct milter_conf *conf, const char *domain,
		  struct domain_policy *out, char *err, size_t err_size);

/* Build OUT from the replies of HGETALL P d:DOM (its state), HGETALL
 * P d:DOM:policy (the domain's values) and HGETALL P caps:DOM (docs/DOMAINS.md
 * 2).  Sets *CORRUPT_R to the number of stored values and caps that were not
 * valid and were replaced (hb_policy_effective()).  Returns -1 when a reply is
 * not an array of field/value strings. */
int policy_from_replies(const redisReply *domain, const redisReply *policy,
			const redisReply *caps, struct domain_policy *out,
			unsigned int *corrupt_r);

/* Forget every cached policy (after a reload). */
void policy_cache_clear(void);

#endif
