/* cache.h - bounded in-memory map user -> backend name, filled by every
 * successful lookup and used only when Redis is unreachable (degraded mode). */
#ifndef DIRECTOR_CACHE_H
#define DIRECTOR_CACHE_H

#include <stddef.h>

struct user_cache;

/* SIZE slots (0 disables the cache).  Returns NULL on allocation failure. */
struct user_cache *user_cache_create(size_t size);
void user_cache_destroy(struct user_cache **cache);
void user_cache_put(struct user_cache *cache, const char *user, const char *backend);
/* The cached backend name or NULL; valid until the next put. */
const char *user_cache_get(const struct user_cache *cache, const char *user);
size_t user_cache_count(const struct user_cache *cache);

#endif
