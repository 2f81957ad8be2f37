/* guard-dirsync.h - durability of renames and unlinks: after a mailbox
 * operation, fsync the directories of the mailbox whose durable names
 * changed.  Index and control directories count as changed only when one
 * of Dovecot's state files was replaced (its inode changed: a rename of
 * dovecot.index.tmp, dovecot-uidlist.tmp, a log rotation...), not when a
 * lock file came and went; a maildir's cur/ and new/ count as changed when
 * their ctime moved (flag renames, new/ -> cur/ moves, expunge unlinks). */
#ifndef GUARD_DIRSYNC_H
#define GUARD_DIRSYNC_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

struct mailbox;

#define GUARD_DIRSYNC_MAX_DIRS 4
#define GUARD_DIRSYNC_STATE_FILES 7

enum guard_dir_kind {
	GUARD_DIR_STATE,   /* holds dovecot.index*, dovecot-uidlist, ... */
	GUARD_DIR_ENTRIES, /* maildir cur/ and new/ */
};

struct guard_dir {
	const char *path;
	enum guard_dir_kind kind;
	/* STATE: inode of each state file at our last fsync (0: absent) */
	ino_t inodes[GUARD_DIRSYNC_STATE_FILES];
	/* ENTRIES: the ctime at our last fsync (0: unknown) */
	struct timespec synced;
};

struct guard_dirsync {
	unsigned int count;
	struct guard_dir dirs[GUARD_DIRSYNC_MAX_DIRS];
};

/* Collects the mailbox's distinct directories (after it was opened). */
void guard_dirsync_init(struct guard_dirsync *ds, struct mailbox *box);

/* fsyncs each directory changed since our last fsync of it (for cur/, new/:
 * and not before started; a ctime within the current clock tick is never
 * trusted as "seen").  with_entries: also cur/ and new/ - after a sync, where
 * maildir renames and unlinks; not after a save commit, where Dovecot fsyncs
 * them itself (unless mail_fsync = never).  Returns -1 if an fsync failed
 * (logged, with the error set on the mailbox's storage). */
int guard_dirsync_changed(struct guard_dirsync *ds, struct mailbox *box,
			  const struct timespec *started, bool with_entries);

/* The moment an operation starts, on the clock the kernel stamps ctime
 * with. */
void guard_dirsync_now(struct timespec *ts_r);

#endif
