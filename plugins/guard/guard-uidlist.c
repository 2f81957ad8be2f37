/* guard-uidlist.c - closes a kill -9 race in Dovecot 2.3's maildir saves.
 *
 * A save (APPEND, COPY, delivery) commits twice while it holds the
 * dovecot-uidlist lock: first its index sync, whose maildir header now
 * records the size and mtime of the uidlist the save just appended its
 * records to, then its own transaction with the new messages and next_uid.
 * A process killed between the two leaves an index that vouches for a
 * uidlist naming UIDs past the index's next_uid.  The next save in a
 * process that has not read the uidlist yet trusts that header
 * (maildir_uidlist_refresh_fast_init), gives the same UIDs out again and
 * appends them: the uidlist becomes "UIDs not ordered", and Dovecot's
 * repair renumbers mail whose UIDs clients were already told (COPYUID,
 * APPENDUID).
 *
 * Under the uidlist lock, before the save assigns UIDs, the check below
 * reads the end of the uidlist when the index vouches for it; if the file
 * names a UID the index does not have, Dovecot is made to read the whole
 * uidlist, so the killed writer's mail comes in under its own UIDs and the
 * new mail gets the next ones.  Holding the lock across the commit keeps
 * another writer from dying in between. */
#include "lib.h"
#include "mail-storage-private.h"
#include "maildir-storage.h"
#include "maildir-uidlist.h"
#include "maildir-sync.h"
#include "guard-events.h"
#include "guard-uidlist-tail.h"
#include "guard-uidlist.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_maildir(struct mailbox *box)
{
	return strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0;
}

/* TRUE if the index's maildir header describes the file of ST exactly:
   then Dovecot would take next_uid from the index without reading it */
static bool index_vouches_for(const struct maildir_index_header *mhdr,
			      const struct stat *st)
{
	return (uoff_t)st->st_size == mhdr->uidlist_size &&
		(uint32_t)st->st_mtime == mhdr->uidlist_mtime &&
		(uint32_t)st->st_mtim.tv_nsec == mhdr->uidlist_mtime_nsecs;
}

static uint32_t index_next_uid(struct mailbox *box)
{
	struct mail_index_view *view = mail_index_view_open(box->index);
	uint32_t next_uid = mail_index_get_header(view)->next_uid;

	mail_index_view_close(&view);
	return next_uid;
}

/* the next UID the uidlist implies when the index vouches for it, else 0 */
static uint32_t vouched_uidlist_next_uid(struct maildir_mailbox *mbox,
					 const char **path_r)
{
	struct mailbox *box = &mbox->box;
	const char *dir;
	struct stat st;
	uint32_t next_uid = 0;
	int fd;

	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_CONTROL,
				&dir) <= 0)
		return 0;
	*path_r = t_strconcat(dir, "/" MAILDIR_UIDLIST_NAME, NULL);
	fd = open(*path_r, O_RDONLY);
	if (fd == -1) {
		if (errno != ENOENT)
			e_error(box->event, "hb_guard: open(%s) failed: %m",
				*path_r);
		return 0;
	}
	if (fstat(fd, &st) < 0)
		e_error(box->event, "hb_guard: fstat(%s) failed: %m", *path_r);
	else if (index_vouches_for(&mbox->maildir_hdr, &st) &&
		 guard_uidlist_tail_read(fd, st.st_size, &next_uid) < 0)
		e_error(box->event, "hb_guard: read(%s) failed: %m", *path_r);
	i_close_fd(&fd);
	return next_uid;
}

static void catch_up_with_uidlist(struct mailbox *box)
{
	struct maildir_mailbox *mbox = MAILDIR_MAILBOX(box);
	const char *path = NULL;
	uint32_t file_next, index_next;

	/* what Dovecot's save reads next: the index header as of now */
	if (maildir_sync_header_refresh(mbox) < 0)
		return;
	file_next = vouched_uidlist_next_uid(mbox, &path);
	if (file_next == 0)
		return;
	index_next = index_next_uid(box);
	if (file_next <= index_next)
		return;
	guard_event_uidlist_behind(box->event, path, file_next, index_next);
	(void)maildir_uidlist_refresh(mbox->uidlist);
}

struct maildir_uidlist *
guard_uidlist_save_prepare(struct mail_save_context *ctx)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct maildir_mailbox *mbox;
	int ret;

	if (!is_maildir(t->box))
		return NULL;
	mbox = MAILDIR_MAILBOX(t->box);
	/* Dovecot locks here too: it waits when it assigns UIDs and only
	   tries otherwise; taking the lock first changes no order */
	if ((t->flags & MAILBOX_TRANSACTION_FLAG_ASSIGN_UIDS) != 0)
		ret = maildir_uidlist_lock(mbox->uidlist);
	else
		ret = maildir_uidlist_try_lock(mbox->uidlist);
	if (ret <= 0)
		return NULL;	/* Dovecot's own attempt reports it */
	T_BEGIN {
		catch_up_with_uidlist(t->box);
	} T_END;
	return mbox->uidlist;
}

void guard_uidlist_save_done(struct maildir_uidlist *locked)
{
	if (locked != NULL)
		maildir_uidlist_unlock(locked);
}
