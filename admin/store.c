/* store.c - admind's one Redis connection (as ACL user hb-admind): opened
 * when first needed, every command bounded by redis_timeout and built with
 * the argv API; a broken connection is dropped and reopened by the next
 * request, and the outage is logged once, not per request. */
#include "admind.h"
#include "hb-log.h"
#include "hb-redis.h"
#include "hb-settings.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCRIPT_MAX_ARGS 40

long long admind_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void admind_redis_close(struct admind *ad)
{
	if (ad->redis != NULL)
		redisFree(ad->redis);
	ad->redis = NULL;
}

/* Always -1, spelled out: callers rely on it to know ad->redis is gone. */
static int redis_unavailable(struct admind *ad, const char *why, struct admind_error *err)
{
	if (!ad->redis_down)
		hb_error("Redis unavailable: %s", why);
	ad->redis_down = 1;
	admind_redis_close(ad);
	(void)admind_error_set(err, 503, "unavailable", "the service cannot reach its database; try again later");
	return -1;
}

static int redis_connect(struct admind *ad, struct admind_error *err)
{
	char why[256] = "";

	if (ad->redis != NULL)
		return 0;
	ad->redis = hb_redis_connect(ad->set, why, sizeof(why));
	if (ad->redis == NULL)
		return redis_unavailable(ad, why, err);
	if (ad->redis_down)
		hb_info("Redis reachable again");
	ad->redis_down = 0;
	return 0;
}

/* Send ARGV; 0 with the reply (an error reply too), -1 when the connection failed. */
static int redis_send(struct admind *ad, redisReply **reply_r, int argc, const char **argv,
		      struct admind_error *err)
{
	size_t lens[SCRIPT_MAX_ARGS + 4];

	if (argc > SCRIPT_MAX_ARGS + 4)
		return admind_error_set(err, 500, "internal", "too many arguments");
	if (redis_connect(ad, err) < 0)
		return -1;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	*reply_r = redisCommandArgv(ad->redis, argc, argv, lens);
	if (*reply_r == NULL)
		return redis_unavailable(ad, ad->redis->errstr[0] != '\0' ? ad->redis->errstr :
					 "connection lost", err);
	return 0;
}

int admind_redis(struct admind *ad, redisReply **reply_r, int argc, const char **argv,
		 struct admind_error *err)
{
	if (redis_send(ad, reply_r, argc, argv, err) < 0)
		return -1;
	if ((*reply_r)->type == REDIS_REPLY_ERROR) {
		hb_error("Redis %s: %.200s", argv[0], (*reply_r)->str);
		freeReplyObject(*reply_r);
		*reply_r = NULL;
		return admind_error_set(err, 500, "internal", "internal error");
	}
	return 0;
}

/* A script's refusal starts with an upper-case word (SCOPE, CAP ...); any
 * other error reply (NOPERM, a Lua error) is ours. */
static int is_refusal(const char *str)
{
	size_t word = strspn(str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

	return word >= 3 && (str[word] == ' ' || str[word] == '\0') &&
		strncmp(str, "NOPERM", 6) != 0 && strncmp(str, "ERR", 3) != 0 &&
		strncmp(str, "NOSCRIPT", 8) != 0 && strncmp(str, "BUSY", 4) != 0;
}

int admind_redis_script(struct admind *ad, const char *script, int argc, const char **argv,
			redisReply **reply_r, char *refusal, size_t refusal_size,
			struct admind_error *err)
{
	const char *full[SCRIPT_MAX_ARGS + 4];

	if (argc > SCRIPT_MAX_ARGS)
		return admind_error_set(err, 400, "bad_body", "too many values at once");
	full[0] = "EVAL";
	full[1] = script;
	full[2] = "0";
	full[3] = ad->set->key_prefix;
	for (int i = 0; i < argc; i++)
		full[4 + i] = argv[i];
	if (redis_send(ad, reply_r, argc + 4, full, err) < 0)
		return -1;
	if ((*reply_r)->type != REDIS_REPLY_ERROR)
		return 0;
	if (is_refusal((*reply_r)->str)) {
		snprintf(refusal, refusal_size, "%s", (*reply_r)->str);
		freeReplyObject(*reply_r);
		*reply_r = NULL;
		return 1;
	}
	hb_error("Redis script: %.200s", (*reply_r)->str);
	freeReplyObject(*reply_r);
	*reply_r = NULL;
	return admind_error_set(err, 500, "internal", "internal error");
}
