/* crashfs.c - life cycle of the hb-crashfs context and the two ways power is
 * lost: a crash command, or an armed trigger after a matching operation. */
#include <string.h>
#include <time.h>

#include "crashfs.h"

int crashfs_init(struct crashfs *fs, uint64_t seed, uid_t uid, gid_t gid)
{
	memset(fs, 0, sizeof(*fs));
	if (cfs_tree_init(&fs->tree, uid, gid) < 0)
		return -1;
	if (pthread_mutex_init(&fs->lock, NULL) != 0) {
		cfs_tree_deinit(&fs->tree);
		return -1;
	}
	fs->seed = fs->rng = seed;
	return 0;
}

void crashfs_deinit(struct crashfs *fs)
{
	cfs_xrename_clear(&fs->xrenames);
	cfs_tree_deinit(&fs->tree);
	pthread_mutex_destroy(&fs->lock);
}

/* the clock of Python's time.monotonic_ns() on Linux, so that a test can
 * tell which replies its clients got before the power went */
static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int crashfs_crash(struct crashfs *fs, enum cfs_crash_mode mode)
{
	int ret;

	/* the moment power goes is before the rebuild, not after it */
	fs->stats.fired_ns = monotonic_ns();
	ret = cfs_power_crash(&fs->tree, mode, &fs->rng);
	cfs_xrename_clear(&fs->xrenames);

	/* the machine is dead whatever happened: nothing may run on */
	fs->frozen = 1;
	fs->stats.crashes++;
	return ret;
}

void crashfs_op_done(struct crashfs *fs, enum cfs_op op, const char *name1,
		     const char *name2)
{
	if (!cfs_arm_hit(&fs->arm, op, name1, name2))
		return;
	fs->stats.fired++;
	/* an ENOMEM here cannot be reported to anyone: stats shows the crash */
	(void)crashfs_crash(fs, fs->arm.mode);
}
