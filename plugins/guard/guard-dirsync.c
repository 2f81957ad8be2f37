/* guard-dirsync.c - fsync of the directories whose entries a mailbox
 * operation changed.  Dovecot renames dovecot.index.tmp, the rotated log,
 * dovecot.index.cache.tmp and dovecot-uidlist.tmp into place, and maildir
 * renames (flag changes) and unlinks (expunges) files in cur/, without
 * fsyncing the directory: after a power loss the old name can come back.
 * Finding the changed directories by ctime costs one stat each. */
#include "lib.h"
#include "time-util.h"
#include "mail-storage-private.h"
#include "maildir-storage.h"
#include "guard-events.h"
#include "guard-dirsync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void dirsync_add(struct guard_dirsync *ds, pool_t pool,
			const char *dir)
{
	for (unsigned int i = 0; i < ds->count; i++) {
		if (strcmp(ds->dirs[i], dir) == 0)
			return;
	}
	if (ds->count < N_ELEMENTS(ds->dirs))
		ds->dirs[ds->count++] = p_strdup(pool, dir);
}

void guard_dirsync_init(struct guard_dirsync *ds, struct mailbox *box)
{
	const char *index_dir, *control_dir, *mail_dir;

	i_zero(ds);
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_INDEX,
				&index_dir) > 0)
		dirsync_add(ds, box->pool, index_dir);
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_CONTROL,
				&control_dir) > 0)
		dirsync_add(ds, box->pool, control_dir);
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_MAILBOX,
				&mail_dir) <= 0)
		return;
	dirsync_add(ds, box->pool, mail_dir);
	if (strcmp(box->storage->name, MAILDIR_STORAGE_NAME) == 0) {
		dirsync_add(ds, box->pool, t_strconcat(mail_dir, "/cur", NULL));
		dirsync_add(ds, box->pool, t_strconcat(mail_dir, "/new", NULL));
	}
}

void guard_dirsync_now(struct timespec *ts_r)
{
	/* ctime comes from the coarse clock: a fine reading could be later
	   than the stamp of a change made right after it */
	if (clock_gettime(CLOCK_REALTIME_COARSE, ts_r) < 0)
		i_fatal("clock_gettime() failed: %m");
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
		(a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* TRUE if dir must be fsynced; *ctime_r is what to remember after it */
static bool dir_needs_sync(const char *dir, const struct timespec *since,
			   const struct timespec *synced,
			   struct timespec *ctime_r)
{
	struct timespec now;
	struct stat st;

	i_zero(ctime_r);
	if (stat(dir, &st) < 0) {
		/* gone (mailbox deleted): nothing to keep; any other error:
		   try the fsync, which reports it */
		return errno != ENOENT;
	}
	if (ts_before(&st.st_ctim, since))
		return FALSE;
	if (st.st_ctim.tv_sec == synced->tv_sec &&
	    st.st_ctim.tv_nsec == synced->tv_nsec)
		return FALSE; /* unchanged since our last fsync */
	guard_dirsync_now(&now);
	if (ts_before(&st.st_ctim, &now))
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

int guard_dirsync_changed(struct guard_dirsync *ds, struct mailbox *box,
			  const struct timespec *started)
{
	struct timespec ctime;
	int ret = 0;

	for (unsigned int i = 0; i < ds->count; i++) {
		if (!dir_needs_sync(ds->dirs[i], started, &ds->synced[i],
				    &ctime))
			continue;
		if (dir_fsync(box, ds->dirs[i]) < 0)
			ret = -1;
		else
			ds->synced[i] = ctime;
	}
	return ret;
}
