/* cache.c - direct-mapped, fixed-size user -> backend cache.  A colliding put
 * replaces the older entry: memory stays bounded by cache_size no matter how
 * many users log in, and both operations are O(1). */
#include "cache.h"
#include "hb-backend.h"
#include "hb-hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cache_slot {
	char *user;
	char backend[HB_BACKEND_NAME_MAX + 1];
};

struct user_cache {
	struct cache_slot *slots;
	size_t mask;
	size_t count;
};

struct user_cache *user_cache_create(size_t size)
{
	struct user_cache *cache = calloc(1, sizeof(*cache));
	size_t slots = 1;

	if (cache == NULL)
		return NULL;
	if (size == 0)
		return cache;
	while (slots < size)
		slots <<= 1;
	cache->slots = calloc(slots, sizeof(*cache->slots));
	if (cache->slots == NULL) {
		free(cache);
		return NULL;
	}
	cache->mask = slots - 1;
	return cache;
}

void user_cache_destroy(struct user_cache **_cache)
{
	struct user_cache *cache = *_cache;

	if (cache == NULL)
		return;
	if (cache->slots != NULL) {
		for (size_t i = 0; i <= cache->mask; i++)
			free(cache->slots[i].user);
		free(cache->slots);
	}
	free(cache);
	*_cache = NULL;
}

static struct cache_slot *slot_for(const struct user_cache *cache, const char *user)
{
	return &cache->slots[hb_hash64(user, strlen(user), 0x68756d6d) & cache->mask];
}

void user_cache_put(struct user_cache *cache, const char *user, const char *backend)
{
	struct cache_slot *slot;

	if (cache->slots == NULL)
		return;
	slot = slot_for(cache, user);
	if (slot->user == NULL || strcmp(slot->user, user) != 0) {
		char *copy = strdup(user);
		if (copy == NULL)
			return; /* a cache may forget */
		if (slot->user == NULL)
			cache->count++;
		free(slot->user);
		slot->user = copy;
	}
	snprintf(slot->backend, sizeof(slot->backend), "%s", backend);
}

const char *user_cache_get(const struct user_cache *cache, const char *user)
{
	const struct cache_slot *slot;

	if (cache->slots == NULL)
		return NULL;
	slot = slot_for(cache, user);
	return slot->user != NULL && strcmp(slot->user, user) == 0 ? slot->backend : NULL;
}

size_t user_cache_count(const struct user_cache *cache)
{
	return cache->count;
}
