/* metrics.h - hummingbird-milter's counters and its Prometheus text
 * endpoint (GET /metrics on milter_metrics_listen, served by one thread). */
#ifndef MILTER_METRICS_H
#define MILTER_METRICS_H

#include <stddef.h>

enum milter_counter {
	MC_MSG_ACCEPTED,
	MC_MSG_REJECTED,
	MC_MSG_TEMPFAILED,
	MC_REFUSE_SENDER,	/* address the login may not use */
	MC_REFUSE_UNAUTH,	/* unauthenticated mail as a hosted domain */
	MC_REFUSE_RATE,
	MC_REFUSE_SIZE,
	MC_REFUSE_RCPT,		/* too many recipients */
	MC_REFUSE_SUSPENDED,
	MC_REFUSE_INVALID,	/* unreadable address or From: header */
	MC_REDIS_FAILED,	/* checks answered by milter_fail */
	MC_REDIS_ERRORS,
	MC_REDIS_OUTAGES,
	MC_CACHE_HIT,
	MC_CACHE_MISS,
	MC_CACHE_STALE,
	MC_CORRUPT_VALUES,
	MC_COUNT
};

void metrics_inc(enum milter_counter counter);
void metrics_set_redis_up(int up);
/* Account one Redis round trip of USEC microseconds. */
void metrics_observe_redis(long long usec);

/* Write the Prometheus text into BUF; returns its length (truncated at
 * SIZE - 1). */
size_t metrics_render(char *buf, size_t size);

/* Listen on ADDR ("HOST:PORT") and serve /metrics from a thread.  Returns 0,
 * or -1 with ERR. */
int metrics_start(const char *addr, char *err, size_t err_size);
void metrics_stop(void);

#endif
