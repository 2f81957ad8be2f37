/* guard-dirsync.h - durability of renames: after a mailbox operation,
 * fsync each directory of the mailbox (index, control, cur/, new/) whose
 * entries changed since the operation began. */
#ifndef GUARD_DIRSYNC_H
#define GUARD_DIRSYNC_H

#include <time.h>

struct mailbox;

#define GUARD_DIRSYNC_MAX_DIRS 5

struct guard_dirsync {
	unsigned int count;
	const char *dirs[GUARD_DIRSYNC_MAX_DIRS];
	/* ctime each dir had when we last fsynced it (0: unknown) */
	struct timespec synced[GUARD_DIRSYNC_MAX_DIRS];
};

/* Collects the mailbox's distinct directories (after it was opened). */
void guard_dirsync_init(struct guard_dirsync *ds, struct mailbox *box);

/* fsyncs every directory whose ctime is not older than started and has
 * changed since our last fsync of it (a coarse clock can't tell changes
 * within one tick apart, so a ctime in the current tick is never trusted).  Returns -1 if an fsync failed (logged, with the error set on
 * the mailbox's storage). */
int guard_dirsync_changed(struct guard_dirsync *ds, struct mailbox *box,
			  const struct timespec *started);

/* The moment an operation starts, on the clock the kernel stamps ctime
 * with. */
void guard_dirsync_now(struct timespec *ts_r);

#endif
