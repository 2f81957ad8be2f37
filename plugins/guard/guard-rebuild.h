/* guard-rebuild.h - the node-wide limit on concurrent index rebuilds: N
 * slot files in hb_guard_rebuild_dir, a slot held by flock() for as long as
 * one mailbox rebuilds (released by the kernel if the process dies). */
#ifndef GUARD_REBUILD_H
#define GUARD_REBUILD_H

struct guard_settings;

struct guard_rebuild_slot {
	int fd;              /* -1: not holding a slot */
	unsigned int waited_msecs;
	/* why a slot file was refused (symlink, FIFO, hard link, foreign
	   owner, open to others), NULL if none was; it counted as busy */
	const char *refused;
};

/* Waits up to set->rebuild_wait_msecs for a slot.  Returns 1 when held,
 * 0 when every slot stayed busy, -1 when the directory or every slot in it
 * is unusable (error_r says why) - then the caller goes on unthrottled
 * rather than refuse service, and says so. */
int guard_rebuild_acquire(const struct guard_settings *set,
			  struct guard_rebuild_slot *slot,
			  const char **error_r);
void guard_rebuild_release(struct guard_rebuild_slot *slot);

/* The marker hb_guard leaves in an index directory after corruption, so
 * the next open of that mailbox knows a rebuild is coming. */
#define GUARD_REBUILD_MARKER "hb-guard-rebuild"

/* TRUE if the mailbox whose index/control dirs are given will be rebuilt
 * when opened: marker present, or the maildir uidlist exists while the
 * index log is gone (indexes deleted as corrupted). */
bool guard_rebuild_needed(const char *index_dir, const char *control_dir,
			  bool maildir);
void guard_rebuild_mark(const char *index_dir);
void guard_rebuild_unmark(const char *index_dir);

#endif
