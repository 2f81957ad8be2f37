/* guard-uidlist.c - closes a kill -9 race in Dovecot 2.3's maildir saves.
 *
 * A save (APPEND, COPY, delivery) commits twice while it holds the
 * dovecot-uidlist lock: first its index sync, whose maildir header now
 * records the size and mtime of the uidlist the save just appended its
 * records to, then its own transaction with the new messages and next_uid.
 * A process killed between the two leaves an index that vouches for a
 * uidlist naming UIDs past the index's next_uid.  The next save in a
 * process that has not read the uidlist yet trusts that header
 * (maildir_uidlist_refresh_fast_init: next_uid from the index, the file
 * not read), gives the same UIDs out again and appends them: the uidlist
 * becomes "UIDs not ordered", and Dovecot's repair renumbers mail whose
 * UIDs clients were already told (COPYUID, APPENDUID).
 *
 * Dovecot begins the save's index sync right after that decision, with the
 * uidlist locked and before any UID is given out; the index transaction
 * hook (guard-index.c) brings us there.  If Dovecot took the fast path, the
 * end of the uidlist is read: when it names a UID at or past the next_uid
 * Dovecot took from the index, Dovecot is made to read the whole uidlist,
 * so the killed writer's mail comes into the index under its own UIDs and
 * the new mail gets the next ones.  Saves that read the uidlist anyway pay
 * nothing. */
#include "lib.h"
#include "mail-storage-private.h"
#include "maildir-storage.h"
#include "maildir-uidlist.h"
#include "guard-events.h"
#include "guard-uidlist-tail.h"
#include "guard-uidlist.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* the maildir whose save commit is running, until its index sync begins */
static struct mailbox *saving_box;

struct mailbox *guard_uidlist_save_begin(struct mailbox *box)
{
	struct mailbox *previous = saving_box;

	if (strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0)
		saving_box = box;
	return previous;
}

void guard_uidlist_save_end(struct mailbox *previous)
{
	saving_box = previous;
}

/* the next UID the end of the uidlist implies; 0 if it says none */
static uint32_t uidlist_file_next_uid(struct mailbox *box,
				      const char **path_r)
{
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
	else if (guard_uidlist_tail_read(fd, st.st_size, &next_uid) < 0)
		e_error(box->event, "hb_guard: read(%s) failed: %m", *path_r);
	i_close_fd(&fd);
	return next_uid;
}

static void catch_up_with_uidlist(struct mailbox *box,
				  struct maildir_uidlist *uidlist)
{
	/* what the fast path took from the index */
	uint32_t index_next = maildir_uidlist_get_next_uid(uidlist);
	uint32_t file_next;
	const char *path = NULL;

	if (index_next == 0)
		return;
	file_next = uidlist_file_next_uid(box, &path);
	if (file_next <= index_next)
		return;
	guard_event_uidlist_behind(box->event, path, file_next, index_next);
	(void)maildir_uidlist_refresh(uidlist);
}

void guard_uidlist_index_transaction(struct mail_index *index)
{
	struct mailbox *box = saving_box;
	struct maildir_uidlist *uidlist;

	if (box == NULL || box->index != index)
		return;
	saving_box = NULL;	/* once per save: at its index sync */
	uidlist = (MAILDIR_MAILBOX(box))->uidlist;
	/* not locked: Dovecot gives out no UIDs; read: the file is known */
	if (!maildir_uidlist_is_locked(uidlist) ||
	    maildir_uidlist_is_read(uidlist))
		return;
	T_BEGIN {
		catch_up_with_uidlist(box, uidlist);
	} T_END;
}
