/* power.c - durability and power loss of hb-crashfs (semantics: README
 * comment in main.c and docs/RELIABILITY.md "The crash layer").  fsync makes
 * one file durable, fsyncdir one directory's entry table; a crash rebuilds
 * the volatile tree from the durable one.  Never touches FUSE. */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>

#include "power.h"

static const char *const op_names[CFS_OP_COUNT] = {
	"write", "rename", "link", "unlink", "fsync", "fsyncdir", "create",
	"truncate", "mkdir", "rmdir", "symlink", "setattr", "any",
};

const char *cfs_op_name(enum cfs_op op)
{
	return op < CFS_OP_COUNT ? op_names[op] : "?";
}

int cfs_op_parse(const char *name, enum cfs_op *op_r)
{
	int i;

	for (i = 0; i < CFS_OP_COUNT; i++) {
		if (strcmp(name, op_names[i]) == 0) {
			*op_r = (enum cfs_op)i;
			return 0;
		}
	}
	return -1;
}

const char *cfs_crash_mode_name(enum cfs_crash_mode mode)
{
	return mode == CFS_CRASH_GARBLE ? "garble" : "drop";
}

int cfs_crash_mode_parse(const char *name, enum cfs_crash_mode *mode_r)
{
	if (strcmp(name, "drop") == 0)
		*mode_r = CFS_CRASH_DROP;
	else if (strcmp(name, "garble") == 0)
		*mode_r = CFS_CRASH_GARBLE;
	else
		return -1;
	return 0;
}

int cfs_power_fsync(struct cfs_tree *t, struct cfs_inode *inode)
{
	int ret;

	if (S_ISDIR(inode->meta.mode))
		return cfs_power_fsyncdir(t, inode);
	if (inode->dirty && (ret = cfs_data_copy(t, &inode->ddata, &inode->data)) < 0)
		return ret;
	inode->dmeta = inode->meta;
	inode->dirty = 0;
	return 0;
}

int cfs_power_fsyncdir(struct cfs_tree *t, struct cfs_inode *dir)
{
	if (cfs_entries_copy(&dir->dentries, &dir->entries) < 0)
		return -ENOMEM;
	dir->dmeta = dir->meta;
	/* entries dropped from the durable table may have been the last */
	t->gc_pending = 1;
	return 0;
}

int cfs_power_sync_all(struct cfs_tree *t)
{
	struct cfs_inode *inode;
	int ret;

	for (inode = t->inodes; inode != NULL; inode = inode->next) {
		if ((ret = cfs_power_fsync(t, inode)) < 0)
			return ret;
	}
	return 0;
}

uint64_t cfs_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int cfs_arm_hit(struct cfs_arm *arm, enum cfs_op op, const char *name1, const char *name2)
{
	if (!arm->armed || (arm->op != CFS_OP_ANY && arm->op != op))
		return 0;
	if (fnmatch(arm->glob, name1, 0) != 0 &&
	    (name2 == NULL || fnmatch(arm->glob, name2, 0) != 0))
		return 0;
	if (++arm->seen < arm->n)
		return 0;
	arm->armed = 0;
	return 1;
}
