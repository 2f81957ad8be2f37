/* housekeeping.c - periodic work of the director.  Everything here is a
 * fire-and-forget Redis call: a failure only means "try again next second". */
#include "hb-config-auto.h"
#include "director.h"
#include "housekeeping.h"
#include "health.h"
#include "metrics.h"
#include "redis.h"
#include "table.h"
#include "hb-keys.h"

#include <stdio.h>
#include <time.h>

#define TICK_MS 1000
#define HEARTBEAT_TTL_MS "10000"
#define PRUNE_EVERY_TICKS 60

static unsigned long long tick_count;

static void ignore_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
}

static void heartbeat(struct director *d)
{
	char key[HB_KEY_MAX], started[24], seen[24], lookups[24];

	if (hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_DIRECTOR, d->instance_id) == 0)
		return;
	snprintf(started, sizeof(started), "%lld", d->started);
	snprintf(seen, sizeof(seen), "%lld", (long long)time(NULL));
	snprintf(lookups, sizeof(lookups), "%llu", metrics_lookups_total(d->metrics));
	const char *hset[] = { "HSET", key, "started", started, "seen", seen,
			       "version", DIRECTOR_VERSION, "lookups", lookups,
			       "health_lease", health_lease_held(d->health) ? "1" : "0" };
	const char *expire[] = { "PEXPIRE", key, HEARTBEAT_TTL_MS };
	director_redis_call(d, 12, hset, ignore_reply, NULL);
	director_redis_call(d, 3, expire, ignore_reply, NULL);
}

/* The settings the passdb module's fast path must share with the directors
 * (docs/DESIGN.md 1); every tick, so that a flushed Redis has them again. */
static void publish_routing(struct director *d)
{
	char key[HB_KEY_MAX], expire[24], cache_ttl[24];

	if (hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_ROUTING, NULL) == 0)
		return;
	snprintf(expire, sizeof(expire), "%u", d->set->user_expire_s);
	snprintf(cache_ttl, sizeof(cache_ttl), "%u", d->set->route_cache_ttl_ms);
	const char *hset[] = { "HSET", key, "user_expire", expire,
			       "recipient_delimiter", d->set->recipient_delimiter,
			       "route_cache_ttl_ms", cache_ttl };
	director_redis_call(d, 8, hset, ignore_reply, NULL);
}

/* Drop users whose assignment expired from the per-backend sets, so that
 * "backend users" and the assignment gauges stay exact and the sets bounded. */
static void prune_assignments(struct director *d)
{
	char key[HB_KEY_MAX], max[24];

	snprintf(max, sizeof(max), "(%lld", (long long)time(NULL) - d->set->user_expire_s);
	for (size_t i = 0; i < d->table.count; i++) {
		if (hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_BACKEND_USERS,
			   d->table.backends[i].name) == 0)
			continue;
		const char *argv[] = { "ZREMRANGEBYSCORE", key, "-inf", max };
		director_redis_call(d, 4, argv, ignore_reply, NULL);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct director *d = arg;

	if (!director_redis_usable(d))
		return;
	table_refresh(d);
	health_lease_tick(d->health);
	heartbeat(d);
	publish_routing(d);
	if (++tick_count % PRUNE_EVERY_TICKS == 0 && health_lease_held(d->health))
		prune_assignments(d);
}

void housekeeping_start(struct director *d)
{
	struct timeval tv = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };

	d->tick_timer = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	event_add(d->tick_timer, &tv);
}

void housekeeping_stop(struct director *d)
{
	if (d->tick_timer != NULL) {
		event_free(d->tick_timer);
		d->tick_timer = NULL;
	}
}
