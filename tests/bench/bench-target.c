/* bench-target.c - address parsing with a loopback-only rule, and user-name
 * patterns, for the benchmark programs.  A non-loopback address is an error
 * here so that no caller can forget the check. */
#include "bench-target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

static int inet4_loopback(struct bench_target *t, const char *host, long port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;

	memset(&t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return 0;
	if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	t->addrlen = sizeof(*sin);
	return 1;
}

static int inet6_loopback(struct bench_target *t, const char *host, long port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr;

	memset(&t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return 0;
	if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port);
	t->addrlen = sizeof(*sin6);
	return 1;
}

int bench_target_inet(struct bench_target *t, const char *host, long port,
		      const char **error_r)
{
	int ret;

	if (port < 1 || port > 65535) {
		*error_r = "port must be 1..65535";
		return -1;
	}
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	ret = inet4_loopback(t, host, port);
	if (ret == 0)
		ret = inet6_loopback(t, host, port);
	if (ret == 0) {
		*error_r = "host must be a numeric IP address or localhost";
		return -1;
	}
	if (ret < 0) {
		*error_r = "refusing a non-loopback target (only 127.0.0.0/8 and ::1)";
		return -1;
	}
	return 0;
}

int bench_target_unix(struct bench_target *t, const char *path,
		      const char **error_r)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&t->addr;

	memset(&t->addr, 0, sizeof(t->addr));
	if (strlen(path) >= sizeof(sun->sun_path) || *path == '\0') {
		*error_r = "unix socket path empty or too long";
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	t->addrlen = sizeof(*sun);
	return 0;
}

int bench_user_pattern_check(const char *pattern, const char **error_r)
{
	const char *p = strchr(pattern, '%');

	if (p == NULL || p[1] != 'd' || strchr(p + 2, '%') != NULL) {
		*error_r = "user pattern needs exactly one %d and no other %";
		return -1;
	}
	if (strlen(pattern) > BENCH_USER_MAX - 24) {
		*error_r = "user pattern too long";
		return -1;
	}
	for (p = pattern; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\') {
			*error_r = "user pattern may not hold spaces, quotes or control characters";
			return -1;
		}
	}
	return 0;
}

size_t bench_user_name(char *buf, size_t size, const char *pattern,
		       unsigned long n)
{
	const char *p = strchr(pattern, '%');
	int len;

	len = snprintf(buf, size, "%.*s%lu%s", (int)(p - pattern), pattern, n,
		       p + 2);
	if (len < 0 || (size_t)len >= size)
		return 0;
	return (size_t)len;
}

unsigned long bench_rand_next(unsigned long long *state)
{
	unsigned long long x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (unsigned long)((x * 0x2545F4914F6CDD1DULL) >> 16);
}
