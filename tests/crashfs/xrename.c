/* xrename.c - a rename between directories becomes durable as a whole once
 * either directory is fsynced (xrename.h).  Pending renames name inodes by
 * number, so one freed in the meantime is simply skipped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"
#include "entries.h"
#include "xrename.h"

int cfs_xrename_add(struct cfs_xrenames *x, const struct cfs_inode *sdir,
		    const char *sname, const struct cfs_inode *ddir,
		    const char *dname, const struct cfs_inode *inode)
{
	struct cfs_xrename *r;

	if (x->count == x->cap) {
		size_t cap = x->cap == 0 ? 16 : x->cap * 2;
		struct cfs_xrename *v = realloc(x->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	r = &x->v[x->count];
	r->sdir = sdir->ino;
	r->ddir = ddir->ino;
	r->inode = inode->ino;
	r->sname = strdup(sname);
	r->dname = strdup(dname);
	if (r->sname == NULL || r->dname == NULL) {
		free(r->sname);
		free(r->dname);
		return -ENOMEM;
	}
	x->count++;
	return 0;
}

static void xrename_free(struct cfs_xrename *r)
{
	free(r->sname);
	free(r->dname);
}

void cfs_xrename_drop_last(struct cfs_xrenames *x)
{
	if (x->count > 0)
		xrename_free(&x->v[--x->count]);
}

static struct cfs_inode *inode_by_number(struct cfs_tree *t, uint64_t ino)
{
	struct cfs_inode *inode;

	for (inode = t->inodes; inode != NULL; inode = inode->next) {
		if (inode->ino == ino)
			return inode;
	}
	return NULL;
}

/* the rename's effect on the durable entry tables of both directories */
static int xrename_make_durable(struct cfs_tree *t, const struct cfs_xrename *r)
{
	struct cfs_inode *sdir = inode_by_number(t, r->sdir);
	struct cfs_inode *ddir = inode_by_number(t, r->ddir);
	struct cfs_inode *inode = inode_by_number(t, r->inode);

	if (sdir != NULL && cfs_entries_find(&sdir->dentries, r->sname) == inode)
		(void)cfs_entries_remove(&sdir->dentries, r->sname);
	if (ddir == NULL || inode == NULL)
		return 0;
	if (cfs_entries_replace(&ddir->dentries, r->dname, inode) == NULL &&
	    cfs_entries_add(&ddir->dentries, r->dname, inode) < 0)
		return -ENOMEM;
	/* a name dropped from a durable table may have been the last */
	t->gc_pending = 1;
	return 0;
}

int cfs_xrename_dir_synced(struct cfs_xrenames *x, struct cfs_tree *t,
			   const struct cfs_inode *dir)
{
	size_t i, kept = 0;
	int ret = 0;

	for (i = 0; i < x->count; i++) {
		struct cfs_xrename *r = &x->v[i];

		if (r->sdir != dir->ino && r->ddir != dir->ino) {
			x->v[kept++] = *r;
			continue;
		}
		if (xrename_make_durable(t, r) < 0)
			ret = -ENOMEM;
		xrename_free(r);
	}
	x->count = kept;
	return ret;
}

void cfs_xrename_clear(struct cfs_xrenames *x)
{
	size_t i;

	for (i = 0; i < x->count; i++)
		xrename_free(&x->v[i]);
	free(x->v);
	x->v = NULL;
	x->count = x->cap = 0;
}
