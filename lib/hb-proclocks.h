/* hb-proclocks.h - the parser of /proc/locks, the kernel's table of the
 * POSIX (fcntl), flock, OFD locks, leases and delegations held and waited
 * for on this node.  Untrusted text in, validated records out: a line that
 * does not have the documented shape is refused with a reason, never
 * guessed at.  Used by `hbctl locks` (the node census) and its tests. */
#ifndef HB_PROCLOCKS_H
#define HB_PROCLOCKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HB_PROCLOCKS_LINE_MAX 512	/* longer lines are refused */

enum hb_plock_class {
	HB_PLOCK_POSIX,		/* fcntl(F_SETLK) and lockf() */
	HB_PLOCK_FLOCK,		/* flock() */
	HB_PLOCK_OFD,		/* fcntl(F_OFD_SETLK): owned by an open file */
	HB_PLOCK_LEASE,		/* fcntl(F_SETLEASE) */
	HB_PLOCK_DELEG,		/* NFS server delegation */
};

struct hb_plock {
	unsigned long id;	/* the table's ordinal (waiters repeat it) */
	bool waiter;		/* "->": blocked, waiting for lock id */
	enum hb_plock_class cls;
	bool mandatory;		/* MANDATORY (old kernels) vs ADVISORY etc. */
	bool write;		/* WRITE; READ and UNLCK are not */
	long pid;		/* -1: an OFD lock, no owning process; 0: not
				   in this pid namespace */
	unsigned int dev_major, dev_minor;
	uint64_t ino;
	uint64_t start;		/* first byte */
	uint64_t end;		/* last byte; UINT64_MAX for EOF */
};

/* Parses one line (no newline needed).  0, or -1 with a static reason. */
int hb_plock_parse(const char *line, struct hb_plock *lock_r,
		   const char **error_r);

const char *hb_plock_class_name(enum hb_plock_class cls);

/* Reads a whole table from F, calling FN for each lock.  Empty lines are
 * skipped.  -1 with "line N: reason" in ERROR (of ERROR_SIZE) on the first
 * malformed or overlong line, a read error, or when FN returns < 0 (its
 * reason in ERROR too). */
int hb_plocks_read(FILE *f, int (*fn)(const struct hb_plock *lock, void *ctx,
				      char *error, size_t error_size),
		   void *ctx, char *error, size_t error_size);

#endif
