/* lock-publish.c - `hbctl locks --publish BACKEND`: the census summary of
 * this node goes to Redis (P pressure:BACKEND, expiring after --publish-ttl)
 * where the director's health checks read it: a backend whose census is at
 * warn or crit becomes degraded (docs/DESIGN.md 5, docs/LOCKS.md). */
#include "hbctl.h"
#include "lock-census.h"
#include "hb-scripts.h"
#include "hb-settings.h"

#include <stdio.h>
#include <string.h>

/* the census runs every 15 s from the shipped timer: three missed runs
 * and the director stops believing the last one */
#define PUBLISH_TTL_DEFAULT_S 60

static void join_reasons(const struct lock_census *c, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (c->status == LC_UNKNOWN && c->error_count > 0) {
		snprintf(buf, size, "census incomplete: %.150s", c->errors[0]);
		return;
	}
	for (unsigned int i = 0; i < c->reason_count && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "",
					c->reasons[i]);
	if (c->reason_count == 0)
		snprintf(buf, size, "%u held, %u waiting", c->held, c->waiting);
}

int lock_census_publish(struct hbctl *ctx, const struct lock_census *c, long long now)
{
	const struct hbctl_census_args *a = &ctx->args->census;
	char reason[HB_REASON_MAX + 1], held[16], waiting[16], oldest[24], now_s[24], ttl[24];
	redisReply *reply;
	int ret;

	join_reasons(c, reason, sizeof(reason));
	snprintf(held, sizeof(held), "%u", c->held);
	snprintf(waiting, sizeof(waiting), "%u", c->waiting);
	snprintf(oldest, sizeof(oldest), "%lld", c->oldest_dotlock_secs);
	snprintf(now_s, sizeof(now_s), "%lld", now);
	snprintf(ttl, sizeof(ttl), "%llu", 1000ULL * (a->publish_ttl != 0 ?
						     a->publish_ttl : PUBLISH_TTL_DEFAULT_S));
	const char *argv[] = { a->publish, lock_census_status_name(c->status), reason,
			       held, waiting, oldest, now_s, ttl };
	ret = hbctl_eval(ctx, &reply, hb_script_pressure, 8, argv);
	if (reply != NULL)
		freeReplyObject(reply);
	if (ret != HBCTL_EXIT_OK) {
		char why[HBCTL_ERR_MAX];
		snprintf(why, sizeof(why), "%s", ctx->err);
		hbctl_fail(ctx, ret, "publishing the census of backend %s to Redis failed: %s",
			   a->publish, why);
		return -1;
	}
	return 0;
}
