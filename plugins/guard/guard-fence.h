/* guard-fence.h - fencing: no index or uidlist write after the lock that
 * protects it may have been lost.  Open mailboxes are registered here so
 * that the commit hook and the SIGCONT check know which locks this process
 * holds (docs/GUARD.md "Fencing"). */
#ifndef GUARD_FENCE_H
#define GUARD_FENCE_H

struct mailbox;
struct mail_index;
struct guard_settings;
struct event;

/* Starts fencing for this process (SIGCONT check).  The margin is the
 * hb_guard_lock_margin of the user each index belongs to. */
void guard_fence_init(void);
void guard_fence_deinit(void);

/* An opened mailbox whose index (and maildir uidlist) locks are checked.
 * Returns -1 only when the table is full (the mailbox is then fenced at
 * commit but not on SIGCONT; logged once). */
int guard_fence_register(struct mailbox *box);
void guard_fence_unregister(struct mailbox *box);

/* Called right before an index commit writes: 0 if every lock protecting
 * index is still ours and fresh, else -1 with a reason, the lock path and
 * its age. */
int guard_fence_check(struct mail_index *index, const char **reason_r,
		      const char **lock_path_r, long *age_r);

enum guard_index_kind {
	GUARD_INDEX_UNKNOWN,  /* not a registered mailbox index (list index) */
	GUARD_INDEX_MAILDIR,  /* maildir: file names and uidlist hold state */
	GUARD_INDEX_OTHER,    /* dbox etc.: the index is the state */
};
enum guard_index_kind guard_fence_index_kind(struct mail_index *index);

/* The index of an open mailbox whose event is event or one of its parents
 * (a cache's event descends from its index's), NULL if none. */
struct mail_index *guard_fence_index_of_event(struct event *event);

/* TRUE (once) if a commit was refused since the last call: lets the
 * mailbox layer replace Dovecot's generic error with a retryable one. */
bool guard_fence_take_refusal(void);
void guard_fence_note_refusal(void);

#endif
