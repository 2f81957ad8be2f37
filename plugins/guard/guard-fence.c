/* guard-fence.c - which locks protect an index, and are they still ours?
 *
 * The log lock: with lock_method=dotlock, Dovecot holds the single dotlock
 * <log>.lock while log->dotlock_refcount > 0; another host overrides it when
 * unchanged for MAIL_TRANSACTION_LOG_DOTLOCK_CHANGE_TIMEOUT.  With fcntl or
 * flock the kernel keeps a local lock for as long as the process lives, so
 * only on NFS (mail_nfs_index) can it be lost: there the lock's age counts.
 * The maildir uidlist lock: dovecot-uidlist.lock, stale after
 * MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT.
 *
 * A process that was stopped (SIGSTOP, or a debugger) may find on SIGCONT
 * that another process took its lock meanwhile; it may be in the middle of
 * a write sequence we cannot hook (the uidlist rewrite), so it exits at once
 * instead, like a kill -9, which Dovecot survives. */
#include "lib.h"
#include "hostpid.h"
#include "ioloop.h"
#include "lib-signals.h"
#include "mail-storage-private.h"
#include "mail-index-private.h"
#include "mail-transaction-log-private.h"
#include "maildir-storage.h"
#include "maildir-uidlist.h"
#include "guard-lock.h"
#include "guard-user.h"
#include "guard-fence.h"

#include <signal.h>
#include <unistd.h>

#define GUARD_FENCE_MAX_BOXES 64
#define GUARD_FENCE_EXIT_STATUS 75 /* EX_TEMPFAIL: the client may retry */

struct guard_fenced_box {
	struct mailbox *box;            /* NULL: free slot */
	bool maildir;
	struct mail_index *index;
	struct maildir_uidlist *uidlist;/* NULL unless maildir */
	struct guard_dotlock log_lock;
	struct guard_dotlock uidlist_lock;
	/* hb_guard_lock_margin of the box's user, for the SIGCONT check
	   (a signal handler cannot look the user up) */
	unsigned int margin_secs;
};

static struct guard_fenced_box guard_boxes[GUARD_FENCE_MAX_BOXES];
static bool guard_refused;
static bool guard_table_full_logged;

void guard_fence_note_refusal(void)
{
	guard_refused = TRUE;
}

bool guard_fence_take_refusal(void)
{
	bool refused = guard_refused;

	guard_refused = FALSE;
	return refused;
}

static struct guard_fenced_box *fenced_box_find(struct mailbox *box)
{
	for (unsigned int i = 0; i < N_ELEMENTS(guard_boxes); i++) {
		if (guard_boxes[i].box == box)
			return &guard_boxes[i];
	}
	return NULL;
}

static void fenced_box_init_uidlist(struct guard_fenced_box *fb,
				    struct mailbox *box)
{
	const char *control_dir;

	if (strcmp(box->storage->name, MAILDIR_STORAGE_NAME) != 0)
		return;
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_CONTROL,
				&control_dir) <= 0)
		return;
	if (guard_dotlock_init(&fb->uidlist_lock, control_dir,
			       "/" MAILDIR_UIDLIST_NAME ".lock",
			       MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT))
		fb->uidlist = ((struct maildir_mailbox *)box)->uidlist;
}

int guard_fence_register(struct mailbox *box)
{
	struct guard_fenced_box *fb = fenced_box_find(NULL);
	struct mail_index *index = box->index;

	if (index == NULL || MAIL_INDEX_IS_IN_MEMORY(index) ||
	    index->log == NULL || fenced_box_find(box) != NULL)
		return 0;
	if (fb == NULL) {
		if (!guard_table_full_logged) {
			e_warning(box->event, "hb_guard: more than %u mailboxes "
				  "open: the rest are fenced at commit only",
				  GUARD_FENCE_MAX_BOXES);
			guard_table_full_logged = TRUE;
		}
		return -1;
	}
	i_zero(fb);
	if (!guard_dotlock_init(&fb->log_lock, index->log->filepath, ".lock",
				MAIL_TRANSACTION_LOG_DOTLOCK_CHANGE_TIMEOUT))
		return 0;
	fenced_box_init_uidlist(fb, box);
	/* with maildir_very_dirty_syncs flag changes may stay index-only
	   ("dirty"): its file names do not hold the state then */
	fb->maildir = strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0 &&
		!((struct maildir_storage *)box->storage)->set->maildir_very_dirty_syncs;
	fb->margin_secs = guard_user_settings(box->event)->lock_margin_secs;
	fb->index = index;
	fb->box = box;
	return 0;
}

void guard_fence_unregister(struct mailbox *box)
{
	struct guard_fenced_box *fb = fenced_box_find(box);

	if (fb != NULL)
		i_zero(fb);
}

enum guard_index_kind guard_fence_index_kind(struct mail_index *index)
{
	for (unsigned int i = 0; i < N_ELEMENTS(guard_boxes); i++) {
		if (guard_boxes[i].box != NULL &&
		    guard_boxes[i].index == index)
			return guard_boxes[i].maildir ? GUARD_INDEX_MAILDIR :
				GUARD_INDEX_OTHER;
	}
	return GUARD_INDEX_UNKNOWN;
}

struct mail_index *guard_fence_index_of_event(struct event *event)
{
	for (; event != NULL; event = event_get_parent(event)) {
		for (unsigned int i = 0; i < N_ELEMENTS(guard_boxes); i++) {
			if (guard_boxes[i].box != NULL &&
			    guard_boxes[i].index->event == event)
				return guard_boxes[i].index;
		}
	}
	return NULL;
}

static bool log_dotlock_held(const struct mail_index *index)
{
	return index->set.lock_method == FILE_LOCK_METHOD_DOTLOCK &&
		index->log != NULL && index->log->dotlock_refcount > 0;
}

/* fcntl/flock log lock on NFS: lost when older than the lock timeout */
static int check_nfs_lock_age(struct mail_index *index, unsigned int margin,
			      const char **reason_r, const char **lock_path_r,
			      long *age_r)
{
	struct mail_transaction_log_file *head = index->log->head;
	unsigned int limit;

	if ((index->flags & MAIL_INDEX_OPEN_FLAG_NFS_FLUSH) == 0 ||
	    head == NULL || !head->locked)
		return 0;
	limit = I_MIN(MAIL_TRANSACTION_LOG_LOCK_TIMEOUT,
		      index->set.max_lock_timeout_secs);
	if (margin >= limit)
		margin = limit / 2;
	*age_r = (long)(ioloop_time - head->lock_create_time);
	if (*age_r < (long)(limit - margin))
		return 0;
	*reason_r = guard_lock_state_reason(GUARD_LOCK_EXPIRING);
	*lock_path_r = head->filepath;
	return -1;
}

static int check_dotlock(const struct guard_dotlock *lock, unsigned int margin,
			 const char **reason_r, const char **lock_path_r,
			 long *age_r)
{
	enum guard_lock_state state = guard_dotlock_check(lock, margin, age_r);

	if (state == GUARD_LOCK_OK)
		return 0;
	*reason_r = guard_lock_state_reason(state);
	/* lock may live on the caller's stack */
	*lock_path_r = t_strdup(lock->path);
	return -1;
}

int guard_fence_check(struct mail_index *index, const char **reason_r,
		      const char **lock_path_r, long *age_r)
{
	struct guard_dotlock log_lock;
	unsigned int margin;

	*age_r = 0;
	if (MAIL_INDEX_IS_IN_MEMORY(index) || index->log == NULL)
		return 0;
	/* the margin of the user this index belongs to, not of the user an
	   LMTP process happened to create last */
	margin = guard_user_settings(index->event)->lock_margin_secs;
	if (log_dotlock_held(index)) {
		if (!guard_dotlock_init(&log_lock, index->log->filepath,
					".lock",
					MAIL_TRANSACTION_LOG_DOTLOCK_CHANGE_TIMEOUT) ||
		    check_dotlock(&log_lock, margin, reason_r, lock_path_r,
				  age_r) < 0)
			return -1;
	} else if (check_nfs_lock_age(index, margin, reason_r, lock_path_r,
				      age_r) < 0)
		return -1;

	for (unsigned int i = 0; i < N_ELEMENTS(guard_boxes); i++) {
		const struct guard_fenced_box *fb = &guard_boxes[i];

		if (fb->box == NULL || fb->index != index ||
		    fb->uidlist == NULL ||
		    !maildir_uidlist_is_locked(fb->uidlist))
			continue;
		if (check_dotlock(&fb->uidlist_lock, margin, reason_r,
				  lock_path_r, age_r) < 0)
			return -1;
	}
	return 0;
}

/* signal context: only async-signal-safe calls below */
static void write_stderr(const char *a, const char *b)
{
	(void)!write(STDERR_FILENO, a, strlen(a));
	(void)!write(STDERR_FILENO, b, strlen(b));
	(void)!write(STDERR_FILENO, "\n", 1);
}

static bool stopped_lock_lost(const struct guard_dotlock *lock,
			      unsigned int margin)
{
	long age;
	enum guard_lock_state state = guard_dotlock_check(lock, margin, &age);

	if (state == GUARD_LOCK_OK)
		return FALSE;
	write_stderr("hb_guard: lock lost while stopped, exiting before any "
		     "further write: ", lock->path);
	return TRUE;
}

static void guard_sigcont(const siginfo_t *si ATTR_UNUSED,
			  void *context ATTR_UNUSED)
{
	for (unsigned int i = 0; i < N_ELEMENTS(guard_boxes); i++) {
		const struct guard_fenced_box *fb = &guard_boxes[i];

		if (fb->box == NULL)
			continue;
		if ((log_dotlock_held(fb->index) &&
		     stopped_lock_lost(&fb->log_lock, fb->margin_secs)) ||
		    (fb->uidlist != NULL &&
		     maildir_uidlist_is_locked(fb->uidlist) &&
		     stopped_lock_lost(&fb->uidlist_lock, fb->margin_secs)))
			_exit(GUARD_FENCE_EXIT_STATUS);
	}
}

void guard_fence_init(void)
{
	guard_lock_owner_init(my_pid, my_hostname);
	lib_signals_set_handler(SIGCONT, LIBSIG_FLAG_RESTART,
				guard_sigcont, NULL);
}

void guard_fence_deinit(void)
{
	lib_signals_unset_handler(SIGCONT, guard_sigcont, NULL);
	memset(guard_boxes, 0, sizeof(guard_boxes));
}
