/* guard-mailbox.c - wraps the mailbox vfuncs that end in an answer to the
 * client (transaction_commit: APPEND, COPY, MOVE, STORE, EXPUNGE; and
 * sync_deinit: the sync each IMAP command ends with, where maildir renames
 * and unlinks files and dovecot.index is rewritten).  After them the changed
 * directories are fsynced before the client is told OK; a commit refused by
 * the fence becomes a retryable [INUSE] error; open() of a mailbox that is
 * about to be rebuilt waits for a node-wide rebuild slot. */
#include "lib.h"
#include "mail-user.h"
#include "mail-storage-private.h"
#include "maildir-storage.h"
#include "mail-index-private.h"
#include "mail-transaction-log-private.h"
#include "guard-settings.h"
#include "guard-dirsync.h"
#include "guard-events.h"
#include "guard-fence.h"
#include "guard-index.h"
#include "guard-rebuild.h"
#include "guard-corruption.h"
#include "guard-uidlist.h"
#include "guard-user.h"
#include "guard-mailbox.h"

#define GUARD_BOX_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, guard_box_module)

#define GUARD_FENCED_ERROR \
	"Mailbox lock was lost, nothing was changed: try again"
#define GUARD_THROTTLED_ERROR \
	"Mailbox index is being rebuilt and this server is busy " \
	"rebuilding others: try again in a minute"

struct guard_box {
	union mailbox_module_context module_ctx;
	struct guard_user *guser;
	struct guard_dirsync dirs;
	struct guard_rebuild_slot slot;
	const char *index_dir;
	/* a commit a client is told about: its log records must be durable
	   before the answer; if it changed flags or expunged, the renames and
	   unlinks of the sync after it too */
	bool log_pending;
	/* the log position after the last of them */
	uint32_t log_pending_seq;
	uoff_t log_pending_offset;
	/* cur/ or new/ entries changed that must be durable before the next
	   answer: this process's own flag change or expunge was committed, or
	   a sync (any process's changes) renamed or unlinked a file */
	struct timespec file_changes_since;
	bool file_changes_pending;
	/* when the current commit or sync began: no rename it makes can have
	   an older ctime */
	struct timespec op_started;
	/* guard_index_commits() when the state files were last checked */
	unsigned int commits_checked;
	bool opened;
	/* the open found a rebuild due and went on (with a slot, or
	   unthrottled): the first successful sync ends it */
	bool rebuilding;
};

static MODULE_CONTEXT_DEFINE_INIT(guard_box_module,
				  &mail_storage_module_register);

/* TRUE if a sync (this process's or another's) has carried the pending
   commits into the file names: Dovecot moves the mailbox's sync position
   (the log's tail offset) past a record only after a full sync applied it,
   and the cur/ and new/ fsyncs that follow make those renames and unlinks
   durable, so the log records need no fdatasync of their own.  A sync
   that did not get that far (a FAST sync skips the maildir within 5 s of
   the last one) or a log rotated since: the log is synced. */
static bool guard_log_pending_in_files(struct mailbox *box,
				       const struct guard_box *gbox)
{
	uint32_t seq;
	uoff_t offset;

	if (box->index == NULL || box->index->log == NULL ||
	    box->index->log->head == NULL)
		return FALSE;
	mail_transaction_log_get_mailbox_sync_pos(box->index->log,
						  &seq, &offset);
	return seq == gbox->log_pending_seq &&
		offset >= gbox->log_pending_offset;
}

/* Makes the changes of earlier commits durable before the answer (a
   maildir; Dovecot fdatasynced its new mail, new/ and the uidlist): the log
   first, so that one journal commit also carries the renames the sync just
   made, then cur/ and new/ if they changed since the first pending change.
   Any sync may carry logged flag changes and expunges into the files, this
   process's or another's: once the index that records them is durable, a
   file name left behind would win - so every sync that renamed or unlinked
   (guard_sync_notify) counts, not only this process's own changes.  A sync
   that only moved new mail from new/ to cur/ does not: a lost move leaves
   the file in new/, where the next sync finds it again. */
static int guard_sync_pending(struct mailbox *box, struct guard_box *gbox)
{
	bool log_pending = gbox->log_pending;
	bool entries = gbox->file_changes_pending;

	gbox->log_pending = gbox->file_changes_pending = FALSE;
	if (log_pending && (gbox->guser->set.fsync & GUARD_FSYNC_LOG) != 0 &&
	    !guard_log_pending_in_files(box, gbox) &&
	    guard_dirsync_log(box) < 0)
		return -1;
	if (entries && guard_dirsync_entries(&gbox->dirs, box,
					     &gbox->file_changes_since) < 0)
		return -1;
	return 0;
}

static void guard_file_changes_from(struct guard_box *gbox,
				    const struct timespec *since)
{
	if (!gbox->file_changes_pending ||
	    guard_dirsync_before(since, &gbox->file_changes_since))
		gbox->file_changes_since = *since;
	gbox->file_changes_pending = TRUE;
}

/* fsyncs the index/control directories if this process replaced a state
   file there; without an index commit since the last look it did not, so
   read-only commands cost no stat() */
static int guard_state_changes(struct mailbox *box, struct guard_box *gbox)
{
	unsigned int commits = guard_index_commits();

	if (commits == gbox->commits_checked)
		return 0;
	if (guard_dirsync_changed(&gbox->dirs, box,
				  (gbox->guser->set.fsync & GUARD_FSYNC_LOG) != 0) < 0)
		return -1;
	gbox->commits_checked = commits;
	return 0;
}

enum guard_write_result {
	GUARD_WRITE_OK,
	GUARD_WRITE_FENCED,       /* the fence refused a commit */
	GUARD_WRITE_FSYNC_FAILED, /* changes made, durability unknown */
};

static enum guard_write_result
guard_after_write(struct mailbox *box, struct guard_box *gbox, bool sync,
		  int *ret)
{
	if (guard_fence_take_refusal()) {
		mail_storage_set_error(box->storage, MAIL_ERROR_INUSE,
				       GUARD_FENCED_ERROR);
		*ret = -1;
		return GUARD_WRITE_FENCED;
	}
	if (!gbox->opened || (gbox->guser->set.fsync & GUARD_FSYNC_DIRS) == 0)
		return GUARD_WRITE_OK;
	/* the client must not hear OK before the renames are durable; a
	   failed sync may still have renamed some, and IMAP answers OK.
	   State files replaced by a commit are looked for at the sync that
	   ends the command (or at close: LMTP, doveadm), once for both */
	if (!sync)
		return GUARD_WRITE_OK;
	if ((*ret == 0 && guard_state_changes(box, gbox) < 0) ||
	    guard_sync_pending(box, gbox) < 0) {
		*ret = -1;
		return GUARD_WRITE_FSYNC_FAILED;
	}
	return GUARD_WRITE_OK;
}

/* a maildir commit a client will be told about: make it durable at the
   sync that ends the command (or at close) */
static void guard_note_acked_commit(struct mailbox *box,
				    struct guard_box *gbox,
				    const struct timespec *started)
{
	struct guard_acked_commit commit;

	if (!guard_index_take_acked_commit(box->index, &commit) ||
	    !gbox->opened || gbox->dirs.entries == 0 ||
	    (gbox->guser->set.fsync & GUARD_FSYNC_DIRS) == 0)
		return;
	/* new mail is durable without its log record: Dovecot fdatasynced the
	   file, its directory and the uidlist line that gives it its UID */
	if (!commit.file_changes)
		return;
	gbox->log_pending = TRUE;
	gbox->log_pending_seq = commit.log_seq;
	gbox->log_pending_offset = commit.log_offset;
	guard_file_changes_from(gbox, started);
}

static int guard_transaction_commit(struct mailbox_transaction_context *t,
				    struct mail_transaction_commit_changes *c)
{
	struct mailbox *box = t->box;
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);
	struct timespec started;
	int ret;

	guard_dirsync_now(&started);
	gbox->op_started = started;
	/* a refusal left over from an index no mailbox wraps (the list
	   index) must not be blamed on this commit */
	(void)guard_fence_take_refusal();
	ret = gbox->module_ctx.super.transaction_commit(t, c);
	if (guard_after_write(box, gbox, FALSE, &ret) == GUARD_WRITE_OK &&
	    ret == 0)
		guard_note_acked_commit(box, gbox, &started);
	return ret;
}

/* maildir saves give out UIDs in here: see guard-uidlist.c */
static int guard_save_commit_pre(struct mail_save_context *ctx)
{
	struct mailbox *box = ctx->transaction->box;
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);
	struct mailbox *previous = guard_uidlist_save_begin(box);
	int ret;

	ret = gbox->module_ctx.super.transaction_save_commit_pre(ctx);
	guard_uidlist_save_end(previous);
	return ret;
}

static struct mailbox_sync_context *
guard_sync_init(struct mailbox *box, enum mailbox_sync_flags flags)
{
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);

	guard_dirsync_now(&gbox->op_started);
	(void)guard_fence_take_refusal();
	return gbox->module_ctx.super.sync_init(box, flags);
}

static void guard_rebuild_done(struct mailbox *box, struct guard_box *gbox)
{
	if (!gbox->rebuilding)
		return;
	gbox->rebuilding = FALSE;
	guard_rebuild_unmark(gbox->index_dir);
	guard_rebuild_release(&gbox->slot);
	guard_event_rebuild(box->event, "finished", gbox->slot.waited_msecs);
}

static int guard_sync_deinit(struct mailbox_sync_context *ctx,
			     struct mailbox_sync_status *status_r)
{
	struct mailbox *box = ctx->box;
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);
	int ret;

	ret = gbox->module_ctx.super.sync_deinit(ctx, status_r);
	if (guard_after_write(box, gbox, TRUE, &ret) ==
	    GUARD_WRITE_FSYNC_FAILED) {
		/* IMAP answers OK even when the sync at the end of a command
		   fails, so a failed directory fsync (the renames and unlinks
		   are already made, durability unknown) must not let the
		   process answer: stop like a crash, as PostgreSQL does */
		i_fatal("hb_guard: %s: directory fsync failed after the "
			"mailbox was changed; exiting so that the client is "
			"not told OK", mailbox_get_vname(box));
	}
	if (ret == 0)
		guard_rebuild_done(box, gbox);
	return ret;
}

/* Called by maildir after each file a sync renamed for a flag change and
   each it unlinked for an expunge, whoever committed the change (also from
   the index sync a save commit runs); uid 0 marks the end of a sync.  These
   renames and unlinks are what a power loss must not undo. */
static void guard_sync_notify(struct mailbox *box, uint32_t uid,
			      enum mailbox_sync_type sync_type)
{
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);

	if (uid != 0 && gbox->opened)
		guard_file_changes_from(gbox, &gbox->op_started);
	if (gbox->module_ctx.super.sync_notify != NULL)
		gbox->module_ctx.super.sync_notify(box, uid, sync_type);
}

/* The rebuild directory is unusable (missing, or open to someone who could
   plant slots): refusing every rebuilding mailbox would turn a setup
   mistake, or a planted file, into lost access to mail, so the rebuild
   runs unthrottled - said once per process, and counted every time. */
static void guard_rebuild_unthrottled(struct mailbox *box, const char *error)
{
	static bool logged = FALSE;

	if (!logged) {
		e_error(box->event, "hb_guard: rebuild limit not applied, "
			"rebuilds in this process run unthrottled: %s", error);
		logged = TRUE;
	}
	guard_event_rebuild(box->event, "unthrottled", 0);
}

/* 0: go on, -1: refuse the open (error set) */
static int guard_open_throttle(struct mailbox *box, struct guard_box *gbox)
{
	const char *control_dir, *error;
	bool maildir = strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0;
	int ret;

	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_INDEX,
				&gbox->index_dir) <= 0 ||
	    mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_CONTROL,
				&control_dir) <= 0 ||
	    !guard_rebuild_needed(gbox->index_dir, control_dir, maildir))
		return 0;
	gbox->index_dir = p_strdup(box->pool, gbox->index_dir);
	ret = guard_rebuild_acquire(&gbox->guser->set, &gbox->slot, &error);
	if (gbox->slot.refused != NULL) {
		e_error(box->event, "hb_guard: rebuild slot refused: %s",
			gbox->slot.refused);
	}
	if (ret < 0) {
		guard_rebuild_unthrottled(box, error);
		gbox->rebuilding = TRUE;
		return 0;
	}
	if (ret == 0) {
		guard_event_rebuild(box->event, "throttled",
				    gbox->slot.waited_msecs);
		mail_storage_set_error(box->storage, MAIL_ERROR_INUSE,
				       GUARD_THROTTLED_ERROR);
		return -1;
	}
	guard_event_rebuild(box->event, "started", gbox->slot.waited_msecs);
	gbox->rebuilding = TRUE;
	return 0;
}

static int guard_open(struct mailbox *box)
{
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);

	if (guard_open_throttle(box, gbox) < 0)
		return -1;
	if (gbox->module_ctx.super.open(box) < 0) {
		guard_rebuild_release(&gbox->slot);
		gbox->rebuilding = FALSE;
		return -1;
	}
	guard_dirsync_init(&gbox->dirs, box);
	gbox->commits_checked = guard_index_commits();
	(void)guard_fence_register(box);
	gbox->opened = TRUE;
	return 0;
}

static void guard_close(struct mailbox *box)
{
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);

	/* what commits without a sync after them changed (LMTP, doveadm)
	   becomes durable here; close cannot fail, and the caller answers
	   OK next, so a failed fsync stops the process as after a sync */
	if (gbox->opened &&
	    (gbox->guser->set.fsync & GUARD_FSYNC_DIRS) != 0 &&
	    (guard_state_changes(box, gbox) < 0 ||
	     guard_sync_pending(box, gbox) < 0)) {
		i_fatal("hb_guard: %s: fsync failed after the mailbox was "
			"changed; exiting so that the client is not told OK",
			mailbox_get_vname(box));
	}
	guard_fence_unregister(box);
	guard_rebuild_release(&gbox->slot);
	gbox->rebuilding = FALSE;
	gbox->opened = FALSE;
	gbox->module_ctx.super.close(box);
}

static void guard_free(struct mailbox *box)
{
	struct guard_box *gbox = GUARD_BOX_CONTEXT(box);

	guard_fence_unregister(box);
	guard_rebuild_release(&gbox->slot);
	gbox->module_ctx.super.free(box);
}

void guard_mailbox_allocated(struct mailbox *box)
{
	struct guard_user *guser = guard_user_get(box->storage->user);
	struct mailbox_vfuncs *v = box->vlast;
	struct guard_box *gbox;

	if (guser == NULL)
		return;
	gbox = p_new(box->pool, struct guard_box, 1);
	gbox->guser = guser;
	gbox->slot.fd = -1;
	gbox->module_ctx.super = *v;
	box->vlast = &gbox->module_ctx.super;
	v->open = guard_open;
	v->close = guard_close;
	v->free = guard_free;
	v->sync_init = guard_sync_init;
	v->sync_deinit = guard_sync_deinit;
	v->sync_notify = guard_sync_notify;
	v->transaction_commit = guard_transaction_commit;
	if (v->transaction_save_commit_pre != NULL)
		v->transaction_save_commit_pre = guard_save_commit_pre;
	MODULE_CONTEXT_SET(box, guard_box_module, gbox);
}
