/* hbctl.h - state shared by hbctl's commands: parsed arguments, settings,
 * the lazily opened Redis connection and the one error message that main.c
 * prints.  Commands return an exit code (enum hbctl_exit) and never exit. */
#ifndef HBCTL_H
#define HBCTL_H

#include <stdio.h>
#include <hiredis/hiredis.h>

#include "args.h"
#include "hb-backend.h"
#include "hb-keys.h"
#include "output.h"

#define HBCTL_ERR_MAX 512
#define HBCTL_MAX_BACKENDS 1000

enum hbctl_exit {
	HBCTL_EXIT_OK = 0,
	HBCTL_EXIT_FAILED = 1,
	HBCTL_EXIT_USAGE = 2,
	HBCTL_EXIT_UNREACHABLE = 3,
};

struct hb_settings;

struct hbctl {
	const struct hbctl_args *args;
	struct hb_settings *set;
	redisContext *redis;
	struct hbctl_json js;		/* stdout, for --json */
	char err[HBCTL_ERR_MAX];
};

/* Set ctx->err and return CODE. */
int hbctl_fail(struct hbctl *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* store.c: Redis access for the commands. */
int hbctl_connect(struct hbctl *ctx);
/* Run a command; *REPLY_R is the reply (caller frees).  Returns an exit code. */
int hbctl_cmd(struct hbctl *ctx, redisReply **reply_r, int argc, const char **argv);
/* EVAL SCRIPT 0 ARGS... with the key prefix prepended to ARGS. */
int hbctl_eval(struct hbctl *ctx, redisReply **reply_r, const char *script,
	       int argc, const char **argv);
const char *hbctl_key(struct hbctl *ctx, char *buf, size_t size,
		      enum hb_key_kind kind, const char *name);
/* Load one backend; returns an exit code (FAILED with "no such backend"). */
int hbctl_backend_load(struct hbctl *ctx, const char *name, struct hb_backend *backend);
/* All backends sorted by name (malloc'd array, caller frees). */
int hbctl_backend_load_all(struct hbctl *ctx, struct hb_backend **backends_r,
			   size_t *count_r);
/* The doveadm API key from doveadm_api_key_file, the whole file with any
 * trailing newline (hb_secret_read_verbatim; malloc'd, caller frees). */
int hbctl_api_key(struct hbctl *ctx, char **key_r);
long long hbctl_now_ms(void);
/* route-cache-wait.c: how long to wait before kicking users off a backend. */
int hbctl_route_cache_wait_ms(struct hbctl *ctx, unsigned int *wait_ms_r);
void hbctl_sleep_ms(unsigned int ms);

/* Commands (cmd-*.c). */
int hbctl_cmd_backend(struct hbctl *ctx);
int hbctl_cmd_user(struct hbctl *ctx);
int hbctl_cmd_status(struct hbctl *ctx);
int hbctl_cmd_locks(struct hbctl *ctx);

#endif
