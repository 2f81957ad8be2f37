/* bench-preload.h - assigns many users to backends directly in Redis, with the
 * key schema of docs/DESIGN.md section 1, so that lookups can be measured for
 * 1k .. 1M assigned users without logging every user in first. */
#ifndef BENCH_PRELOAD_H
#define BENCH_PRELOAD_H

struct bench_preload {
	const char *redis;     /* "/path/to/socket" or "HOST:PORT" (loopback) */
	const char *prefix;    /* key_prefix, e.g. "hb:" */
	const char *backends;  /* comma-separated backend names */
	const char *pattern;   /* user name pattern with one %d */
	long users;            /* users 1..USERS are assigned */
	long expire_s;         /* TTL of user:USER (user_expire) */
};

/* Returns 0 and the number of seconds it took, or -1 with an error. */
int bench_preload_run(const struct bench_preload *pl, double *secs_r,
		      const char **error_r);

#endif
