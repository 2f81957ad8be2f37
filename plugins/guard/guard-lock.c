/* guard-lock.c - ownership and age of a Dovecot dotlock.  Dovecot writes
 * "PID:HOSTNAME" into each dotlock (src/lib/file-dotlock.c); a waiter on
 * another host overrides it once its mtime is older than the stale timeout.
 * So a lock is ours while the file names us, and safe while its mtime is
 * younger than the stale timeout minus our margin.  Async-signal-safe. */
#include "guard-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char guard_owner[GUARD_OWNER_MAX];
static size_t guard_owner_len;

void guard_lock_owner_init(const char *pid, const char *hostname)
{
	size_t pid_len = strlen(pid), host_len = strlen(hostname);

	guard_owner_len = 0;
	if (pid_len + 1 + host_len >= sizeof(guard_owner))
		return; /* never matches: every check then says FOREIGN */
	memcpy(guard_owner, pid, pid_len);
	guard_owner[pid_len] = ':';
	memcpy(guard_owner + pid_len + 1, hostname, host_len);
	guard_owner_len = pid_len + 1 + host_len;
}

bool guard_dotlock_init(struct guard_dotlock *lock, const char *file,
			const char *suffix, unsigned int stale_secs)
{
	size_t file_len = strlen(file), suffix_len = strlen(suffix);

	if (file_len + suffix_len >= sizeof(lock->path))
		return false;
	memcpy(lock->path, file, file_len);
	memcpy(lock->path + file_len, suffix, suffix_len + 1);
	lock->stale_secs = stale_secs;
	return true;
}

/* TRUE if the lock file's first line is exactly our owner string */
static bool lock_content_is_ours(int fd)
{
	char buf[GUARD_OWNER_MAX + 2];
	ssize_t len;

	do {
		len = read(fd, buf, sizeof(buf));
	} while (len < 0 && errno == EINTR);
	if (len <= 0)
		return false;
	if (buf[len - 1] == '\n')
		len--;
	return guard_owner_len > 0 && (size_t)len == guard_owner_len &&
		memcmp(buf, guard_owner, guard_owner_len) == 0;
}

enum guard_lock_state guard_dotlock_check(const struct guard_dotlock *lock,
					  unsigned int margin_secs,
					  long *age_r)
{
	struct stat st;
	bool ours;
	int fd;

	*age_r = 0;
	fd = open(lock->path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? GUARD_LOCK_MISSING :
			GUARD_LOCK_UNREADABLE;
	if (fstat(fd, &st) < 0) {
		(void)close(fd);
		return GUARD_LOCK_UNREADABLE;
	}
	ours = lock_content_is_ours(fd);
	(void)close(fd);
	if (!ours)
		return GUARD_LOCK_FOREIGN;
	*age_r = (long)(time(NULL) - st.st_mtime);
	if (margin_secs >= lock->stale_secs)
		margin_secs = lock->stale_secs / 2;
	if (*age_r >= (long)(lock->stale_secs - margin_secs))
		return GUARD_LOCK_EXPIRING;
	return GUARD_LOCK_OK;
}

const char *guard_lock_state_reason(enum guard_lock_state state)
{
	switch (state) {
	case GUARD_LOCK_OK:
		return "lock held";
	case GUARD_LOCK_MISSING:
		return "dotlock deleted (overridden by another process)";
	case GUARD_LOCK_FOREIGN:
		return "dotlock replaced by another process";
	case GUARD_LOCK_EXPIRING:
		return "lock older than the stale timeout minus hb_guard_lock_margin";
	case GUARD_LOCK_UNREADABLE:
		return "dotlock unreadable";
	}
	return "unknown";
}
