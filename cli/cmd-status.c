/* cmd-status.c - `hbctl status`: is Redis reachable, the backends by
 * effective state, the living director instances (P director:* found with
 * SCAN MATCH, never KEYS) and the holder of the health-check lease. */
#include "hbctl.h"
#include "glob-escape.h"
#include "hb-settings.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HBCTL_SCAN_COUNT "100"

static void director_field(struct hbctl_director *d, const char *field, const char *value)
{
	if (strcmp(field, "started") == 0)
		d->started = atoll(value);
	else if (strcmp(field, "seen") == 0)
		d->seen = atoll(value);
	else if (strcmp(field, "lookups") == 0)
		d->lookups = atoll(value);
	else if (strcmp(field, "version") == 0)
		snprintf(d->version, sizeof(d->version), "%s", value);
}

static int load_director(struct hbctl *ctx, const char *key, size_t prefix_len,
			 struct hbctl_status *st)
{
	redisReply *reply;
	const char *argv[] = { "HGETALL", key };
	int ret;

	if (st->director_count >= HBCTL_MAX_DIRECTORS)
		return HBCTL_EXIT_OK;
	if ((ret = hbctl_cmd(ctx, &reply, 2, argv)) != HBCTL_EXIT_OK)
		return ret;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
		struct hbctl_director *d = &st->directors[st->director_count++];
		memset(d, 0, sizeof(*d));
		snprintf(d->id, sizeof(d->id), "%s", key + prefix_len);
		for (size_t i = 0; i + 1 < reply->elements; i += 2) {
			if (reply->element[i]->str != NULL && reply->element[i + 1]->str != NULL)
				director_field(d, reply->element[i]->str, reply->element[i + 1]->str);
		}
	}
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static int scan_directors(struct hbctl *ctx, struct hbctl_status *st)
{
	char prefix[HB_KEY_MAX], pattern[2 * HB_KEY_MAX + 2], cursor[32] = "0";
	size_t prefix_len;
	int ret = HBCTL_EXIT_OK;

	/* hb_key() needs a name: form "P director:x" and cut the "x". */
	prefix_len = strlen(hbctl_key(ctx, prefix, sizeof(prefix), HB_KEY_DIRECTOR, "x")) - 1;
	prefix[prefix_len] = '\0';
	if (hbctl_glob_escape(prefix, pattern, sizeof(pattern) - 1) == 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "key prefix too long");
	strcat(pattern, "*");
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", HBCTL_SCAN_COUNT };
		redisReply *reply;
		if ((ret = hbctl_cmd(ctx, &reply, 6, argv)) != HBCTL_EXIT_OK)
			return ret;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "unexpected SCAN reply");
		}
		snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
		for (size_t i = 0; i < reply->element[1]->elements && ret == HBCTL_EXIT_OK; i++)
			ret = load_director(ctx, reply->element[1]->element[i]->str, prefix_len, st);
		freeReplyObject(reply);
	} while (ret == HBCTL_EXIT_OK && strcmp(cursor, "0") != 0);
	return ret;
}

static int load_string(struct hbctl *ctx, enum hb_key_kind kind, const char *cmd2,
		       char *value, size_t size, long long *num_r)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	int ret;
	const char *get[] = { "GET", hbctl_key(ctx, key, sizeof(key), kind, NULL) };
	const char *ttl[] = { cmd2, key };

	if ((ret = hbctl_cmd(ctx, &reply, 2, get)) != HBCTL_EXIT_OK)
		return ret;
	snprintf(value, size, "%s", reply->type == REDIS_REPLY_STRING ? reply->str : "");
	freeReplyObject(reply);
	if (cmd2 == NULL)
		return HBCTL_EXIT_OK;
	if ((ret = hbctl_cmd(ctx, &reply, 2, ttl)) != HBCTL_EXIT_OK)
		return ret;
	*num_r = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -2;
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static int collect(struct hbctl *ctx, struct hbctl_status *st)
{
	char epoch[32];
	int ret;

	if ((ret = hbctl_connect(ctx)) != HBCTL_EXIT_OK)
		return ret;
	st->redis_up = 1;
	if ((ret = load_string(ctx, HB_KEY_EPOCH, NULL, epoch, sizeof(epoch), NULL)) != HBCTL_EXIT_OK ||
	    (ret = load_string(ctx, HB_KEY_HEALTH_LEASE, "PTTL", st->lease_holder,
			       sizeof(st->lease_holder), &st->lease_pttl)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_backend_load_all(ctx, &st->backends, &st->backend_count)) != HBCTL_EXIT_OK)
		return ret;
	st->epoch = atoll(epoch);
	return scan_directors(ctx, st);
}

int hbctl_cmd_status(struct hbctl *ctx)
{
	struct hbctl_status st;
	int ret;

	if (ctx->args->word_count != 1)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: status");
	if (hbctl_args_check(ctx->args, 0, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	memset(&st, 0, sizeof(st));
	st.now = (long long)time(NULL);
	ret = collect(ctx, &st);
	if (ret == HBCTL_EXIT_UNREACHABLE && st.redis_up && ctx->redis->err != 0)
		st.redis_up = 0;	/* lost during the reads */
	if (ret == HBCTL_EXIT_OK || !st.redis_up)
		hbctl_print_status(ctx, &st, ctx->set->redis_socket[0] != '\0' ?
				   ctx->set->redis_socket : ctx->set->redis_host,
				   ctx->set->redis_port);
	free(st.backends);
	return ret;
}
