/* bench-target.h - the only place the benchmarks turn a user-supplied address
 * into a socket address.  Anything that is not loopback (127.0.0.0/8, ::1) is
 * refused: the load generators must never send traffic elsewhere. */
#ifndef BENCH_TARGET_H
#define BENCH_TARGET_H

#include <stddef.h>
#include <sys/socket.h>

#define BENCH_USER_MAX 256

struct bench_target {
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* HOST is a numeric loopback address or "localhost"; PORT 1..65535. */
int bench_target_inet(struct bench_target *t, const char *host, long port,
		      const char **error_r);
/* PATH of a unix socket (bounded by sun_path). */
int bench_target_unix(struct bench_target *t, const char *path,
		      const char **error_r);

/* PATTERN holds exactly one "%d" and no other '%' (checked here, never passed
 * to printf). */
int bench_user_pattern_check(const char *pattern, const char **error_r);
/* Writes PATTERN with %d replaced by N; returns the length, 0 if too long. */
size_t bench_user_name(char *buf, size_t size, const char *pattern,
		       unsigned long n);

/* Small deterministic PRNG (xorshift64*) for picking users. */
unsigned long bench_rand_next(unsigned long long *state);

#endif
