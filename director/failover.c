/* failover.c - kicks and fence after a backend failed.  A user must never be
 * open on two backends: its users wait behind the fence (set by the health
 * script) until nothing can run there any more, and never longer than the
 * fence.  Nothing here touches assignments; reassign.c moves the users once
 * the fence is over. */
#include "hb-config-auto.h"
#include "director.h"
#include "failover.h"
#include "health.h"
#include "kick.h"
#include "redis.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <stdio.h>

static void ignore_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
}

static void clear_fence(struct director *d, const char *name)
{
	char key[HB_KEY_MAX];

	if (hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_BACKEND, name) == 0)
		return;
	const char *argv[] = { "HDEL", key, "fence_until" };
	director_redis_call(d, 3, argv, ignore_reply, NULL);
}

unsigned int failover_fence_ms(const struct director *d, const char *backend)
{
	const struct hb_backend *b = director_backend(d, backend);
	unsigned int cache_wait = hb_route_cache_wait_ms(d->set->route_cache_ttl_ms);

	if (b == NULL || !kick_available(d) || b->ports[HB_SERVICE_DOVEADM] == 0)
		return cache_wait;	/* nothing to kick: the caches expire */
	return cache_wait + d->set->kick_timeout_ms;
}

/* The last kick: once it succeeded, or nothing answers on the doveadm port
 * (the node is dead), nothing of its users runs there and none can be
 * routed there any more; otherwise they wait until the fence expires. */
static void on_final_kick(struct director *d, const char *name,
			  enum kick_result result, const char *detail)
{
	switch (result) {
	case KICK_DONE:
	case KICK_UNREACHABLE:
		hb_info("backend %s: %s; its users may log in elsewhere now", name, detail);
		clear_fence(d, name);
		health_kick_owed(d->health, name, 0);
		break;
	case KICK_TIMEOUT:
	case KICK_REFUSED:
		hb_warn("backend %s: %s; its users wait until the fence expires, and its "
			"sessions are kicked when it answers again", name, detail);
		health_kick_owed(d->health, name, 1);
		break;
	}
}

/* The first kick of a backend proven dead, sent at once.  Unreachable: the
 * whole node is gone, and a cached answer naming it can only fail; lift the
 * fence now.  Answered: part of it still runs (one service died), so a
 * cached answer could still open a session there: kick once more when the
 * answer caches have expired, as for any other failover. */
static void on_dead_kick(struct director *d, const char *name,
			 enum kick_result result, const char *detail)
{
	const struct hb_backend *b = director_backend(d, name);

	if (result != KICK_DONE || b == NULL) {
		on_final_kick(d, name, result, detail);
		return;
	}
	hb_info("backend %s: %s, but its doveadm API still answers: kicking again after the "
		"answer caches expired", name, detail);
	kick_all(d, name, b->host, b->ports[HB_SERVICE_DOVEADM],
		 hb_route_cache_wait_ms(d->set->route_cache_ttl_ms), on_final_kick);
}

void failover_begin(struct director *d, const char *backend, const char *host,
		    unsigned int doveadm_port, enum failover_kind kind)
{
	if (doveadm_port == 0 || !kick_available(d))
		return;		/* the fence is the answer caches' wait and expires */
	if (kind == FAILOVER_DEAD)
		kick_all(d, backend, host, doveadm_port, 0, on_dead_kick);
	else
		kick_all(d, backend, host, doveadm_port,
			 hb_route_cache_wait_ms(d->set->route_cache_ttl_ms), on_final_kick);
}

void failover_kick_again(struct director *d, const char *backend)
{
	const struct hb_backend *b = director_backend(d, backend);

	if (b == NULL || b->ports[HB_SERVICE_DOVEADM] == 0 || !kick_available(d))
		return;
	hb_info("backend %s answers again after a failover whose kick did not get through: "
		"kicking its sessions", backend);
	kick_all(d, backend, b->host, b->ports[HB_SERVICE_DOVEADM], 0, on_final_kick);
}
