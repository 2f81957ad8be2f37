/* route-cache.c - a bounded hash table of fast-path answers, with the entries
 * also kept in the order they were stored so that expired ones are dropped
 * from the front as the cache is used (no timer in the auth process). */
#include "route-cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct route_entry {
	struct route_entry *chain;		/* same bucket */
	struct route_entry *older, *newer;	/* storing order */
	long long expires_ms;
	uint32_t hash;
	char *key, *backend, *host, *port;	/* one allocation: text[] */
	char text[];
};

struct route_cache {
	struct route_entry **buckets;
	uint32_t bucket_mask;
	unsigned int count, max_entries;
	struct route_entry *oldest, *newest;
};

/* FNV-1a over "FIELD\tUSER" */
static uint32_t key_hash(const char *field, const char *user)
{
	uint32_t h = 2166136261u;

	for (const char *p = field; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '\t') * 16777619u;
	for (const char *p = user; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static bool key_is(const struct route_entry *e, uint32_t hash, const char *field,
		   const char *user)
{
	size_t flen = strlen(field);

	return e->hash == hash && strncmp(e->key, field, flen) == 0 &&
		e->key[flen] == '\t' && strcmp(e->key + flen + 1, user) == 0;
}

long long route_cache_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct route_cache *route_cache_create(unsigned int max_entries)
{
	struct route_cache *cache = calloc(1, sizeof(*cache));
	uint32_t buckets = 16;

	if (cache == NULL)
		return NULL;
	if (max_entries == 0)
		max_entries = 1;
	/* about two entries per bucket when full */
	while (buckets < max_entries / 2 && buckets < (1u << 20))
		buckets <<= 1;
	cache->buckets = calloc(buckets, sizeof(*cache->buckets));
	if (cache->buckets == NULL) {
		free(cache);
		return NULL;
	}
	cache->bucket_mask = buckets - 1;
	cache->max_entries = max_entries;
	return cache;
}

static void entry_unlink(struct route_cache *cache, struct route_entry *e)
{
	struct route_entry **pp = &cache->buckets[e->hash & cache->bucket_mask];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	/* the ends are told by identity, not by NULL links: the same for a
	 * consistent list, and it keeps oldest/newest provably off a freed entry */
	if (cache->oldest == e)
		cache->oldest = e->newer;
	else
		e->older->newer = e->newer;
	if (cache->newest == e)
		cache->newest = e->older;
	else
		e->newer->older = e->older;
	cache->count--;
	free(e);
}

static void drop_expired(struct route_cache *cache, long long now_ms)
{
	while (cache->oldest != NULL && cache->oldest->expires_ms <= now_ms)
		entry_unlink(cache, cache->oldest);
}

static struct route_entry *find(struct route_cache *cache, uint32_t hash,
				const char *field, const char *user)
{
	struct route_entry *e = cache->buckets[hash & cache->bucket_mask];

	while (e != NULL && !key_is(e, hash, field, user))
		e = e->chain;
	return e;
}

bool route_cache_get(struct route_cache *cache, const char *service_field,
		     const char *user, long long now_ms,
		     struct route_cache_answer *answer_r)
{
	uint32_t hash = key_hash(service_field, user);
	struct route_entry *e;

	drop_expired(cache, now_ms);
	if ((e = find(cache, hash, service_field, user)) == NULL)
		return false;
	if (e->expires_ms <= now_ms) {
		/* stored with a longer TTL than a newer entry at the front */
		entry_unlink(cache, e);
		return false;
	}
	answer_r->backend = e->backend;
	answer_r->host = e->host;
	answer_r->port = e->port;
	return true;
}

static struct route_entry *entry_new(uint32_t hash, const char *field, const char *user,
				     const struct route_cache_answer *a)
{
	size_t flen = strlen(field), ulen = strlen(user), blen = strlen(a->backend);
	size_t hlen = strlen(a->host), plen = strlen(a->port);
	struct route_entry *e = calloc(1, sizeof(*e) + flen + ulen + blen + hlen + plen + 6);

	if (e == NULL)
		return NULL;
	e->hash = hash;
	e->key = e->text;
	memcpy(e->key, field, flen);
	e->key[flen] = '\t';
	memcpy(e->key + flen + 1, user, ulen + 1);
	e->backend = e->key + flen + ulen + 2;
	memcpy(e->backend, a->backend, blen + 1);
	e->host = e->backend + blen + 1;
	memcpy(e->host, a->host, hlen + 1);
	e->port = e->host + hlen + 1;
	memcpy(e->port, a->port, plen + 1);
	return e;
}

void route_cache_put(struct route_cache *cache, const char *service_field,
		     const char *user, const struct route_cache_answer *answer,
		     long long expires_ms, long long now_ms)
{
	uint32_t hash = key_hash(service_field, user);
	struct route_entry *e, *old;

	drop_expired(cache, now_ms);
	if ((old = find(cache, hash, service_field, user)) != NULL)
		entry_unlink(cache, old);
	if (expires_ms <= now_ms)
		return;
	if (cache->count >= cache->max_entries)
		entry_unlink(cache, cache->oldest);
	if ((e = entry_new(hash, service_field, user, answer)) == NULL)
		return;
	e->expires_ms = expires_ms;
	e->chain = cache->buckets[hash & cache->bucket_mask];
	cache->buckets[hash & cache->bucket_mask] = e;
	e->older = cache->newest;
	if (cache->newest != NULL)
		cache->newest->newer = e;
	else
		cache->oldest = e;
	cache->newest = e;
	cache->count++;
}

void route_cache_clear(struct route_cache *cache)
{
	while (cache->oldest != NULL)
		entry_unlink(cache, cache->oldest);
}

unsigned int route_cache_forget_backend(struct route_cache *cache,
					const char *name)
{
	struct route_entry *e = cache->oldest, *next;
	unsigned int count = 0;

	while (e != NULL) {
		next = e->newer;
		if (strcmp(e->backend, name) == 0) {
			entry_unlink(cache, e);
			count++;
		}
		e = next;
	}
	return count;
}

unsigned int route_cache_count(const struct route_cache *cache)
{
	return cache->count;
}

void route_cache_destroy(struct route_cache **_cache)
{
	struct route_cache *cache = *_cache;

	if (cache == NULL)
		return;
	*_cache = NULL;
	route_cache_clear(cache);
	free(cache->buckets);
	free(cache);
}
