/* redis-route.h - the passdb module's fast path (docs/AUTH-MODULE.md): a user
 * with a live assignment to a usable backend is answered straight from Redis
 * by the route_known script, one round trip and no director on the way.
 * Everything else (a new user, a move, a backend going away, Redis trouble)
 * is answered "ask a director", which alone assigns, moves and waits.
 * Answers are reused for the directors' route_cache_ttl (route-cache.h), and
 * dropped at once when the directors publish a health change of their
 * backend (redis-subscriber.h, route-event.h). */
#ifndef REDIS_ROUTE_H
#define REDIS_ROUTE_H

#include "redis-client.h"

struct redis_route;

struct redis_route_answer {
	bool routed;			/* FALSE: ask a director, see WHY */
	bool cached;			/* from the answer cache, not Redis */
	const char *backend, *host, *port;
	const char *why;
};

/* Called exactly once, possibly before redis_route_start() returns; ANSWER
   is valid only during the call. */
typedef void redis_route_callback_t(const struct redis_route_answer *answer,
				    void *context);

struct redis_route_config {
	struct redis_client_settings redis;
	const char *key_prefix;
};

/* Read Redis access and key_prefix from the Hummingbird configuration file
   PATH (the one the director reads) and the password file it names, at
   preinit while still root.  Fails with *ERROR_R on any error. */
int redis_route_config_load(pool_t pool, const char *path,
			    struct redis_route_config *config_r,
			    const char **error_r);

/* Also subscribes to the directors' health events (P events, its own
   connection): answers are cached only while that subscription holds.  Log
   lines of the cache's events go to a child of PARENT. */
struct redis_route *redis_route_create(const struct redis_route_config *config,
				       struct event *parent);
void redis_route_destroy(struct redis_route **route);

/* Route USER (as the client logged in) for Dovecot SERVICE. */
void redis_route_start(struct redis_route *route, const char *user,
		       const char *service, redis_route_callback_t *callback,
		       void *context);

#endif
