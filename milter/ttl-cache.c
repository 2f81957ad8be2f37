/* ttl-cache.c - see ttl-cache.h. */
#include "ttl-cache.h"
#include "milter.h"

#include <stdlib.h>
#include <string.h>

struct ttl_entry {
	struct ttl_entry *next;
	long long stored_ms;
	char *key;
	unsigned char value[];
};

static unsigned int bucket_of(const char *key)
{
	unsigned int h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % TTL_CACHE_BUCKETS;
}

static void clear_locked(struct ttl_cache *cache)
{
	for (unsigned int i = 0; i < TTL_CACHE_BUCKETS; i++) {
		while (cache->buckets[i] != NULL) {
			struct ttl_entry *e = cache->buckets[i];
			cache->buckets[i] = e->next;
			free(e->key);
			free(e);
		}
	}
	cache->count = 0;
}

void ttl_cache_clear(struct ttl_cache *cache)
{
	pthread_mutex_lock(&cache->lock);
	clear_locked(cache);
	pthread_mutex_unlock(&cache->lock);
}

static struct ttl_entry *find(struct ttl_cache *cache, const char *key)
{
	for (struct ttl_entry *e = cache->buckets[bucket_of(key)]; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

int ttl_cache_get(struct ttl_cache *cache, const char *key, void *out, long long *age_ms_r)
{
	struct ttl_entry *e;

	pthread_mutex_lock(&cache->lock);
	e = find(cache, key);
	if (e != NULL) {
		memcpy(out, e->value, cache->value_size);
		*age_ms_r = milter_now_ms() - e->stored_ms;
	}
	pthread_mutex_unlock(&cache->lock);
	return e != NULL ? 0 : -1;
}

void ttl_cache_put(struct ttl_cache *cache, const char *key, const void *value)
{
	struct ttl_entry *e;

	pthread_mutex_lock(&cache->lock);
	e = find(cache, key);
	if (e == NULL) {
		if (cache->count >= cache->max_entries)
			clear_locked(cache);	/* rare: many keys seen; start over */
		e = malloc(sizeof(*e) + cache->value_size);
		if (e == NULL || (e->key = strdup(key)) == NULL) {
			free(e);
			pthread_mutex_unlock(&cache->lock);
			return;		/* not cached: the next lookup asks Redis */
		}
		unsigned int b = bucket_of(key);
		e->next = cache->buckets[b];
		cache->buckets[b] = e;
		cache->count++;
	}
	memcpy(e->value, value, cache->value_size);
	e->stored_ms = milter_now_ms();
	pthread_mutex_unlock(&cache->lock);
}
