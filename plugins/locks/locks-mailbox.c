/* locks-mailbox.c - wraps the mailbox vfuncs inside which Dovecot takes and
 * holds its index, log, cache and maildir uidlist locks: open, sync
 * (sync_init to sync_deinit: the index sync and, for maildir, the uidlist
 * lock) and transaction_commit (the log append, saves and copies).  Around
 * each it reads Dovecot's own per-process total of time spent blocked in
 * file locks and dotlocks (file_lock_wait_get_total_usecs(), the counter
 * behind imap_command_finished's lock_wait_usecs), so the wait is exact;
 * the operation's run time is an upper bound of how long it held them.
 * Each operation that waited 1 ms or more sends the event hb_lock_wait; one
 * that waited
 * or ran longer than hb_locks_warn is logged once, as hb_lock_slow, with
 * user, mailbox, the files that operation locks and the lock method. */
#include "lib.h"
#include "file-lock.h"
#include "time-util.h"
#include "mail-user.h"
#include "mail-storage-private.h"
#include "maildir-storage.h"
#include "locks-settings.h"
#include "locks-mailbox.h"
#include "locks-title.h"

#define LOCKS_WAIT_EVENT_MIN_USECS 1000

#define LOCKS_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, locks_user_module)
#define LOCKS_BOX_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, locks_box_module)

struct locks_user {
	union mail_user_module_context module_ctx;
	struct locks_settings set;
};

struct locks_op {
	struct timeval started;
	uint64_t wait_at_start;
	bool titled;
};

struct locks_box {
	union mailbox_module_context module_ctx;
	struct locks_user *luser;
	struct locks_op sync;
};

static MODULE_CONTEXT_DEFINE_INIT(locks_user_module,
				  &mail_user_module_register);
static MODULE_CONTEXT_DEFINE_INIT(locks_box_module,
				  &mail_storage_module_register);

static void locks_op_start(struct mailbox *box, struct locks_op *op,
			   const char *operation)
{
	struct locks_box *lbox = LOCKS_BOX_CONTEXT(box);

	i_gettimeofday(&op->started);
	op->wait_at_start = file_lock_wait_get_total_usecs();
	op->titled = lbox->luser->set.title;
	if (op->titled)
		locks_title_begin(operation, &op->started, box->storage->user->username,
				  mailbox_get_vname(box));
}

/* the files an operation of this mailbox locks, for the warning */
static const char *locks_op_files(struct mailbox *box, const char *operation)
{
	bool maildir = strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0;

	if (strcmp(operation, "commit") == 0)
		return maildir ? "dovecot.index.log, dovecot-uidlist (saves)" :
			"dovecot.index.log";
	return maildir ? "dovecot.index.log, dovecot-uidlist" :
		"dovecot.index.log";
}

static void locks_op_end(struct mailbox *box, struct locks_box *lbox,
			 const struct locks_op *op, const char *operation)
{
	uint64_t wait = file_lock_wait_get_total_usecs() - op->wait_at_start;
	struct timeval now;
	long long run;
	unsigned int warn_msecs = lbox->luser->set.warn_msecs;

	if (op->titled)
		locks_title_end();
	i_gettimeofday(&now);
	run = timeval_diff_usecs(&now, &op->started);
	if (run < 0)
		run = 0;
	/* an uncontended blocking lock call counts a few microseconds too:
	   below this the event would only cost a message to stats per
	   operation */
	if (wait >= LOCKS_WAIT_EVENT_MIN_USECS) {
		e_debug(event_create_passthrough(box->event)->
			set_name("hb_lock_wait")->
			add_str("operation", operation)->
			add_int("wait_usecs", (intmax_t)wait)->
			add_int("run_usecs", run)->event(),
			"hb_locks: %s waited %llu us for locks",
			operation, (unsigned long long)wait);
	}
	if (warn_msecs == 0 ||
	    (wait < (uint64_t)warn_msecs * 1000 && run < (long long)warn_msecs * 1000))
		return;
	e_warning(event_create_passthrough(box->event)->
		  set_name("hb_lock_slow")->
		  add_str("operation", operation)->
		  add_str("files", locks_op_files(box, operation))->
		  add_str("lock_method", file_lock_method_to_str(
				box->storage->set->parsed_lock_method))->
		  add_int("wait_usecs", (intmax_t)wait)->
		  add_int("run_usecs", run)->event(),
		  "hb_locks: slow %s of mailbox %s (user %s): waited %llu.%03llu s "
		  "for locks, ran %lld.%03lld s holding them (%s, lock_method=%s)",
		  operation, mailbox_get_vname(box), box->storage->user->username,
		  (unsigned long long)(wait / 1000000),
		  (unsigned long long)(wait / 1000 % 1000),
		  run / 1000000, run / 1000 % 1000, locks_op_files(box, operation),
		  file_lock_method_to_str(box->storage->set->parsed_lock_method));
}

static int locks_open(struct mailbox *box)
{
	struct locks_box *lbox = LOCKS_BOX_CONTEXT(box);
	struct locks_op op;
	int ret;

	locks_op_start(box, &op, "open");
	ret = lbox->module_ctx.super.open(box);
	locks_op_end(box, lbox, &op, "open");
	return ret;
}

static struct mailbox_sync_context *
locks_sync_init(struct mailbox *box, enum mailbox_sync_flags flags)
{
	struct locks_box *lbox = LOCKS_BOX_CONTEXT(box);

	locks_op_start(box, &lbox->sync, "sync");
	return lbox->module_ctx.super.sync_init(box, flags);
}

static int locks_sync_deinit(struct mailbox_sync_context *ctx,
			     struct mailbox_sync_status *status_r)
{
	struct mailbox *box = ctx->box;
	struct locks_box *lbox = LOCKS_BOX_CONTEXT(box);
	int ret;

	ret = lbox->module_ctx.super.sync_deinit(ctx, status_r);
	locks_op_end(box, lbox, &lbox->sync, "sync");
	return ret;
}

static int locks_transaction_commit(struct mailbox_transaction_context *t,
				    struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	struct locks_box *lbox = LOCKS_BOX_CONTEXT(box);
	struct locks_op op;
	int ret;

	locks_op_start(box, &op, "commit");
	ret = lbox->module_ctx.super.transaction_commit(t, changes_r);
	locks_op_end(box, lbox, &op, "commit");
	return ret;
}

void locks_mailbox_allocated(struct mailbox *box)
{
	struct locks_user *luser = LOCKS_USER_CONTEXT(box->storage->user);
	struct mailbox_vfuncs *v = box->vlast;
	struct locks_box *lbox;

	if (luser == NULL)
		return;
	lbox = p_new(box->pool, struct locks_box, 1);
	lbox->luser = luser;
	lbox->module_ctx.super = *v;
	box->vlast = &lbox->module_ctx.super;
	v->open = locks_open;
	v->sync_init = locks_sync_init;
	v->sync_deinit = locks_sync_deinit;
	v->transaction_commit = locks_transaction_commit;
	MODULE_CONTEXT_SET(box, locks_box_module, lbox);
}

void locks_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct locks_user *luser;
	const char *error;

	luser = p_new(user->pool, struct locks_user, 1);
	if (locks_settings_read(user, &luser->set, &error) < 0) {
		user->error = p_strdup_printf(user->pool, "hb_locks: %s", error);
		return;
	}
	luser->module_ctx.super = *v;
	user->vlast = &luser->module_ctx.super;
	MODULE_CONTEXT_SET(user, locks_user_module, luser);
}
