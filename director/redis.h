/* redis.h - the director's one asynchronous Redis connection: connect, AUTH,
 * SELECT, reconnect with back-off, and commands with a deadline.  An outage
 * is logged once, and every caller gets an answer (reply or error) exactly once. */
#ifndef DIRECTOR_REDIS_H
#define DIRECTOR_REDIS_H

#include <hiredis/hiredis.h>

struct director;

/* REPLY is NULL when ERROR is set (not connected, timeout, error reply). */
typedef void redis_reply_cb(struct director *d, redisReply *reply,
			    const char *error, void *ctx);

void director_redis_start(struct director *d);
void director_redis_stop(struct director *d);
int director_redis_usable(const struct director *d);
/* Send ARGV; CB is called exactly once (also synchronously when Redis is not
 * usable right now). */
void director_redis_call(struct director *d, int argc, const char **argv,
			 redis_reply_cb *cb, void *ctx);
/* Write the calls queued so far now rather than on the next loop iteration
 * (saves a wake-up and two epoll changes per login).  Callers must expect
 * reply callbacks with an error to run inside it when the write fails. */
void director_redis_flush(struct director *d);

/* The route script is called by its SHA once loaded; after a NOSCRIPT error
 * (Redis restarted or flushed its scripts) it is loaded again. */
void director_redis_load_scripts(struct director *d);
int director_redis_is_noscript(const char *error);

#endif
