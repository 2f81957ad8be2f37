/* route-cache-wait.c - hbctl's side of the passdb modules' answer cache
 * (docs/DESIGN.md 4): before a move or a down kicks anybody, it waits until
 * every answer cached before the change has expired, so that no frontend
 * sends a login to the old backend after the kick.  The wait is the longer
 * of this configuration's route_cache_ttl and the one the directors publish
 * (which the modules use), so a mismatch errs on the safe side. */
#include "hbctl.h"
#include "hb-settings.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* The directors' route_cache_ttl_ms from P routing; 0 if none is there. */
static int published_ttl_ms(struct hbctl *ctx, unsigned long long *ms_r)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	char *end;
	int ret;

	*ms_r = 0;
	const char *argv[] = { "HGET", hbctl_key(ctx, key, sizeof(key), HB_KEY_ROUTING, NULL),
			       "route_cache_ttl_ms" };
	if ((ret = hbctl_cmd(ctx, &reply, 3, argv)) != HBCTL_EXIT_OK)
		return ret;
	if (reply->type == REDIS_REPLY_STRING) {
		errno = 0;
		*ms_r = strtoull(reply->str, &end, 10);
		if (errno != 0 || *end != '\0' || *ms_r > 3600000)
			ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "P routing has an invalid "
					 "route_cache_ttl_ms: %.40s", reply->str);
	}
	freeReplyObject(reply);
	return ret;
}

int hbctl_route_cache_wait_ms(struct hbctl *ctx, unsigned int *wait_ms_r)
{
	unsigned long long published;
	unsigned int ttl = ctx->set->route_cache_ttl_ms;
	int ret;

	if ((ret = published_ttl_ms(ctx, &published)) != HBCTL_EXIT_OK)
		return ret;
	if (published > ttl)
		ttl = (unsigned int)published;
	*wait_ms_r = hb_route_cache_wait_ms(ttl);
	return HBCTL_EXIT_OK;
}

void hbctl_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
