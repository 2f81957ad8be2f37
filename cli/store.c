/* store.c - hbctl's access to Redis: one lazily opened connection, argv
 * commands, script evaluation, and loading backends through
 * hb_backend_from_fields().  Failures become exit codes plus one message. */
#include "hbctl.h"
#include "hb-redis.h"
#include "hb-secret.h"
#include "hb-settings.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HBCTL_EVAL_MAX_ARGS 60

int hbctl_fail(struct hbctl *ctx, int code, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, args);
	va_end(args);
	return code;
}

long long hbctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hbctl_connect(struct hbctl *ctx)
{
	if (ctx->redis != NULL)
		return HBCTL_EXIT_OK;
	ctx->redis = hb_redis_connect(ctx->set, ctx->err, sizeof(ctx->err));
	return ctx->redis == NULL ? HBCTL_EXIT_UNREACHABLE : HBCTL_EXIT_OK;
}

int hbctl_cmd(struct hbctl *ctx, redisReply **reply_r, int argc, const char **argv)
{
	int ret = hbctl_connect(ctx);

	*reply_r = NULL;
	if (ret != HBCTL_EXIT_OK)
		return ret;
	*reply_r = hb_redis_cmd(ctx->redis, ctx->err, sizeof(ctx->err), argc, argv);
	if (*reply_r != NULL)
		return HBCTL_EXIT_OK;
	/* A context error means the connection is gone; else an error reply. */
	return ctx->redis->err != 0 ? HBCTL_EXIT_UNREACHABLE : HBCTL_EXIT_FAILED;
}

int hbctl_eval(struct hbctl *ctx, redisReply **reply_r, const char *script,
	       int argc, const char **argv)
{
	const char *full[HBCTL_EVAL_MAX_ARGS + 4];

	if (argc > HBCTL_EVAL_MAX_ARGS)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "too many script arguments");
	full[0] = "EVAL";
	full[1] = script;
	full[2] = "0";
	full[3] = ctx->set->key_prefix;
	for (int i = 0; i < argc; i++)
		full[4 + i] = argv[i];
	return hbctl_cmd(ctx, reply_r, argc + 4, full);
}

const char *hbctl_key(struct hbctl *ctx, char *buf, size_t size,
		      enum hb_key_kind kind, const char *name)
{
	if (hb_key(buf, size, ctx->set->key_prefix, kind, name) == 0)
		buf[0] = '\0';	/* callers validated NAME; cannot happen */
	return buf;
}

static int backend_from_reply(struct hbctl *ctx, const char *name, redisReply *reply,
			      struct hb_backend *backend)
{
	const char **fields;
	char err[256];
	int ret = HBCTL_EXIT_OK;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s: unexpected reply", name);
	fields = calloc(reply->elements + 1, sizeof(*fields));
	if (fields == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	for (size_t i = 0; i < reply->elements; i++)
		fields[i] = reply->element[i]->str != NULL ? reply->element[i]->str : "";
	if (hb_backend_from_fields(backend, name, fields, reply->elements,
				   err, sizeof(err)) < 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s: %s", name, err);
	free(fields);
	return ret;
}

int hbctl_backend_load(struct hbctl *ctx, const char *name, struct hb_backend *backend)
{
	char key[HB_KEY_MAX];
	const char *argv[] = { "HGETALL", hbctl_key(ctx, key, sizeof(key), HB_KEY_BACKEND, name) };
	redisReply *reply;
	int ret = hbctl_cmd(ctx, &reply, 2, argv);

	if (ret != HBCTL_EXIT_OK)
		return ret;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "no such backend: %s", name);
	else
		ret = backend_from_reply(ctx, name, reply, backend);
	freeReplyObject(reply);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hb_backend *)a)->name, ((const struct hb_backend *)b)->name);
}

int hbctl_backend_load_all(struct hbctl *ctx, struct hb_backend **backends_r,
			   size_t *count_r)
{
	char key[HB_KEY_MAX];
	const char *argv[] = { "SMEMBERS", hbctl_key(ctx, key, sizeof(key), HB_KEY_BACKENDS, NULL) };
	redisReply *reply;
	size_t count = 0;
	int ret = hbctl_cmd(ctx, &reply, 2, argv);

	*backends_r = NULL;
	*count_r = 0;
	if (ret != HBCTL_EXIT_OK)
		return ret;
	size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
	if (n > HBCTL_MAX_BACKENDS)
		n = HBCTL_MAX_BACKENDS;
	struct hb_backend *backends = calloc(n + 1, sizeof(*backends));
	if (backends == NULL) {
		freeReplyObject(reply);
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	}
	for (size_t i = 0; i < n && ret == HBCTL_EXIT_OK; i++) {
		const char *name = reply->element[i]->str;
		if (name == NULL || hb_backend_name_valid(name) != 0)
			continue;	/* not ours to show: never formed by hbctl */
		ret = hbctl_backend_load(ctx, name, &backends[count]);
		if (ret == HBCTL_EXIT_OK)
			count++;
		else if (strncmp(ctx->err, "no such backend", 15) == 0)
			ret = HBCTL_EXIT_OK;	/* removed meanwhile */
	}
	freeReplyObject(reply);
	if (ret != HBCTL_EXIT_OK) {
		free(backends);
		return ret;
	}
	qsort(backends, count, sizeof(*backends), name_cmp);
	*backends_r = backends;
	*count_r = count;
	return HBCTL_EXIT_OK;
}

int hbctl_api_key(struct hbctl *ctx, char **key_r)
{
	const char *path = ctx->set->doveadm_api_key_file, *error;
	char key[HB_SECRET_MAX + 1];

	if (path == NULL || path[0] == '\0')
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE,
				  "doveadm_api_key_file is not set in the configuration: "
				  "cannot kick sessions");
	/* byte for byte, as Dovecot reads doveadm_api_key = <FILE and as the
	 * director reads it (director/apikey.c) */
	if (hb_secret_read_verbatim(path, key, sizeof(key), &error) < 0) {
		hb_secret_wipe(key, sizeof(key));
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "doveadm_api_key_file: %s", error);
	}
	*key_r = strdup(key);
	hb_secret_wipe(key, sizeof(key));
	if (*key_r == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	return HBCTL_EXIT_OK;
}
