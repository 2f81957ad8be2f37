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
	unsigned int entries; /* how many are GUARD_DIR_ENTRIES */
	struct guard_dir dirs[GUARD_DIRSYNC_MAX_DIRS];
};

/* Collects the mailbox's distinct directories (after it was opened). */
void guard_dirsync_init(struct guard_dirsync *ds, struct mailbox *box);

/* fsyncs each index/control directory in which a state file was replaced
 * since our last fsync of it; with sync_logs, when dovecot.index or the log
 * was replaced, the logs are fdatasynced first (a durable index must not
 * point past the durable log).  Returns -1 if an fsync failed (logged, with
 * the error set on the mailbox's storage). */
int guard_dirsync_changed(struct guard_dirsync *ds, struct mailbox *box,
			  bool sync_logs);

/* fsyncs cur/ and new/ if their ctime moved since `since` (and since our
 * last fsync of them; a ctime within the current clock tick is never
 * trusted as "seen").  Returns 1 if one was fsynced, 0 if none had
 * changed, -1 if an fsync failed (logged, error set). */
int guard_dirsync_entries(struct guard_dirsync *ds, struct mailbox *box,
			  const struct timespec *since);
/* TRUE if a is earlier than b */
bool guard_dirsync_before(const struct timespec *a, const struct timespec *b);

/* fdatasyncs the mailbox's dovecot.index.log: 0 (also when it does not
 * exist), -1 on failure (logged, error set). */
int guard_dirsync_log(struct mailbox *box);

/* The moment an operation starts, on the clock the kernel stamps ctime
 * with. */
void guard_dirsync_now(struct timespec *ts_r);

#endif
