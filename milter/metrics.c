/* metrics.c - counters (atomics, no locks on the mail path) and the small
 * blocking HTTP server that renders them.  The server answers one request per
 * connection and closes it; a client gets 2 s to send its request line. */
#include "metrics.h"
#include "hb-log.h"
#include "hb-settings-addr.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static unsigned long long counters[MC_COUNT];
static int redis_up = 1;
static unsigned long long redis_usec_sum, redis_calls;

static const struct {
	const char *name, *label, *help;
} counter_defs[MC_COUNT] = {
	[MC_MSG_ACCEPTED] = { "hb_milter_messages_total", "result=\"accepted\"", "messages by result" },
	[MC_MSG_REJECTED] = { "hb_milter_messages_total", "result=\"rejected\"", NULL },
	[MC_MSG_TEMPFAILED] = { "hb_milter_messages_total", "result=\"tempfailed\"", NULL },
	[MC_REFUSE_SENDER] = { "hb_milter_refusals_total", "reason=\"sender\"", "refused commands and messages by reason" },
	[MC_REFUSE_UNAUTH] = { "hb_milter_refusals_total", "reason=\"unauth_sender\"", NULL },
	[MC_REFUSE_RATE] = { "hb_milter_refusals_total", "reason=\"rate\"", NULL },
	[MC_REFUSE_SIZE] = { "hb_milter_refusals_total", "reason=\"size\"", NULL },
	[MC_REFUSE_RCPT] = { "hb_milter_refusals_total", "reason=\"max_rcpt\"", NULL },
	[MC_REFUSE_SUSPENDED] = { "hb_milter_refusals_total", "reason=\"suspended\"", NULL },
	[MC_REFUSE_INVALID] = { "hb_milter_refusals_total", "reason=\"invalid\"", NULL },
	[MC_REDIS_FAILED] = { "hb_milter_redis_fail_answers_total", NULL, "checks answered by milter_fail because Redis failed" },
	[MC_REDIS_ERRORS] = { "hb_milter_redis_errors_total", NULL, "failed Redis calls" },
	[MC_REDIS_OUTAGES] = { "hb_milter_redis_outages_total", NULL, "times Redis became unavailable" },
	[MC_CACHE_HIT] = { "hb_milter_policy_cache_total", "result=\"hit\"", "domain policy lookups" },
	[MC_CACHE_MISS] = { "hb_milter_policy_cache_total", "result=\"miss\"", NULL },
	[MC_CACHE_STALE] = { "hb_milter_policy_cache_total", "result=\"stale\"", NULL },
	[MC_CORRUPT_VALUES] = { "hb_milter_corrupt_values_total", NULL, "stored policy values that were not valid and were ignored" },
};

void metrics_inc(enum milter_counter counter)
{
	__atomic_add_fetch(&counters[counter], 1, __ATOMIC_RELAXED);
}

void metrics_set_redis_up(int up)
{
	__atomic_store_n(&redis_up, up, __ATOMIC_RELAXED);
}

void metrics_observe_redis(long long usec)
{
	__atomic_add_fetch(&redis_usec_sum, (unsigned long long)usec, __ATOMIC_RELAXED);
	__atomic_add_fetch(&redis_calls, 1, __ATOMIC_RELAXED);
}

#define APPEND(...) do { \
	int n_ = snprintf(buf + used, size - used, __VA_ARGS__); \
	if (n_ < 0 || (size_t)n_ >= size - used) return size - 1; \
	used += (size_t)n_; \
} while (0)

size_t metrics_render(char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (int i = 0; i < MC_COUNT; i++) {
		unsigned long long v = __atomic_load_n(&counters[i], __ATOMIC_RELAXED);
		if (counter_defs[i].help != NULL)
			APPEND("# HELP %s %s\n# TYPE %s counter\n", counter_defs[i].name,
			       counter_defs[i].help, counter_defs[i].name);
		if (counter_defs[i].label != NULL)
			APPEND("%s{%s} %llu\n", counter_defs[i].name, counter_defs[i].label, v);
		else
			APPEND("%s %llu\n", counter_defs[i].name, v);
	}
	APPEND("# HELP hb_milter_redis_up 1 while Redis answers\n# TYPE hb_milter_redis_up gauge\n"
	       "hb_milter_redis_up %d\n", __atomic_load_n(&redis_up, __ATOMIC_RELAXED));
	APPEND("# HELP hb_milter_redis_seconds time spent in Redis round trips\n"
	       "# TYPE hb_milter_redis_seconds summary\n"
	       "hb_milter_redis_seconds_sum %.6f\nhb_milter_redis_seconds_count %llu\n",
	       (double)__atomic_load_n(&redis_usec_sum, __ATOMIC_RELAXED) / 1e6,
	       __atomic_load_n(&redis_calls, __ATOMIC_RELAXED));
	return used;
}

static int listen_fd = -1;
static int stop_pipe[2] = { -1, -1 };
static pthread_t server_thread;

static void serve_one(int fd)
{
	static const char not_found[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
		"Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n";
	struct timeval tv = { 2, 0 };
	char req[4096], body[16384], head[160];
	size_t got = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1 && (n = read(fd, req + got, sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[got] = '\0';
	if (strncmp(req, "GET /metrics ", 13) != 0 && strncmp(req, "GET /metrics\r", 13) != 0) {
		(void)!write(fd, not_found, sizeof(not_found) - 1);
		return;
	}
	size_t len = metrics_render(body, sizeof(body));
	int hl = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
			  "Content-Type: text/plain; version=0.0.4\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
	if (write(fd, head, (size_t)hl) == hl)
		(void)!write(fd, body, len);
}

static void *serve(void *arg)
{
	struct pollfd pfd[2] = { { listen_fd, POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };

	(void)arg;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			hb_error("metrics: poll: %s", strerror(errno));
			return NULL;
		}
		if (pfd[1].revents != 0)
			return NULL;
		int fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(fd);
		close(fd);
	}
}

static int open_listener(const char *addr, char *err, size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[128];
	int fd, one = 1;

	/* the settings' own parser: -t refuses what this would */
	if (hb_inet_spec_parse(addr, &ss, &len, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "milter_metrics_listen '%.100s': %s", addr, why);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		snprintf(err, err_size, "milter_metrics_listen %.100s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	return fd;
}

int metrics_start(const char *addr, char *err, size_t err_size)
{
	if (addr[0] == '\0')
		return 0;
	listen_fd = open_listener(addr, err, err_size);
	if (listen_fd < 0)
		return -1;
	if (pipe(stop_pipe) < 0 || pthread_create(&server_thread, NULL, serve, NULL) != 0) {
		snprintf(err, err_size, "metrics: cannot start its thread: %s", strerror(errno));
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	return 0;
}

void metrics_stop(void)
{
	if (listen_fd < 0)
		return;
	(void)!write(stop_pipe[1], "x", 1);
	pthread_join(server_thread, NULL);
	close(listen_fd);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	listen_fd = -1;
}
