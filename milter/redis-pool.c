/* redis-pool.c - the connection pool and outage state of redis-pool.h. */
#include "redis-pool.h"
#include "metrics.h"
#include "milter.h"
#include "hb-log.h"
#include "hb-redis.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 1024
/* While Redis is down, one caller tries again per this many ms; the others
 * are answered at once. */
#define RETRY_INTERVAL_MS 1000
#define PIPELINE_MAX 8

struct pooled {
	redisContext *ctx;
	unsigned int generation;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct pooled idle[POOL_MAX];
	unsigned int idle_count, open_count;
	int down;
	long long down_since_ms, next_try_ms;
	char down_reason[160];
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER };

int redis_pool_init(void)
{
	metrics_set_redis_up(1);
	return 0;
}

void redis_pool_deinit(void)
{
	pthread_mutex_lock(&pool.lock);
	for (unsigned int i = 0; i < pool.idle_count; i++)
		redisFree(pool.idle[i].ctx);
	pool.open_count -= pool.idle_count;
	pool.idle_count = 0;
	pthread_mutex_unlock(&pool.lock);
}

int redis_pool_up(void)
{
	int up;

	pthread_mutex_lock(&pool.lock);
	up = !pool.down;
	pthread_mutex_unlock(&pool.lock);
	return up;
}

static void mark_down(const struct milter_conf *conf, const char *reason)
{
	int first;

	pthread_mutex_lock(&pool.lock);
	first = !pool.down;
	if (first) {
		pool.down = 1;
		pool.down_since_ms = milter_now_ms();
		snprintf(pool.down_reason, sizeof(pool.down_reason), "%s", reason);
	}
	pool.next_try_ms = milter_now_ms() + RETRY_INTERVAL_MS;
	pthread_mutex_unlock(&pool.lock);
	metrics_inc(MC_REDIS_ERRORS);
	if (!first)
		hb_debug("Redis call failed again: %s", reason);
	if (first) {
		metrics_inc(MC_REDIS_OUTAGES);
		metrics_set_redis_up(0);
		hb_error("Redis unavailable: %s; answering %s until it is back "
			 "(policy values from the cache for up to %u s)", reason,
			 conf->fail_accept ? "accept" : "tempfail",
			 conf->set->milter_stale_ttl_ms / 1000);
	}
}

static void mark_up(void)
{
	long long since = 0;

	pthread_mutex_lock(&pool.lock);
	if (pool.down) {
		pool.down = 0;
		since = pool.down_since_ms;
	}
	pthread_mutex_unlock(&pool.lock);
	if (since != 0) {
		metrics_set_redis_up(1);
		hb_info("Redis available again after %lld s", (milter_now_ms() - since) / 1000);
	}
}

enum get_failure {
	GET_FAILED,	/* a connection attempt failed: an outage */
	GET_DOWN,	/* in an outage, and not this caller's turn to probe */
	GET_BUSY,	/* every connection in use for redis_timeout */
};

/* A connection of CONF's generation: an idle one, a new one while fewer than
 * milter_redis_connections are open, or one freed within redis_timeout.
 * NULL with *WHY_R and ERR otherwise. */
static redisContext *pool_get(const struct milter_conf *conf, enum get_failure *why_r,
			      char *err, size_t err_size)
{
	const struct hb_settings *set = conf->set;
	struct timespec deadline;
	redisContext *ctx;

	*why_r = GET_FAILED;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += set->redis_timeout_ms / 1000;
	deadline.tv_nsec += (long)(set->redis_timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		if (pool.down && milter_now_ms() < pool.next_try_ms) {
			snprintf(err, err_size, "Redis down since %lld s (%s)",
				 (milter_now_ms() - pool.down_since_ms) / 1000, pool.down_reason);
			*why_r = GET_DOWN;
			pthread_mutex_unlock(&pool.lock);
			return NULL;
		}
		while (pool.idle_count > 0) {
			struct pooled p = pool.idle[--pool.idle_count];
			if (p.generation == conf->generation) {
				pthread_mutex_unlock(&pool.lock);
				return p.ctx;
			}
			redisFree(p.ctx);	/* from before a reload */
			pool.open_count--;
		}
		if (pool.open_count < set->milter_redis_connections && pool.open_count < POOL_MAX)
			break;
		if (pthread_cond_timedwait(&pool.freed, &pool.lock, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&pool.lock);
			snprintf(err, err_size, "all %u Redis connections busy for %u ms",
				 set->milter_redis_connections, set->redis_timeout_ms);
			*why_r = GET_BUSY;
			return NULL;
		}
	}
	pool.open_count++;
	if (pool.down)		/* this caller probes; the others keep failing fast */
		pool.next_try_ms = milter_now_ms() + RETRY_INTERVAL_MS;
	pthread_mutex_unlock(&pool.lock);

	ctx = hb_redis_connect(set, err, err_size);
	if (ctx == NULL) {
		pthread_mutex_lock(&pool.lock);
		pool.open_count--;
		pthread_cond_signal(&pool.freed);
		pthread_mutex_unlock(&pool.lock);
	}
	return ctx;
}

static void pool_put(const struct milter_conf *conf, redisContext *ctx, int broken)
{
	pthread_mutex_lock(&pool.lock);
	if (broken || pool.idle_count == POOL_MAX) {
		redisFree(ctx);
		pool.open_count--;
	} else {
		pool.idle[pool.idle_count].ctx = ctx;
		pool.idle[pool.idle_count].generation = conf->generation;
		pool.idle_count++;
	}
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
}

int redis_pool_exec(const struct milter_conf *conf, unsigned int n,
		    const struct pool_cmd *cmds, redisReply **replies,
		    char *err, size_t err_size)
{
	redisContext *ctx;
	unsigned int got = 0;
	enum get_failure why;

	if (n == 0 || n > PIPELINE_MAX) {
		snprintf(err, err_size, "internal: %u pipelined commands", n);
		return -1;
	}
	ctx = pool_get(conf, &why, err, err_size);
	if (ctx == NULL) {
		if (why == GET_FAILED)
			mark_down(conf, err);
		else
			metrics_inc(MC_REDIS_ERRORS);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++)
		redisAppendCommandArgv(ctx, cmds[i].argc, cmds[i].argv, cmds[i].argvlen);
	for (; got < n; got++) {
		void *reply = NULL;
		if (redisGetReply(ctx, &reply) != REDIS_OK || reply == NULL)
			break;
		replies[got] = reply;
	}
	if (got < n) {
		snprintf(err, err_size, "Redis: %s", ctx->errstr[0] != '\0' ? ctx->errstr :
			 "connection lost");
		for (unsigned int i = 0; i < got; i++)
			freeReplyObject(replies[i]);
		pool_put(conf, ctx, 1);
		mark_down(conf, err);
		return -1;
	}
	pool_put(conf, ctx, 0);
	mark_up();
	return 0;
}

void pool_script_init(struct pool_script *script, const char *text, int read_only)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	script->text = text;
	script->read_only = read_only;
	script->sha[0] = '\0';
	if (EVP_Digest(text, strlen(text), digest, &len, EVP_sha1(), NULL) != 1 || len != 20)
		return;		/* EVAL every time: slower, still right */
	for (unsigned int i = 0; i < len; i++)
		snprintf(script->sha + 2 * i, 3, "%02x", digest[i]);
}

#define SCRIPT_ARGS_MAX 48

static redisReply *script_call(const struct milter_conf *conf, const struct pool_script *script,
			       int by_sha, int argc, const char **argv, const size_t *argvlen,
			       char *err, size_t err_size)
{
	const char *full[SCRIPT_ARGS_MAX + 2];
	size_t lens[SCRIPT_ARGS_MAX + 2];
	redisReply *reply;
	struct pool_cmd cmd = { argc + 2, full, lens };

	if (argc > SCRIPT_ARGS_MAX) {
		snprintf(err, err_size, "internal: %d script arguments", argc);
		return NULL;
	}
	full[0] = by_sha ? (script->read_only ? "EVALSHA_RO" : "EVALSHA") :
		(script->read_only ? "EVAL_RO" : "EVAL");
	full[1] = by_sha ? script->sha : script->text;
	lens[0] = strlen(full[0]);
	lens[1] = strlen(full[1]);
	memcpy(full + 2, argv, (size_t)argc * sizeof(*argv));
	memcpy(lens + 2, argvlen, (size_t)argc * sizeof(*argvlen));
	if (redis_pool_exec(conf, 1, &cmd, &reply, err, err_size) < 0)
		return NULL;
	return reply;
}

redisReply *redis_pool_script(const struct milter_conf *conf, const struct pool_script *script,
			      int argc, const char **argv, const size_t *argvlen,
			      char *err, size_t err_size)
{
	redisReply *reply;

	if (script->sha[0] == '\0')
		return script_call(conf, script, 0, argc, argv, argvlen, err, err_size);
	reply = script_call(conf, script, 1, argc, argv, argvlen, err, err_size);
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(reply);
		reply = script_call(conf, script, 0, argc, argv, argvlen, err, err_size);
	}
	return reply;
}
