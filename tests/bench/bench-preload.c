/* bench-preload.c - pipelined SET user:USER / ZADD users:NAME for U users,
 * built only with hiredis' argv API and hb_key() (the one place key names are
 * formed).  Users are spread round-robin over the given backends. */
#include "bench-preload.h"
#include "bench-stats.h"
#include "bench-target.h"
#include "hb-keys.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRELOAD_BATCH 2000
#define PRELOAD_MAX_BACKENDS 64
#define PRELOAD_NAME_MAX 128

struct preload_backends {
	char names[PRELOAD_MAX_BACKENDS][PRELOAD_NAME_MAX];
	char keys[PRELOAD_MAX_BACKENDS][HB_KEY_MAX];
	int count;
};

static int split_backends(const struct bench_preload *pl,
			  struct preload_backends *b, const char **error_r)
{
	const char *p = pl->backends, *end;
	size_t len;

	b->count = 0;
	while (*p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= PRELOAD_NAME_MAX || b->count == PRELOAD_MAX_BACKENDS) {
			*error_r = "bad backend list (names 1..127 chars, at most 64)";
			return -1;
		}
		memcpy(b->names[b->count], p, len);
		b->names[b->count][len] = '\0';
		if (hb_key(b->keys[b->count], HB_KEY_MAX, pl->prefix,
			   HB_KEY_BACKEND_USERS, b->names[b->count]) == 0) {
			*error_r = "key prefix or backend name too long";
			return -1;
		}
		b->count++;
		p += len + (end != NULL);
	}
	if (b->count == 0) {
		*error_r = "no backends given";
		return -1;
	}
	return 0;
}

static redisContext *preload_connect(const char *redis, const char **error_r)
{
	struct timeval tv = { 5, 0 };
	struct bench_target t;
	const char *colon = strrchr(redis, ':');
	char host[64];
	long port;
	redisContext *ctx;

	if (redis[0] == '/') {
		ctx = redisConnectUnixWithTimeout(redis, tv);
	} else {
		if (colon == NULL || (size_t)(colon - redis) >= sizeof(host) ||
		    bench_parse_num(colon + 1, 1, 65535, &port) < 0) {
			*error_r = "redis address must be /socket/path or HOST:PORT";
			return NULL;
		}
		memcpy(host, redis, (size_t)(colon - redis));
		host[colon - redis] = '\0';
		if (bench_target_inet(&t, host, port, error_r) < 0)
			return NULL;
		ctx = redisConnectWithTimeout(host, (int)port, tv);
	}
	if (ctx == NULL || ctx->err != 0) {
		*error_r = "cannot connect to redis";
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

/* Queues the two commands that assign user N. */
static int preload_append(redisContext *ctx, const struct bench_preload *pl,
			  const struct preload_backends *b, long n,
			  const char *now, const char *expire)
{
	char user[BENCH_USER_MAX], ukey[HB_KEY_MAX];
	int bi = (int)(n % b->count);
	const char *set_argv[5] = { "SET", ukey, b->names[bi], "EX", expire };
	const char *zadd_argv[4] = { "ZADD", b->keys[bi], now, user };

	if (bench_user_name(user, sizeof(user), pl->pattern, (unsigned long)n) == 0 ||
	    hb_key(ukey, sizeof(ukey), pl->prefix, HB_KEY_USER, user) == 0)
		return -1;
	if (redisAppendCommandArgv(ctx, 5, set_argv, NULL) != REDIS_OK ||
	    redisAppendCommandArgv(ctx, 4, zadd_argv, NULL) != REDIS_OK)
		return -1;
	return 0;
}

static int preload_drain(redisContext *ctx, long replies, const char **error_r)
{
	redisReply *reply;
	int bad = 0;

	while (replies-- > 0) {
		if (redisGetReply(ctx, (void **)&reply) != REDIS_OK) {
			*error_r = "redis connection failed during preload";
			return -1;
		}
		bad |= reply->type == REDIS_REPLY_ERROR;
		freeReplyObject(reply);
	}
	if (bad)
		*error_r = "redis answered an error during preload";
	return bad ? -1 : 0;
}

int bench_preload_run(const struct bench_preload *pl, double *secs_r,
		      const char **error_r)
{
	struct preload_backends b;
	char now[32], expire[32];
	uint64_t t0 = bench_now_us();
	redisContext *ctx;
	long n, queued = 0;
	int ret = 0;

	if (split_backends(pl, &b, error_r) < 0 ||
	    bench_user_pattern_check(pl->pattern, error_r) < 0 ||
	    (ctx = preload_connect(pl->redis, error_r)) == NULL)
		return -1;
	snprintf(now, sizeof(now), "%ld", (long)time(NULL));
	snprintf(expire, sizeof(expire), "%ld", pl->expire_s);
	for (n = 1; n <= pl->users && ret == 0; n++) {
		if (preload_append(ctx, pl, &b, n, now, expire) < 0) {
			*error_r = "user name or key too long";
			ret = -1;
			break;
		}
		queued += 2;
		if (queued >= 2 * PRELOAD_BATCH || n == pl->users) {
			ret = preload_drain(ctx, queued, error_r);
			queued = 0;
		}
	}
	if (ret == 0 && queued > 0)
		ret = preload_drain(ctx, queued, error_r);
	redisFree(ctx);
	*secs_r = (bench_now_us() - t0) / 1e6;
	return ret;
}
