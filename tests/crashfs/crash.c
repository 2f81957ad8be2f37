/* crash.c - power loss in hb-crashfs: the volatile tree is rebuilt from the
 * root's durable entries down, files revert to their durable data (or, in
 * garble mode, to a random mix of durable, volatile and garbage blocks), open
 * handles and the kernel's node ids go stale and whatever is no longer
 * reachable is freed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "power.h"

/* LEN bytes of D from OFF; bytes past its end read as zeros */
static void copy_block(unsigned char *out, const struct cfs_data *d, size_t off, size_t len)
{
	size_t have = off < d->size ? d->size - off : 0;

	if (have > len)
		have = len;
	if (have > 0)
		memcpy(out, d->buf + off, have);
	memset(out + have, 0, len - have);
}

static void garbage_block(unsigned char *out, size_t len, uint64_t *rng)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (unsigned char)cfs_rng_next(rng);
}

/* the durable and volatile data of INODE := one random mix of both */
static int garble_file(struct cfs_tree *t, struct cfs_inode *inode, uint64_t *rng)
{
	struct cfs_data out = { NULL, 0, 0 };
	uint64_t size = cfs_rng_next(rng) % 2 ? inode->ddata.size : inode->data.size;
	size_t off, len;
	int ret;

	if ((ret = cfs_data_resize(t, &out, size)) < 0)
		return ret;
	for (off = 0; off < out.size; off += len) {
		len = out.size - off < CFS_BLOCK_SIZE ? out.size - off : CFS_BLOCK_SIZE;
		/* one in three each: durable, volatile, garbage (zeros or noise) */
		switch (cfs_rng_next(rng) % 6) {
		case 0: case 1:
			copy_block(out.buf + off, &inode->ddata, off, len);
			break;
		case 2: case 3:
			copy_block(out.buf + off, &inode->data, off, len);
			break;
		case 4:
			memset(out.buf + off, 0, len);
			break;
		default:
			garbage_block(out.buf + off, len, rng);
		}
	}
	cfs_data_move(t, &inode->ddata, &out);
	return 0;
}

/* INODE's volatile state := its durable state.  Clean files already hold
 * their durable data: every change of data sets dirty, fsync clears it. */
static int restore_inode(struct cfs_tree *t, struct cfs_inode *inode,
			 enum cfs_crash_mode mode, uint64_t *rng)
{
	int ret;

	inode->meta = inode->dmeta;
	if (!inode->dirty)
		return 0;
	/* no room for the mix: the plain durable data is still right */
	if (mode == CFS_CRASH_GARBLE)
		(void)garble_file(t, inode, rng);
	ret = cfs_data_copy(t, &inode->data, &inode->ddata);
	inode->dirty = ret < 0;
	return ret;
}

/* DIR's volatile entries := its durable ones; new directories go on WORK */
static int crash_dir(struct cfs_inode *dir, struct cfs_inode **work)
{
	struct cfs_entries *d = &dir->dentries;
	size_t i, j = 0;

	for (i = 0; i < d->count; i++) {
		struct cfs_inode *child = d->v[i].inode;
		int is_dir = S_ISDIR(child->meta.mode);

		/* a directory the durable state names twice (its old and new
		 * parent synced at different times) keeps the first name */
		if (is_dir && child->mark) {
			free(d->v[i].name);
			continue;
		}
		d->v[j++] = d->v[i];
		if (!child->mark && is_dir) {
			child->work = *work;
			*work = child;
		}
		child->mark = 1;
		child->links++;
		dir->subdirs += is_dir;
	}
	d->count = j;
	if (cfs_entries_copy(&dir->entries, d) == 0)
		return 0;
	/* out of memory: the directory comes back empty, never half-linked */
	for (i = 0; i < d->count; i++) {
		d->v[i].inode->links--;
		dir->subdirs -= S_ISDIR(d->v[i].inode->meta.mode) ? 1 : 0;
	}
	cfs_entries_clear(d);
	cfs_entries_clear(&dir->entries);
	return -ENOMEM;
}

int cfs_power_crash(struct cfs_tree *t, enum cfs_crash_mode mode, uint64_t *rng)
{
	struct cfs_inode *inode, *work;
	int ret = 0;

	cfs_handles_detach(t);
	cfs_knodes_detach(t, EIO);
	for (inode = t->inodes; inode != NULL; inode = inode->next) {
		inode->mark = 0;
		inode->links = inode->subdirs = 0;
	}
	t->root->mark = 1;
	t->root->work = NULL;
	work = t->root;
	while ((inode = work) != NULL) {
		work = inode->work;
		if (crash_dir(inode, &work) < 0)
			ret = -ENOMEM;
	}
	for (inode = t->inodes; inode != NULL; inode = inode->next) {
		if (inode->mark && restore_inode(t, inode, mode, rng) < 0)
			ret = -ENOMEM;
	}
	cfs_tree_sweep(t);
	t->gc_pending = 0;
	return ret;
}
