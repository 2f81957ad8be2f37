/* limiter.c - the fixed table of limiter.h: open addressing over
 * ADMIND_LIMITER_SLOTS slots with a short probe; when every probed slot is
 * taken, the one idle longest is reused. */
#include "limiter.h"
#include "hb-hash.h"

#include <stdlib.h>
#include <string.h>

#define PROBES 8

struct slot {
	char key[ADMIND_LIMITER_KEY_MAX];
	long long failures;
	long long last_ms;		/* last failure */
	long long locked_until;
};

struct admind_limiter {
	struct slot slots[ADMIND_LIMITER_SLOTS];
	uint64_t seed;
};

struct admind_limiter *admind_limiter_create(void)
{
	struct admind_limiter *lim = calloc(1, sizeof(*lim));

	if (lim != NULL)
		lim->seed = (uint64_t)(uintptr_t)lim;	/* differs per process */
	return lim;
}

void admind_limiter_destroy(struct admind_limiter **lim)
{
	free(*lim);
	*lim = NULL;
}

long long admind_lock_ms(long long failures, unsigned int threshold,
			 unsigned int base_ms, unsigned int max_ms)
{
	long long lock = base_ms;

	if (failures < (long long)threshold)
		return 0;
	for (long long i = threshold; i < failures && lock < max_ms; i++)
		lock *= 2;
	return lock < max_ms ? lock : max_ms;
}

/* KEY's slot, or (CREATE) a free or the stalest probed one, emptied. */
static struct slot *find(struct admind_limiter *lim, const char *key, int create)
{
	size_t len = strnlen(key, ADMIND_LIMITER_KEY_MAX - 1);
	size_t start = (size_t)(hb_hash64(key, len, lim->seed) % ADMIND_LIMITER_SLOTS);
	struct slot *victim = NULL;

	for (size_t i = 0; i < PROBES; i++) {
		struct slot *s = &lim->slots[(start + i) % ADMIND_LIMITER_SLOTS];

		if (s->key[0] == '\0') {
			if (victim == NULL || victim->key[0] != '\0')
				victim = s;	/* the first free slot */
			continue;
		}
		if (strncmp(s->key, key, len) == 0 && s->key[len] == '\0')
			return s;
		if (victim == NULL || (victim->key[0] != '\0' && s->last_ms < victim->last_ms))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, len);
	return victim;
}

long long admind_limiter_locked(struct admind_limiter *lim, const char *key, long long now_ms)
{
	struct slot *s = find(lim, key, 0);

	return s != NULL && s->locked_until > now_ms ? s->locked_until : 0;
}

long long admind_limiter_fail(struct admind_limiter *lim, const char *key, long long now_ms,
			      unsigned int threshold, unsigned int base_ms, unsigned int max_ms)
{
	struct slot *s = find(lim, key, 1);
	long long lock;

	if (s->last_ms != 0 && now_ms - s->last_ms > (long long)max_ms && s->locked_until <= now_ms)
		s->failures = 0;
	s->failures++;
	s->last_ms = now_ms;
	lock = admind_lock_ms(s->failures, threshold, base_ms, max_ms);
	if (lock > 0)
		s->locked_until = now_ms + lock;
	return lock > 0 ? s->locked_until : 0;
}

long long admind_limiter_failures(struct admind_limiter *lim, const char *key, long long now_ms,
				  long long window_ms)
{
	struct slot *s = find(lim, key, 0);

	return s != NULL && now_ms - s->last_ms <= window_ms ? s->failures : 0;
}

long long admind_limiter_count(struct admind_limiter *lim, const char *key, long long now_ms,
			       long long window_ms)
{
	struct slot *s = find(lim, key, 1);

	if (now_ms - s->last_ms > window_ms)
		s->failures = 0;
	s->failures++;
	s->last_ms = now_ms;
	return s->failures;
}

void admind_limiter_clear(struct admind_limiter *lim, const char *key)
{
	struct slot *s = find(lim, key, 0);

	if (s != NULL)
		memset(s, 0, sizeof(*s));
}
