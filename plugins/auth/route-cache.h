/* route-cache.h - the passdb module's short-lived memory of fast-path answers
 * (docs/AUTH-MODULE.md, "The answer cache"): USER for SERVICE went to
 * BACKEND at HOST:PORT, valid until a deadline on the monotonic clock that
 * the caller computed from the moment it asked Redis.  Everything that takes
 * a user away from a backend waits out route_cache_ttl first
 * (docs/DESIGN.md 4), so an answer is never used after it became wrong; the
 * directors' health events drop answers earlier (route_cache_forget_backend).
 * Plain C without Dovecot's lib, so that it is unit-tested on its own. */
#ifndef ROUTE_CACHE_H
#define ROUTE_CACHE_H

#include <stdbool.h>

struct route_cache;

struct route_cache_answer {
	const char *backend, *host, *port;	/* valid until the next call */
};

/* At most MAX_ENTRIES answers are kept (the oldest goes first); NULL when
   out of memory. */
struct route_cache *route_cache_create(unsigned int max_entries);
void route_cache_destroy(struct route_cache **cache);

/* TRUE with *ANSWER_R when SERVICE_FIELD/USER has an answer valid at NOW_MS. */
bool route_cache_get(struct route_cache *cache, const char *service_field,
		     const char *user, long long now_ms,
		     struct route_cache_answer *answer_r);

/* Remember an answer until EXPIRES_MS (nothing is kept when that is not
   after NOW_MS, or when memory runs out: the cache only saves work). */
void route_cache_put(struct route_cache *cache, const char *service_field,
		     const char *user, const struct route_cache_answer *answer,
		     long long expires_ms, long long now_ms);

/* Forget everything (the directors' user normalisation changed, the health
   events said "all", or the module stopped hearing them). */
void route_cache_clear(struct route_cache *cache);

/* Forget every answer naming backend NAME (a health event said it changed);
   returns how many.  A scan of the whole cache: such events are rare. */
unsigned int route_cache_forget_backend(struct route_cache *cache,
					const char *name);

unsigned int route_cache_count(const struct route_cache *cache);

/* CLOCK_MONOTONIC in milliseconds. */
long long route_cache_now_ms(void);

#endif
