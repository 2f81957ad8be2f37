/* entries.c - sorted name -> inode table of one directory (hb-crashfs).
 * Pure bookkeeping: link counts and timestamps are the caller's business,
 * since only the volatile table counts as links. */
#include <stdlib.h>
#include <string.h>

#include "entries.h"

/* index of NAME, or of where it would be inserted; *found_r says which */
static size_t entries_search(const struct cfs_entries *t, const char *name, int *found_r)
{
	size_t lo = 0, hi = t->count;

	*found_r = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, t->v[mid].name);

		if (cmp == 0) {
			*found_r = 1;
			return mid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct cfs_inode *cfs_entries_find(const struct cfs_entries *t, const char *name)
{
	int found;
	size_t i = entries_search(t, name, &found);

	return found ? t->v[i].inode : NULL;
}

static int entries_grow(struct cfs_entries *t)
{
	size_t cap = t->cap == 0 ? 8 : t->cap * 2;
	struct cfs_entry *v = realloc(t->v, cap * sizeof(*v));

	if (v == NULL)
		return -1;
	t->v = v;
	t->cap = cap;
	return 0;
}

int cfs_entries_add(struct cfs_entries *t, const char *name, struct cfs_inode *inode)
{
	int found;
	size_t i = entries_search(t, name, &found);
	char *copy;

	if (found)
		return -1;
	if (t->count == t->cap && entries_grow(t) < 0)
		return -1;
	if ((copy = strdup(name)) == NULL)
		return -1;
	memmove(&t->v[i + 1], &t->v[i], (t->count - i) * sizeof(t->v[0]));
	t->v[i].name = copy;
	t->v[i].inode = inode;
	t->count++;
	return 0;
}

struct cfs_inode *cfs_entries_replace(struct cfs_entries *t, const char *name,
				      struct cfs_inode *inode)
{
	int found;
	size_t i = entries_search(t, name, &found);
	struct cfs_inode *old;

	if (!found)
		return NULL;
	old = t->v[i].inode;
	t->v[i].inode = inode;
	return old;
}

struct cfs_inode *cfs_entries_remove(struct cfs_entries *t, const char *name)
{
	int found;
	size_t i = entries_search(t, name, &found);
	struct cfs_inode *inode;

	if (!found)
		return NULL;
	inode = t->v[i].inode;
	free(t->v[i].name);
	t->count--;
	memmove(&t->v[i], &t->v[i + 1], (t->count - i) * sizeof(t->v[0]));
	return inode;
}

int cfs_entries_copy(struct cfs_entries *dst, const struct cfs_entries *src)
{
	struct cfs_entries copy = { NULL, 0, 0 };
	size_t i;

	if (src->count > 0) {
		copy.v = malloc(src->count * sizeof(copy.v[0]));
		if (copy.v == NULL)
			return -1;
		copy.cap = src->count;
	}
	for (i = 0; i < src->count; i++) {
		copy.v[i].inode = src->v[i].inode;
		if ((copy.v[i].name = strdup(src->v[i].name)) == NULL) {
			cfs_entries_clear(&copy);
			return -1;
		}
		copy.count++;
	}
	cfs_entries_clear(dst);
	*dst = copy;
	return 0;
}

void cfs_entries_clear(struct cfs_entries *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->count = t->cap = 0;
}
