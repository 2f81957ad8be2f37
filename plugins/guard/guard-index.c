/* guard-index.c - wraps mail_index_transaction commit/rollback for every
 * index this process opens (mailbox indexes and dovecot.list.index).
 *
 * Fence: a sync transaction's commit runs with the log lock already held
 * (taken in mail_index_sync_begin); the check runs right before super.commit
 * appends to dovecot.index.log, and a refused commit also skips the
 * dovecot.index rewrite that mail_index_sync_commit() does after it.  Other
 * transactions take the lock inside super.commit and append at once.
 * Durability: MAIL_INDEX_TRANSACTION_FLAG_FSYNC makes the log append
 * fdatasync before the commit returns, whatever mail_fsync says - for
 * transactions with changes a client is answered about (appends, flags,
 * keywords, expunges, metadata), not for cache offsets written by FETCH.
 * A maildir's log is synced later, by guard-mailbox.c after the sync that
 * ends the command, together with the renames that sync made (one journal
 * commit); here only what exists nowhere but in the index: metadata, and
 * keywords beyond the 26 a file name can hold.  The commits with answered
 * changes are recorded for guard-mailbox.c to take. */
#include "lib.h"
#include "module-context.h"
#include "mail-index-private.h"
#include "mail-index-transaction-private.h"
#include "maildir-storage.h"
#include "guard-settings.h"
#include "guard-events.h"
#include "guard-fence.h"
#include "guard-uidlist.h"
#include "guard-user.h"
#include "guard-index.h"

#define GUARD_ITRANS_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, guard_itrans_module)

struct guard_itrans {
	union mail_index_transaction_module_context module_ctx;
};

static MODULE_CONTEXT_DEFINE_INIT(guard_itrans_module,
				  &mail_index_module_register);

/* hb_guard_fsync of the user whose mailbox (or mailbox list) this index
   is: an LMTP process has several users' indexes open at once */
static unsigned int guard_index_fsync(struct mail_index *index)
{
	return guard_user_settings(index->event)->fsync;
}

/* changes a client is told about (and all changes of indexes that are the
   only copy of their mailbox's state), not cache bookkeeping: FETCH must
   not pay for an fdatasync */
/* index commits of this process (sync commits too): what may have replaced
   a state file (index recreate, log rotation, cache purge, uidlist) */
static unsigned int guard_index_commit_count;

unsigned int guard_index_commits(void)
{
	return guard_index_commit_count;
}

/* committed transactions with changes a client is answered about, not yet
   taken by the mailbox layer, which makes them durable before the answer
   (maildir) */
static struct {
	struct mail_index *index;
	struct guard_acked_commit commit;
} guard_acked;

bool guard_index_take_acked_commit(struct mail_index *index,
				   struct guard_acked_commit *commit_r)
{
	if (guard_acked.index != index || index == NULL)
		return FALSE;
	*commit_r = guard_acked.commit;
	guard_acked.index = NULL;
	return TRUE;
}

static bool guard_itrans_has_acked_changes(struct mail_index_transaction *t)
{
	if ((array_is_created(&t->appends) && array_count(&t->appends) > 0) ||
	    (array_is_created(&t->expunges) && array_count(&t->expunges) > 0) ||
	    (array_is_created(&t->updates) && array_count(&t->updates) > 0) ||
	    (array_is_created(&t->keyword_updates) &&
	     array_count(&t->keyword_updates) > 0) ||
	    (t->attribute_updates != NULL && t->attribute_updates->used > 0) ||
	    t->index_deleted || t->index_undeleted)
		return TRUE;
	return t->log_ext_updates &&
		guard_fence_index_kind(t->view->index) == GUARD_INDEX_OTHER;
}

/* changes of a maildir's index that its files cannot hold */
static bool guard_itrans_has_index_only_changes(struct mail_index_transaction *t)
{
	if (t->attribute_updates != NULL && t->attribute_updates->used > 0)
		return TRUE;
	/* the 27th and later keywords of a mailbox have no file name letter */
	return array_is_created(&t->keyword_updates) &&
		array_count(&t->keyword_updates) > 0 &&
		array_count(&t->view->index->keywords) > MAILDIR_MAX_KEYWORDS;
}

/* TRUE if guard-mailbox.c makes this maildir's commits durable after the
   sync that ends the command (log, then cur/ and new/); Dovecot fdatasyncs
   new mail, its directory and the uidlist itself (mail_fsync not never) */
static bool guard_itrans_files_hold_state(struct mail_index_transaction *t)
{
	struct mail_index *index = t->view->index;

	return (guard_index_fsync(index) & GUARD_FSYNC_DIRS) != 0 &&
		index->set.fsync_mode != FSYNC_MODE_NEVER &&
		guard_fence_index_kind(index) == GUARD_INDEX_MAILDIR;
}

static bool guard_itrans_wants_fsync(struct mail_index_transaction *t)
{
	if ((guard_index_fsync(t->view->index) & GUARD_FSYNC_LOG) == 0 ||
	    MAIL_INDEX_IS_IN_MEMORY(t->view->index))
		return FALSE;
	if (guard_itrans_files_hold_state(t))
		return guard_itrans_has_index_only_changes(t);
	return guard_itrans_has_acked_changes(t);
}

/* flags, keywords or expunges: a sync renames or unlinks files for them */
static bool guard_index_has_file_changes(struct mail_index_transaction *t)
{
	return (array_is_created(&t->expunges) &&
		array_count(&t->expunges) > 0) ||
		(array_is_created(&t->updates) &&
		 array_count(&t->updates) > 0) ||
		(array_is_created(&t->keyword_updates) &&
		 array_count(&t->keyword_updates) > 0);
}

static void guard_itrans_refuse(struct mail_index_transaction *t,
				struct guard_itrans *gt, const char *reason,
				const char *lock_path, long age)
{
	struct mail_index *index = t->view->index;

	/* super.rollback frees t; only index is used afterwards */
	gt->module_ctx.super.rollback(t);
	i_free(gt);
	mail_index_set_error_nolog(index, t_strdup_printf(
		"hb_guard: fenced: change not written: %s", reason));
	guard_event_fenced(index->event, index->filepath, lock_path,
			   reason, age);
	guard_fence_note_refusal();
}

static int guard_itrans_commit(struct mail_index_transaction *t,
			       struct mail_index_transaction_commit_result *r)
{
	struct guard_itrans *gt = GUARD_ITRANS_CONTEXT(t);
	struct mail_index *index = t->view->index;
	/* a sync's transaction records what the files already say (saves
	   are "external" too, but answered); t is freed by the commit */
	bool acked = !t->sync_transaction &&
		guard_itrans_has_acked_changes(t);
	bool file_changes = acked && guard_index_has_file_changes(t);
	const char *reason, *lock_path;
	long age;
	int ret;

	if (guard_fence_check(t->view->index, &reason, &lock_path,
			      &age) < 0) {
		guard_itrans_refuse(t, gt, reason, lock_path, age);
		return -1;
	}
	if (guard_itrans_wants_fsync(t))
		t->flags |= MAIL_INDEX_TRANSACTION_FLAG_FSYNC;
	ret = gt->module_ctx.super.commit(t, r);
	i_free(gt);
	guard_index_commit_count++;
	if (ret == 0 && acked) {
		/* several commits may make up one mailbox commit: keep what
		   any of them needs */
		if (guard_acked.index != index) {
			guard_acked.index = index;
			i_zero(&guard_acked.commit);
		}
		if (file_changes) {
			guard_acked.commit.file_changes = TRUE;
			guard_acked.commit.log_seq = r->log_file_seq;
			guard_acked.commit.log_offset = r->log_file_offset;
		}
	}
	return ret;
}

static void guard_itrans_rollback(struct mail_index_transaction *t)
{
	struct guard_itrans *gt = GUARD_ITRANS_CONTEXT(t);

	gt->module_ctx.super.rollback(t);
	i_free(gt);
}

static void guard_itrans_created(struct mail_index_transaction *t)
{
	/* the first hook sees vlast == NULL (mail-index-transaction.c) */
	struct mail_index_transaction_vfuncs *v =
		t->vlast != NULL ? t->vlast : &t->v;
	struct guard_itrans *gt = i_new(struct guard_itrans, 1);

	gt->module_ctx.super = *v;
	t->vlast = &gt->module_ctx.super;
	v->commit = guard_itrans_commit;
	v->rollback = guard_itrans_rollback;
	MODULE_CONTEXT_SET(t, guard_itrans_module, gt);
	guard_uidlist_index_transaction(t->view->index);
}

void guard_index_init(void)
{
	mail_index_transaction_hook_register(guard_itrans_created);
}

void guard_index_deinit(void)
{
	mail_index_transaction_hook_unregister(guard_itrans_created);
}
