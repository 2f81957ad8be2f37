/* user-kick.c - disconnect one user's sessions on backends through their
 * doveadm HTTP API and wait (kick_timeout) until none is left.  Used by
 * `hbctl user kick` and by `hbctl user move`. */
#include "user-cmds.h"
#include "doveadm.h"
#include "hb-settings.h"

#include <stdlib.h>
#include <string.h>

#define HBCTL_DOVEADM_REQUEST_MS 5000

static int http_exit(enum hbctl_http_result res)
{
	return res == HBCTL_HTTP_OK ? HBCTL_EXIT_OK :
		res == HBCTL_HTTP_UNREACHABLE ? HBCTL_EXIT_UNREACHABLE : HBCTL_EXIT_FAILED;
}

int hbctl_kick_user_wait(struct hbctl *ctx, const char *user, const struct hb_backend *b,
			 unsigned int *left_r)
{
	struct hbctl_doveadm da = { .host = b->host, .port = b->ports[HB_SERVICE_DOVEADM],
				    .timeout_ms = HBCTL_DOVEADM_REQUEST_MS, .set = ctx->set };
	char *key = NULL, why[HBCTL_ERR_MAX];
	int ret;

	*left_r = 0;
	if (da.port == 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s has no doveadm_port: "
				  "cannot kick sessions", b->name);
	if ((ret = hbctl_api_key(ctx, &key)) != HBCTL_EXIT_OK)
		return ret;
	da.api_key = key;
	if (da.timeout_ms > ctx->set->kick_timeout_ms)
		da.timeout_ms = ctx->set->kick_timeout_ms;
	enum hbctl_http_result res = hbctl_doveadm_kick_wait(&da, user, ctx->set->kick_timeout_ms,
							     left_r, why, sizeof(why));
	explicit_bzero(key, strlen(key));
	free(key);
	if (res != HBCTL_HTTP_OK)
		return hbctl_fail(ctx, http_exit(res), "backend %s (%s:%u): %.400s",
				  b->name, b->host, da.port, why);
	if (*left_r > 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s: %u sessions of %s still "
				  "open after kick_timeout", b->name, *left_r, user);
	return HBCTL_EXIT_OK;
}

static void print_kick(struct hbctl *ctx, const struct hb_backend *b, int ret,
		       unsigned int left)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "backend", b->name);
		hbctl_json_bool(&ctx->js, "ok", ret == HBCTL_EXIT_OK);
		hbctl_json_int(&ctx->js, "sessions_left", left);
		if (ret != HBCTL_EXIT_OK)
			hbctl_json_str(&ctx->js, "error", ctx->err);
		hbctl_json_obj_end(&ctx->js);
	} else if (ret == HBCTL_EXIT_OK) {
		printf("backend %s: no sessions left\n", b->name);
	} else {
		printf("backend %s: %s\n", b->name, ctx->err);
	}
}

int hbctl_kick_on(struct hbctl *ctx, const char *user,
		  const struct hb_backend *backends, size_t count)
{
	int worst = HBCTL_EXIT_OK;
	unsigned int left;

	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "user", user);
		hbctl_json_arr_begin(&ctx->js, "backends");
	}
	for (size_t i = 0; i < count; i++) {
		/* Without an assignment every backend is tried; skip those
		 * that cannot be asked. */
		if (count > 1 && backends[i].ports[HB_SERVICE_DOVEADM] == 0)
			continue;
		int ret = hbctl_kick_user_wait(ctx, user, &backends[i], &left);
		print_kick(ctx, &backends[i], ret, left);
		if (ret == HBCTL_EXIT_UNREACHABLE || (ret != HBCTL_EXIT_OK && worst == HBCTL_EXIT_OK))
			worst = ret;
	}
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_bool(&ctx->js, "ok", worst == HBCTL_EXIT_OK);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	}
	if (worst != HBCTL_EXIT_OK)
		hbctl_fail(ctx, worst, "could not kick every session of %s", user);
	return worst;
}
