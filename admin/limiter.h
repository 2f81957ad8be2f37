/* limiter.h - admind's memory of failed logins per client address and per
 * admin name (nothing of it in Redis: no client can make admind write there
 * by failing): a fixed table, so an attacker spraying addresses or names can
 * only evict old entries, never grow memory.  An address is locked, for a
 * time that doubles with each failure past the threshold up to a maximum
 * (admind_lock_ms); a name is only slowed down, by the same arithmetic. */
#ifndef ADMIND_LIMITER_H
#define ADMIND_LIMITER_H

#define ADMIND_LIMITER_SLOTS 4096
#define ADMIND_LIMITER_KEY_MAX 80

struct admind_limiter;

struct admind_limiter *admind_limiter_create(void);
void admind_limiter_destroy(struct admind_limiter **lim);

/* How long the FAILURES-th failure locks: 0 below THRESHOLD, then BASE_MS,
 * doubling with each failure, at most MAX_MS. */
long long admind_lock_ms(long long failures, unsigned int threshold,
			 unsigned int base_ms, unsigned int max_ms);

/* Until when KEY is locked (ms), or 0. */
long long admind_limiter_locked(struct admind_limiter *lim, const char *key, long long now_ms);
/* Count a failure of KEY; failures older than MAX_MS are forgotten first.
 * Returns the lock's end (ms), or 0 when not locked. */
long long admind_limiter_fail(struct admind_limiter *lim, const char *key, long long now_ms,
			      unsigned int threshold, unsigned int base_ms, unsigned int max_ms);
/* KEY's failures, forgotten after WINDOW_MS without one. */
long long admind_limiter_failures(struct admind_limiter *lim, const char *key, long long now_ms,
				  long long window_ms);
/* Count a failure of KEY (after forgetting as above); returns the count. */
long long admind_limiter_count(struct admind_limiter *lim, const char *key, long long now_ms,
			       long long window_ms);
/* Forget KEY's failures (a successful login of that name). */
void admind_limiter_clear(struct admind_limiter *lim, const char *key);

#endif
