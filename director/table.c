/* table.c - loads the backend table from Redis in one scripted snapshot and
 * answers "which backends, in which order, for this user".  A malformed backend
 * hash is logged once per snapshot change and left out, never guessed at. */
#include "hb-config-auto.h"
#include "director.h"
#include "table.h"
#include "redis.h"
#include "hb-hash.h"
#include "hb-log.h"
#include "hb-scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Hash elements (field + value) a backend may have: about 25 fields are in
 * use (docs/DESIGN.md 1), the rest is room; a backend beyond it is left out. */
#define TABLE_FIELD_ELEMENTS_MAX 96

void table_clear(struct backend_table *table)
{
	free(table->backends);
	free(table->user_counts);
	table->backends = NULL;
	table->user_counts = NULL;
	table->count = 0;
}

/* Parse one {name, {fields}, count} triple into B; -1 if malformed. */
static int parse_entry(redisReply **e, struct hb_backend *b, unsigned int *count_r,
		       char *err, size_t err_size)
{
	const char *fields[TABLE_FIELD_ELEMENTS_MAX];
	size_t n;

	if (e[0]->type != REDIS_REPLY_STRING || e[1]->type != REDIS_REPLY_ARRAY ||
	    e[2]->type != REDIS_REPLY_INTEGER || e[1]->elements > TABLE_FIELD_ELEMENTS_MAX) {
		snprintf(err, err_size, "unexpected snapshot layout");
		return -1;
	}
	for (n = 0; n < e[1]->elements; n++) {
		if (e[1]->element[n]->type != REDIS_REPLY_STRING) {
			snprintf(err, err_size, "backend %s: non-string field", e[0]->str);
			return -1;
		}
		fields[n] = e[1]->element[n]->str;
	}
	*count_r = (unsigned int)e[2]->integer;
	return hb_backend_from_fields(b, e[0]->str, fields, n, err, err_size);
}

/* Insert B (with COUNT) keeping the arrays sorted by name: stable output for
 * /metrics and hbctl, independent of SMEMBERS order. */
static void insert_sorted(struct hb_backend *backends, unsigned int *counts, size_t n,
			  const struct hb_backend *b, unsigned int count)
{
	size_t pos = n;

	while (pos > 0 && strcmp(backends[pos - 1].name, b->name) > 0) {
		backends[pos] = backends[pos - 1];
		counts[pos] = counts[pos - 1];
		pos--;
	}
	backends[pos] = *b;
	counts[pos] = count;
}

static void table_apply_snapshot(struct director *d, redisReply *reply)
{
	struct backend_table *t = &d->table;
	long long epoch = reply->element[0]->type == REDIS_REPLY_STRING ?
		strtoll(reply->element[0]->str, NULL, 10) : 0;
	/* a broken backend entry is reported once per change, not every second */
	int report = !t->loaded || epoch != t->epoch;
	size_t max = (reply->elements - 1) / 3, n = 0;
	struct hb_backend *backends = calloc(max + 1, sizeof(*backends));
	unsigned int *counts = calloc(max + 1, sizeof(*counts));
	struct hb_backend b;
	unsigned int count;
	char err[256];

	if (backends == NULL || counts == NULL) {
		free(backends);
		free(counts);
		return;
	}
	for (size_t i = 1; i + 2 < reply->elements && n < DIRECTOR_MAX_BACKENDS; i += 3) {
		if (parse_entry(&reply->element[i], &b, &count, err, sizeof(err)) < 0) {
			if (report)
				hb_warn("ignoring backend in Redis: %s", err);
			continue;
		}
		insert_sorted(backends, counts, n++, &b, count);
	}
	table_clear(t);
	t->backends = backends;
	t->user_counts = counts;
	t->count = n;
	t->epoch = epoch;
	t->loaded = 1;
}

static void on_snapshot(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	d->table.refresh_pending = 0;
	if (reply == NULL) {
		hb_debug("backend table refresh failed: %s", error);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	    (reply->elements - 1) % 3 != 0) {
		hb_error("backend table snapshot has an unexpected shape; keeping the old table");
		return;
	}
	table_apply_snapshot(d, reply);
}

void table_refresh(struct director *d)
{
	char now[24], expire[24];

	if (d->table.refresh_pending)
		return; /* the answer on its way will do */
	d->table.refresh_pending = 1;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(expire, sizeof(expire), "%u", d->set->user_expire_s);
	const char *argv[] = { "EVAL", hb_script_snapshot, "0", d->set->key_prefix, now, expire };
	director_redis_call(d, 6, argv, on_snapshot, NULL);
}

size_t table_candidates(const struct director *d, const char *user, const char **names_r)
{
	const struct backend_table *t = &d->table;
	const char *names[DIRECTOR_MAX_BACKENDS];
	unsigned int weights[DIRECTOR_MAX_BACKENDS];
	size_t order[DIRECTOR_MAX_BACKENDS], n = 0;

	for (size_t i = 0; i < t->count && n < DIRECTOR_MAX_BACKENDS; i++) {
		if (t->backends[i].weight == 0)
			continue;
		names[n] = t->backends[i].name;
		weights[n] = t->backends[i].weight;
		n++;
	}
	if (n == 0)
		return 0;
	hb_rendezvous_order(user, names, weights, n, order);
	for (size_t i = 0; i < n; i++)
		names_r[i] = names[order[i]];
	return n;
}
