/* power.h - what hb-crashfs makes durable and what a power loss leaves:
 * fsync/fsyncdir/sync copy volatile state to durable state, crash copies it
 * back (exactly, or garbled block by block), and the armed crash trigger. */
#ifndef CFS_POWER_H
#define CFS_POWER_H

#include <stdint.h>

#include "tree.h"

#define CFS_GLOB_MAX 255

enum cfs_crash_mode {
	CFS_CRASH_DROP,		/* exactly the durable state */
	CFS_CRASH_GARBLE,	/* unsynced blocks: durable, volatile or garbage */
};

/* operations an armed crash can follow; CFS_OP_ANY matches each of them */
enum cfs_op {
	CFS_OP_WRITE, CFS_OP_RENAME, CFS_OP_LINK, CFS_OP_UNLINK, CFS_OP_FSYNC,
	CFS_OP_FSYNCDIR, CFS_OP_CREATE, CFS_OP_TRUNCATE, CFS_OP_MKDIR, CFS_OP_RMDIR,
	CFS_OP_SYMLINK, CFS_OP_SETATTR, CFS_OP_ANY,
	CFS_OP_COUNT
};

struct cfs_arm {
	int armed;
	enum cfs_op op;
	char glob[CFS_GLOB_MAX + 1];
	unsigned long n, seen;
	enum cfs_crash_mode mode;
};

const char *cfs_op_name(enum cfs_op op);
/* -1 when NAME is no operation */
int cfs_op_parse(const char *name, enum cfs_op *op_r);
const char *cfs_crash_mode_name(enum cfs_crash_mode mode);
int cfs_crash_mode_parse(const char *name, enum cfs_crash_mode *mode_r);

/* durable data, size and metadata of a file := volatile; -errno */
int cfs_power_fsync(struct cfs_tree *t, struct cfs_inode *inode);
/* durable entries and metadata of a directory := volatile; -ENOMEM */
int cfs_power_fsyncdir(struct cfs_tree *t, struct cfs_inode *dir);
/* everything durable now (a clean shutdown); -errno */
int cfs_power_sync_all(struct cfs_tree *t);
/* power loss: volatile := durable from the root down, stale handles,
 * unreachable inodes freed.  RNG is the garble PRNG state.  -ENOMEM leaves
 * some directory empty (reported, never half-linked). */
int cfs_power_crash(struct cfs_tree *t, enum cfs_crash_mode mode, uint64_t *rng);

/* counts a completed OP on NAME1 (and NAME2 for rename, else NULL);
 * 1 when the armed crash must fire now (and disarms) */
int cfs_arm_hit(struct cfs_arm *arm, enum cfs_op op, const char *name1, const char *name2);

/* the next value of a splitmix64 sequence */
uint64_t cfs_rng_next(uint64_t *state);

#endif
