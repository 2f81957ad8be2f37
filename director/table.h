/* table.h - the director's copy of the backend table, reloaded from Redis
 * every second (and at once after a health change).  Lookups read it; only
 * table_apply_snapshot() replaces it. */
#ifndef DIRECTOR_TABLE_H
#define DIRECTOR_TABLE_H

#include <stddef.h>

struct director;
struct backend_table;

/* Ask Redis for a new snapshot; the table is replaced when it arrives. */
void table_refresh(struct director *d);
void table_clear(struct backend_table *table);

/* Order the backends with weight > 0 for USER (rendezvous).  NAMES_R gets at
 * most DIRECTOR_MAX_BACKENDS entries pointing into the table; returns count. */
size_t table_candidates(const struct director *d, const char *user,
			const char **names_r);

#endif
