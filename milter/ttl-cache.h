/* ttl-cache.h - a small thread-safe map from a string key to a fixed-size
 * value with the time it was stored, for what the milter may reuse for a
 * few seconds (domain policy, sender rights).  One mutex, held only while a
 * value is copied in or out; when full it starts over empty. */
#ifndef TTL_CACHE_H
#define TTL_CACHE_H

#include <pthread.h>
#include <stddef.h>

#define TTL_CACHE_BUCKETS 1024

struct ttl_cache {
	pthread_mutex_t lock;
	struct ttl_entry *buckets[TTL_CACHE_BUCKETS];
	unsigned int count, max_entries;
	size_t value_size;
};

#define TTL_CACHE_INIT(value_type, max) \
	{ PTHREAD_MUTEX_INITIALIZER, { NULL }, 0, (max), sizeof(value_type) }

/* Copy KEY's value into OUT (value_size bytes) and its age in ms into
 * *AGE_MS_R.  Returns 0, or -1 when KEY is not cached. */
int ttl_cache_get(struct ttl_cache *cache, const char *key, void *out, long long *age_ms_r);
/* Store VALUE (value_size bytes) for KEY, now. */
void ttl_cache_put(struct ttl_cache *cache, const char *key, const void *value);
void ttl_cache_clear(struct ttl_cache *cache);

#endif
