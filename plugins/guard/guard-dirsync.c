/* guard-dirsync.c - fsync of the directories whose entries a mailbox
 * operation changed.  Dovecot renames dovecot.index.tmp, the rotated log,
 * dovecot.index.cache.tmp and dovecot-uidlist.tmp into place, and maildir
 * renames (flag changes) and unlinks (expunges) files in cur/, without
 * fsyncing the directory: after a power loss the old name can come back.
 * Finding them costs a few stat() calls; fsyncing only those keeps the
 * cost to what a power loss could really undo (docs/GUARD.md). */
#include "lib.h"
#include "time-util.h"
#include "mail-storage-private.h"
#include "maildir-storage.h"
#include "mail-index.h"
#include "guard-events.h"
#include "guard-dirsync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Dovecot's files whose replacement (new inode) must survive a power loss */
enum { GUARD_STATE_INDEX, GUARD_STATE_LOG };
static const char *const guard_state_files[GUARD_DIRSYNC_STATE_FILES] = {
	"dovecot.index", "dovecot.index.log", "dovecot.index.cache",
	"dovecot-uidlist", "dovecot-keywords", "dovecot.list.index",
	"dovecot.list.index.log",
};

/* the added directory, NULL when it was there already (or no room) */
static struct guard_dir *
dirsync_add(struct guard_dirsync *ds, pool_t pool, const char *path,
	    enum guard_dir_kind kind)
{
	struct guard_dir *dir;

	for (unsigned int i = 0; i < ds->count; i++) {
		if (strcmp(ds->dirs[i].path, path) == 0)
			return NULL;
	}
	if (ds->count == N_ELEMENTS(ds->dirs))
		return NULL;
	dir = &ds->dirs[ds->count++];
	i_zero(dir);
	dir->path = p_strdup(pool, path);
	dir->kind = kind;
	if (kind == GUARD_DIR_ENTRIES)
		ds->entries++;
	return dir;
}

static bool state_dir_changed(const struct guard_dir *dir,
			      ino_t inodes_r[GUARD_DIRSYNC_STATE_FILES]);

void guard_dirsync_init(struct guard_dirsync *ds, struct mailbox *box)
{
	const char *index_dir, *control_dir, *mail_dir;

	i_zero(ds);
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_INDEX,
				&index_dir) > 0)
		(void)dirsync_add(ds, box->pool, index_dir, GUARD_DIR_STATE);
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_CONTROL,
				&control_dir) > 0)
		(void)dirsync_add(ds, box->pool, control_dir, GUARD_DIR_STATE);
	if (strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0 &&
	    mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_MAILBOX,
				&mail_dir) > 0) {
		(void)dirsync_add(ds, box->pool,
				  t_strconcat(mail_dir, "/cur", NULL),
				  GUARD_DIR_ENTRIES);
		/* an expunge of a message still in new/ unlinks there */
		(void)dirsync_add(ds, box->pool,
				  t_strconcat(mail_dir, "/new", NULL),
				  GUARD_DIR_ENTRIES);
	}
	/* what was there when we opened it is not ours to make durable */
	for (unsigned int i = 0; i < ds->count; i++) {
		if (ds->dirs[i].kind == GUARD_DIR_STATE)
			(void)state_dir_changed(&ds->dirs[i],
						ds->dirs[i].inodes);
	}
}

void guard_dirsync_now(struct timespec *ts_r)
{
	/* ctime comes from the coarse clock: a fine reading could be later
	   than the stamp of a change made right after it */
	if (clock_gettime(CLOCK_REALTIME_COARSE, ts_r) < 0)
		i_fatal("clock_gettime() failed: %m");
}

bool guard_dirsync_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
		(a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* STATE dir: TRUE if a state file's inode differs from our last fsync;
   inodes_r gets the current ones */
static bool state_dir_changed(const struct guard_dir *dir,
			      ino_t inodes_r[GUARD_DIRSYNC_STATE_FILES])
{
	struct stat st;
	bool changed = FALSE;

	for (unsigned int i = 0; i < GUARD_DIRSYNC_STATE_FILES; i++) {
		const char *path = t_strconcat(dir->path, "/",
					       guard_state_files[i], NULL);

		inodes_r[i] = stat(path, &st) == 0 ? st.st_ino : 0;
		if (inodes_r[i] != dir->inodes[i])
			changed = TRUE;
	}
	return changed;
}

/* ENTRIES dir: TRUE if it must be fsynced; *ctime_r is what to remember */
static bool entries_dir_changed(const struct guard_dir *dir,
			    const struct timespec *since,
			    struct timespec *ctime_r)
{
	struct timespec now;
	struct stat st;

	i_zero(ctime_r);
	if (stat(dir->path, &st) < 0) {
		/* gone (mailbox deleted): nothing to keep; any other error:
		   try the fsync, which reports it */
		return errno != ENOENT;
	}
	if (guard_dirsync_before(&st.st_ctim, since))
		return FALSE;
	if (st.st_ctim.tv_sec == dir->synced.tv_sec &&
	    st.st_ctim.tv_nsec == dir->synced.tv_nsec)
		return FALSE; /* unchanged since our last fsync */
	guard_dirsync_now(&now);
	if (guard_dirsync_before(&st.st_ctim, &now))
		*ctime_r = st.st_ctim; /* later changes will show */
	return TRUE;
}

static int dir_fsync(struct mailbox *box, const char *dir)
{
	struct timeval start, end;
	int fd, ret;

	i_gettimeofday(&start);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		mailbox_set_critical(box, "hb_guard: open(%s) failed: %m", dir);
		return -1;
	}
	ret = fsync(fd);
	if (ret < 0)
		mailbox_set_critical(box, "hb_guard: fsync(%s) failed: %m", dir);
	i_close_fd(&fd);
	i_gettimeofday(&end);
	guard_event_dir_fsync(box->event, dir, timeval_diff_usecs(&end, &start));
	return ret;
}

/* dovecot.index (or the log) was replaced: a new index records how far it
   has read the log, so its durable name must not point past the durable
   log - after a power loss that is "Lost log" and a full rebuild */
static bool index_replaced(const struct guard_dir *dir,
			   const ino_t inodes[GUARD_DIRSYNC_STATE_FILES])
{
	return inodes[GUARD_STATE_INDEX] != dir->inodes[GUARD_STATE_INDEX] ||
		inodes[GUARD_STATE_LOG] != dir->inodes[GUARD_STATE_LOG];
}

static int file_fdatasync(struct mailbox *box, const char *path)
{
	struct timeval start, end;
	int fd, ret;

	/* fdatasync() works on the file, whichever descriptor wrote it */
	i_gettimeofday(&start);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		mailbox_set_critical(box, "hb_guard: open(%s) failed: %m",
				     path);
		return -1;
	}
	ret = fdatasync(fd);
	if (ret < 0) {
		mailbox_set_critical(box, "hb_guard: fdatasync(%s) failed: %m",
				     path);
	}
	i_close_fd(&fd);
	i_gettimeofday(&end);
	guard_event_log_fsync(box->event, path,
			      timeval_diff_usecs(&end, &start));
	return ret;
}

static int logs_fdatasync(struct mailbox *box, const char *dir)
{
	const char *log = t_strconcat(dir, "/"MAIL_INDEX_PREFIX".log", NULL);

	if (file_fdatasync(box, t_strconcat(log, ".2", NULL)) < 0 ||
	    file_fdatasync(box, log) < 0)
		return -1;
	return 0;
}

int guard_dirsync_changed(struct guard_dirsync *ds, struct mailbox *box,
			  bool sync_logs)
{
	ino_t inodes[GUARD_DIRSYNC_STATE_FILES];
	int ret = 0;

	for (unsigned int i = 0; i < ds->count; i++) {
		struct guard_dir *dir = &ds->dirs[i];

		if (dir->kind != GUARD_DIR_STATE)
			continue;
		T_BEGIN {
			if (!state_dir_changed(dir, inodes))
				;
			else if (sync_logs && index_replaced(dir, inodes) &&
				 logs_fdatasync(box, dir->path) < 0)
				ret = -1;
			else if (dir_fsync(box, dir->path) < 0)
				ret = -1;
			else
				memcpy(dir->inodes, inodes, sizeof(inodes));
		} T_END;
	}
	return ret;
}

int guard_dirsync_entries(struct guard_dirsync *ds, struct mailbox *box,
			  const struct timespec *since)
{
	struct timespec ctime;
	int ret = 0;

	for (unsigned int i = 0; i < ds->count && ret >= 0; i++) {
		struct guard_dir *dir = &ds->dirs[i];

		if (dir->kind != GUARD_DIR_ENTRIES ||
		    !entries_dir_changed(dir, since, &ctime))
			continue;
		if (dir_fsync(box, dir->path) < 0)
			return -1;
		dir->synced = ctime;
		ret = 1;
	}
	return ret;
}

int guard_dirsync_log(struct mailbox *box)
{
	const char *index_dir;

	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_INDEX,
				&index_dir) <= 0)
		return 0;
	return file_fdatasync(box, t_strconcat(index_dir,
					       "/"MAIL_INDEX_PREFIX".log", NULL));
}
