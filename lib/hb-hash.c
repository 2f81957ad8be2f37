/* hb-hash.c - 64-bit string hash and weighted rendezvous ordering.
 * The hash must never change between releases: it decides where users live. */
#include "hb-hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Final avalanche (splitmix64's finaliser) so that FNV's weak low bits mix. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t hb_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h ^ len);
}

double hb_rendezvous_score(const char *user, const char *name, unsigned int weight)
{
	uint64_t h;
	double unit;

	if (weight == 0)
		return -INFINITY;
	h = hb_hash64(user, strlen(user), hb_hash64(name, strlen(name), 0));
	/* 53 random bits -> (0,1), never exactly 0 or 1 */
	unit = ((double)(h >> 11) + 0.5) / 9007199254740992.0;
	return (double)weight / -log(unit);
}

struct scored {
	double score;
	const char *name;
	size_t index;
};

static int scored_cmp(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score > y->score)
		return -1;
	if (x->score < y->score)
		return 1;
	return strcmp(x->name, y->name);
}

void hb_rendezvous_order(const char *user, const char *const *names,
			 const unsigned int *weights, size_t count, size_t *order)
{
	struct scored stack_buf[64];
	struct scored *items = count <= 64 ? stack_buf : calloc(count, sizeof(*items));

	if (items == NULL) {
		/* out of memory: a stable order is still better than none */
		for (size_t i = 0; i < count; i++)
			order[i] = i;
		return;
	}
	for (size_t i = 0; i < count; i++) {
		items[i].score = hb_rendezvous_score(user, names[i], weights[i]);
		items[i].name = names[i];
		items[i].index = i;
	}
	qsort(items, count, sizeof(*items), scored_cmp);
	for (size_t i = 0; i < count; i++)
		order[i] = items[i].index;
	if (items != stack_buf)
		free(items);
}
