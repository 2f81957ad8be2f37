/* guard-rebuild.c - keeps mass re-indexing from saturating storage: at
 * most hb_guard_rebuild_limit mailboxes rebuild at once on this node; the
 * others wait hb_guard_rebuild_wait and then get a temporary error instead
 * of hanging.  Slots are files slot-0..N-1 locked with flock(), shared by
 * every mail process of the node whatever its uid (mode 0666, dir 01777). */
#include "lib.h"
#include "sleep.h"
#include "guard-settings.h"
#include "guard-rebuild.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUARD_REBUILD_POLL_MSECS 50

static int rebuild_dir_ensure(const char *dir, const char **error_r)
{
	if (mkdir(dir, 01777) == 0) {
		/* umask removed bits; the dir is shared by all mail uids */
		if (chmod(dir, 01777) < 0 && errno != EPERM) {
			*error_r = t_strdup_printf("chmod(%s) failed: %m", dir);
			return -1;
		}
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	*error_r = t_strdup_printf("mkdir(%s) failed: %m "
				   "(set hb_guard_rebuild_dir)", dir);
	return -1;
}

/* 1: locked, 0: busy, -1: error */
static int rebuild_try_slot(const char *dir, unsigned int n, int *fd_r,
			    const char **error_r)
{
	const char *path = t_strdup_printf("%s/slot-%u", dir, n);
	mode_t old_mask = umask(0);
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0666);

	umask(old_mask);
	if (fd < 0) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		*fd_r = fd;
		return 1;
	}
	i_close_fd(&fd);
	if (errno == EWOULDBLOCK)
		return 0;
	*error_r = t_strdup_printf("flock(%s) failed: %m", path);
	return -1;
}

static int rebuild_try_all(const struct guard_settings *set, int *fd_r,
			   const char **error_r)
{
	int ret;

	for (unsigned int n = 0; n < set->rebuild_limit; n++) {
		ret = rebuild_try_slot(set->rebuild_dir, n, fd_r, error_r);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int guard_rebuild_acquire(const struct guard_settings *set,
			  struct guard_rebuild_slot *slot,
			  const char **error_r)
{
	int ret;

	slot->fd = -1;
	slot->waited_msecs = 0;
	if (rebuild_dir_ensure(set->rebuild_dir, error_r) < 0)
		return -1;
	for (;;) {
		ret = rebuild_try_all(set, &slot->fd, error_r);
		if (ret != 0 || slot->waited_msecs >= set->rebuild_wait_msecs)
			return ret;
		/* a blocking wait is fine: one client per mail process, and
		   its client gets an answer within rebuild_wait */
		i_sleep_msecs(GUARD_REBUILD_POLL_MSECS);
		slot->waited_msecs += GUARD_REBUILD_POLL_MSECS;
	}
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
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

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
