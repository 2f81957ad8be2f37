/* crashfs.h - the one context of hb-crashfs: the tree, the power state (frozen,
 * armed crash, garble PRNG) and counters, all behind one mutex that FUSE
 * operations and control commands take.  Nothing else is global. */
#ifndef CFS_CRASHFS_H
#define CFS_CRASHFS_H

#include <pthread.h>
#include <stdint.h>

#include "power.h"
#include "tree.h"
#include "xrename.h"

struct fuse_session;

struct crashfs_stats {
	uint64_t ops, writes, fsyncs, fsyncdirs, renames, crashes, fired;
	/* CLOCK_MONOTONIC ns of the last crash, manual or armed; 0: none */
	uint64_t fired_ns;
};

struct crashfs {
	pthread_mutex_t lock;
	struct cfs_tree tree;
	struct cfs_arm arm;
	struct crashfs_stats stats;
	struct cfs_xrenames xrenames;	/* renames between directories */
	int frozen;		/* after a crash, until resume: every op is EIO */
	uint64_t seed, rng;	/* garble PRNG: its seed and current state */
	struct fuse_session *session;	/* set once mounted; for quit */
	pthread_t loop_thread;	/* runs the FUSE loop; woken by quit */
};

/* an empty file system whose root belongs to UID:GID; -1 on ENOMEM */
int crashfs_init(struct crashfs *fs, uint64_t seed, uid_t uid, gid_t gid);
void crashfs_deinit(struct crashfs *fs);

/* power loss now, then frozen until resume; fs->lock held.  -ENOMEM */
int crashfs_crash(struct crashfs *fs, enum cfs_crash_mode mode);
/* a completed operation OP on NAME1 (NAME2): fires an armed crash; lock held */
void crashfs_op_done(struct crashfs *fs, enum cfs_op op, const char *name1,
		     const char *name2);

#endif
