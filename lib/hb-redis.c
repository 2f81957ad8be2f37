/* hb-redis.c - synchronous Redis connections for tools and tests: connect with
 * timeouts, AUTH from a password file, SELECT; argv commands only. */
#include "hb-redis.h"
#include "hb-settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

redisReply *hb_redis_cmd(redisContext *ctx, char *err, size_t err_size,
			 int argc, const char **argv)
{
	size_t lens[64];
	redisReply *reply;

	if (argc > 64) {
		snprintf(err, err_size, "too many arguments for one Redis command");
		return NULL;
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	reply = redisCommandArgv(ctx, argc, argv, lens);
	if (reply == NULL) {
		snprintf(err, err_size, "Redis: %s", ctx->errstr[0] != '\0' ?
			 ctx->errstr : "connection lost");
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, err_size, "Redis %s: %.200s", argv[0], reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

int hb_redis_handshake(redisContext *ctx, const struct hb_settings *set,
		       char *err, size_t err_size)
{
	redisReply *reply;
	char db[16];

	if (set->redis_password_file[0] != '\0') {
		char *password;
		if (hb_read_secret_file(set->redis_password_file, &password, err, err_size) < 0)
			return -1;
		const char *auth_user[] = { "AUTH", set->redis_user, password };
		const char *auth_pass[] = { "AUTH", password };
		reply = set->redis_user[0] != '\0' ?
			hb_redis_cmd(ctx, err, err_size, 3, auth_user) :
			hb_redis_cmd(ctx, err, err_size, 2, auth_pass);
		explicit_bzero(password, strlen(password));
		free(password);
		if (reply == NULL)
			return -1;
		freeReplyObject(reply);
	}
	if (set->redis_db != 0) {
		snprintf(db, sizeof(db), "%u", set->redis_db);
		const char *select_argv[] = { "SELECT", db };
		reply = hb_redis_cmd(ctx, err, err_size, 2, select_argv);
		if (reply == NULL)
			return -1;
		freeReplyObject(reply);
	}
	return 0;
}

redisContext *hb_redis_connect(const struct hb_settings *set, char *err, size_t err_size)
{
	struct timeval tv = {
		.tv_sec = set->redis_timeout_ms / 1000,
		.tv_usec = (set->redis_timeout_ms % 1000) * 1000,
	};
	redisContext *ctx;

	if (set->redis_socket[0] != '\0')
		ctx = redisConnectUnixWithTimeout(set->redis_socket, tv);
	else
		ctx = redisConnectWithTimeout(set->redis_host, (int)set->redis_port, tv);
	if (ctx == NULL || ctx->err != 0) {
		snprintf(err, err_size, "cannot connect to Redis at %s%s%u: %s",
			 set->redis_socket[0] != '\0' ? set->redis_socket : set->redis_host,
			 set->redis_socket[0] != '\0' ? "" : ":",
			 set->redis_socket[0] != '\0' ? 0 : set->redis_port,
			 ctx != NULL ? ctx->errstr : "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, tv) != REDIS_OK ||
	    hb_redis_handshake(ctx, set, err, err_size) < 0) {
		if (err[0] == '\0')
			snprintf(err, err_size, "Redis: cannot set timeout");
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

const char *hb_redis_pair_value(const redisReply *pairs, const char *name)
{
	if (pairs == NULL || pairs->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
		if (pairs->element[i]->type == REDIS_REPLY_STRING &&
		    pairs->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(pairs->element[i]->str, name) == 0)
			return pairs->element[i + 1]->str;
	}
	return NULL;
}
