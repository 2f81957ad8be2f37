/* hb-hash.h - weighted rendezvous (highest random weight) hashing: every
 * director orders the backends for a user identically, and adding or removing
 * one backend moves only the users that must move. */
#ifndef HB_HASH_H
#define HB_HASH_H

#include <stdint.h>
#include <stddef.h>

uint64_t hb_hash64(const void *data, size_t len, uint64_t seed);

/* Score of backend NAME (weight WEIGHT) for USER; higher wins. 0 weight = -inf. */
double hb_rendezvous_score(const char *user, const char *name, unsigned int weight);

/* Sort ORDER (indexes into NAMES/WEIGHTS, COUNT entries) by descending score
 * for USER; ties broken by name.  ORDER must hold COUNT entries. */
void hb_rendezvous_order(const char *user, const char *const *names,
			 const unsigned int *weights, size_t count,
			 size_t *order);

#endif
