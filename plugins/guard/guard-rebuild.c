/* guard-rebuild.c - keeps mass re-indexing from saturating storage: at
 * most hb_guard_rebuild_limit mailboxes rebuild at once on this node; the
 * others wait hb_guard_rebuild_wait and then get a temporary error instead
 * of hanging.  Slots are files slot-0..N-1 in hb_guard_rebuild_dir, locked
 * with flock() on a read-only descriptor.
 * Must never: follow a symlink, open a FIFO or a hard link, or use a
 * directory or file someone other than this uid or root could have
 * planted; never change the umask, never create anything but 0600/0700.
 * What it refuses it says, and an unusable directory makes the caller go
 * on unthrottled (docs/GUARD.md "Throttled rebuild"). */
#include "lib.h"
#include "sleep.h"
#include "guard-settings.h"
#include "guard-rebuild.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUARD_REBUILD_POLL_MSECS 50
#define GUARD_REBUILD_DIR_MODE 0700
#define GUARD_REBUILD_SLOT_MODE 0600
#define GUARD_REBUILD_OPEN_FLAGS \
	(O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* only this process's uid (the mail user) or root may own what we use */
static int rebuild_check_owner(const char *path, const struct stat *st,
			       const char **error_r)
{
	uid_t euid = geteuid();

	if (st->st_uid == euid || st->st_uid == 0)
		return 0;
	*error_r = t_strdup_printf("%s is owned by uid %lu, not by the mail "
				   "uid %lu or root", path,
				   (unsigned long)st->st_uid,
				   (unsigned long)euid);
	return -1;
}

static int rebuild_dir_check(const char *dir, int fd, const char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", dir);
		return -1;
	}
	if (rebuild_check_owner(dir, &st, error_r) < 0)
		return -1;
	/* a sticky bit does not help: others could still plant names */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		*error_r = t_strdup_printf(
			"%s is writable by group or others (mode %04o): "
			"anyone there could plant slot files", dir,
			(unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Opens dir (creating it 0700 if missing and its parent lets us) without
   following a symlink; the slots are then opened relative to this fd, so
   the directory checked is the directory used. */
static int rebuild_dir_open(const char *dir, int *fd_r, const char **error_r)
{
	int flags = O_RDONLY | O_DIRECTORY | GUARD_REBUILD_OPEN_FLAGS;
	int fd = open(dir, flags);

	if (fd < 0 && errno == ENOENT) {
		if (mkdir(dir, GUARD_REBUILD_DIR_MODE) < 0 && errno != EEXIST) {
			*error_r = t_strdup_printf(
				"mkdir(%s) failed: %m (create it owned by the "
				"mail uid, mode 0700, or set "
				"hb_guard_rebuild_dir)", dir);
			return -1;
		}
		fd = open(dir, flags);
	}
	if (fd < 0) {
		*error_r = errno == ELOOP ?
			t_strdup_printf("%s is a symlink", dir) :
			t_strdup_printf("open(%s) failed: %m", dir);
		return -1;
	}
	if (rebuild_dir_check(dir, fd, error_r) < 0) {
		i_close_fd(&fd);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

static int rebuild_slot_check(const char *path, int fd, const char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = t_strdup_printf("%s is not a regular file", path);
		return -1;
	}
	if (st.st_nlink != 1) {
		*error_r = t_strdup_printf("%s has %lu hard links", path,
					   (unsigned long)st.st_nlink);
		return -1;
	}
	if (rebuild_check_owner(path, &st, error_r) < 0)
		return -1;
	/* group read is how several mail uids share root's slot files;
	   others who can open a slot could hold it */
	if ((st.st_mode & (S_IWGRP | S_IRWXO)) != 0) {
		*error_r = t_strdup_printf(
			"%s is writable by group or open to others (mode %04o)",
			path, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* 1: locked, 0: busy, -1: refused (error_r says why) */
static int rebuild_try_slot(int dir_fd, const char *dir, unsigned int n,
			    int *fd_r, const char **error_r)
{
	const char *name = t_strdup_printf("slot-%u", n);
	const char *path = t_strdup_printf("%s/%s", dir, name);
	int fd = openat(dir_fd, name, O_RDONLY | O_CREAT |
			GUARD_REBUILD_OPEN_FLAGS, GUARD_REBUILD_SLOT_MODE);
	int ret;

	if (fd < 0) {
		*error_r = errno == ELOOP ?
			t_strdup_printf("%s is a symlink", path) :
			t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (rebuild_slot_check(path, fd, error_r) < 0) {
		i_close_fd(&fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		*fd_r = fd;
		return 1;
	}
	ret = errno == EWOULDBLOCK ? 0 : -1;
	if (ret < 0)
		*error_r = t_strdup_printf("flock(%s) failed: %m", path);
	i_close_fd(&fd);
	return ret;
}

/* A refused slot counts as busy (fewer slots: a stricter limit); only when
   every slot is refused is the directory unusable (-1). */
static int rebuild_try_all(int dir_fd, const struct guard_settings *set,
			   struct guard_rebuild_slot *slot,
			   const char **error_r)
{
	unsigned int refused = 0;
	const char *error;
	int ret;

	for (unsigned int n = 0; n < set->rebuild_limit; n++) {
		ret = rebuild_try_slot(dir_fd, set->rebuild_dir, n,
				       &slot->fd, &error);
		if (ret > 0)
			return 1;
		if (ret < 0) {
			refused++;
			/* each refused slot is told once, not at every poll */
			if (slot->waited_msecs == 0) {
				slot->refused = slot->refused == NULL ? error :
					t_strconcat(slot->refused, "; ",
						    error, NULL);
			}
		}
	}
	if (refused < set->rebuild_limit)
		return 0;
	*error_r = t_strdup_printf("every slot refused: %s", slot->refused);
	return -1;
}

int guard_rebuild_acquire(const struct guard_settings *set,
			  struct guard_rebuild_slot *slot,
			  const char **error_r)
{
	int dir_fd, ret;

	slot->fd = -1;
	slot->waited_msecs = 0;
	slot->refused = NULL;
	if (rebuild_dir_open(set->rebuild_dir, &dir_fd, error_r) < 0)
		return -1;
	for (;;) {
		ret = rebuild_try_all(dir_fd, set, slot, error_r);
		if (ret != 0 || slot->waited_msecs >= set->rebuild_wait_msecs)
			break;
		/* a blocking wait is fine: one client per mail process, and
		   its client gets an answer within rebuild_wait */
		i_sleep_msecs(GUARD_REBUILD_POLL_MSECS);
		slot->waited_msecs += GUARD_REBUILD_POLL_MSECS;
	}
	i_close_fd(&dir_fd);
	return ret;
}

void guard_rebuild_release(struct guard_rebuild_slot *slot)
{
	if (slot->fd != -1)
		i_close_fd(&slot->fd); /* closing drops the flock */
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

bool guard_rebuild_needed(const char *index_dir, const char *control_dir,
			  bool maildir)
{
	if (file_exists(t_strconcat(index_dir, "/" GUARD_REBUILD_MARKER, NULL)))
		return TRUE;
	return maildir &&
		file_exists(t_strconcat(control_dir, "/dovecot-uidlist", NULL)) &&
		!file_exists(t_strconcat(index_dir, "/dovecot.index.log", NULL));
}

void guard_rebuild_mark(const char *index_dir)
{
	const char *path = t_strconcat(index_dir, "/" GUARD_REBUILD_MARKER,
				       NULL);
	int fd = open(path, O_WRONLY | O_CREAT | GUARD_REBUILD_OPEN_FLAGS,
		      0600);

	if (fd < 0)
		i_error("hb_guard: open(%s) failed: %m", path);
	else
		i_close_fd(&fd);
}

void guard_rebuild_unmark(const char *index_dir)
{
	i_unlink_if_exists(t_strconcat(index_dir, "/" GUARD_REBUILD_MARKER,
				       NULL));
}
