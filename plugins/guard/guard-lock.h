/* guard-lock.h - is a dotlock still ours, and still safely inside its stale
 * timeout?  Used by the commit fence and by the SIGCONT check, so
 * everything here is async-signal-safe (stat, open, read, close, time):
 * no allocation, no logging. */
#ifndef GUARD_LOCK_H
#define GUARD_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

#define GUARD_PATH_MAX 1024
#define GUARD_OWNER_MAX 300

enum guard_lock_state {
	GUARD_LOCK_OK,        /* ours, fresh */
	GUARD_LOCK_MISSING,   /* the lock file is gone (deleted or overridden) */
	GUARD_LOCK_FOREIGN,   /* another process's lock file replaced ours */
	GUARD_LOCK_EXPIRING,  /* ours, but others may soon treat it as stale */
	GUARD_LOCK_UNREADABLE,/* stat/open/read failed: assume the worst */
};

struct guard_dotlock {
	char path[GUARD_PATH_MAX];   /* e.g. .../dovecot.index.log.lock */
	unsigned int stale_secs;     /* when other nodes may override it */
};

/* Sets *owner to "PID:HOSTNAME", what Dovecot writes into its dotlocks. */
void guard_lock_owner_init(const char *pid, const char *hostname);

/* Fills lock->path from file + suffix; FALSE if the path is too long. */
bool guard_dotlock_init(struct guard_dotlock *lock, const char *file,
			const char *suffix, unsigned int stale_secs);

/* Checks the dotlock on disk. margin_secs: how long before stale_secs the
 * lock counts as expiring.  *age_r is now minus the lock file's mtime. */
enum guard_lock_state guard_dotlock_check(const struct guard_dotlock *lock,
					  unsigned int margin_secs,
					  long *age_r);

/* A short reason for a log line ("dotlock replaced by another process"). */
const char *guard_lock_state_reason(enum guard_lock_state state);

#endif
