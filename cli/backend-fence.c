/* backend-fence.c - `hbctl backend down|maintenance NAME` (docs/DESIGN.md, 4):
 * set the state with fence_until = now + the passdb cache wait + kick_timeout
 * in one step, wait until the passdb modules' cached answers have expired,
 * kick every session on the backend through doveadm, wait until none is
 * left, then clear the fence.  A fence that cannot be cleared simply expires. */
#include "backend-cmds.h"
#include "doveadm.h"
#include "hb-scripts-admin.h"
#include "hb-settings.h"

#include <stdlib.h>
#include <string.h>

#define HBCTL_DOVEADM_REQUEST_MS 5000

static int unfence(struct hbctl *ctx, const char *name, const char *fence)
{
	const char *argv[] = { name, fence };
	redisReply *reply;
	int ret = hbctl_eval(ctx, &reply, hb_script_backend_unfence, 2, argv);

	if (ret == HBCTL_EXIT_OK)
		freeReplyObject(reply);
	return ret;
}

static void print_fenced(struct hbctl *ctx, const char *name, const char *state,
			 const char *old, const char *note)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "backend", name);
		hbctl_json_str(&ctx->js, "action", "state set");
		hbctl_json_str(&ctx->js, "state", state);
		hbctl_json_str(&ctx->js, "previous", old);
		hbctl_json_int(&ctx->js, "sessions_left", 0);
		hbctl_json_str(&ctx->js, "note", note);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
		return;
	}
	printf("backend %s: state set %s (was %s); %s\n", name, state, old, note);
}

/* Kick everything on B; returns an exit code, *NOTE_R says what happened. */
static int kick_all(struct hbctl *ctx, const struct hb_backend *b, const char **note_r)
{
	struct hbctl_doveadm da = { .host = b->host, .port = b->ports[HB_SERVICE_DOVEADM],
				    .timeout_ms = HBCTL_DOVEADM_REQUEST_MS, .set = ctx->set };
	char *key = NULL;
	unsigned int left = 0;
	int ret;

	if (da.port == 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s has no doveadm_port: its "
				  "sessions were not kicked (the fence ends by itself)", b->name);
	if ((ret = hbctl_api_key(ctx, &key)) != HBCTL_EXIT_OK)
		return ret;
	da.api_key = key;
	if (da.timeout_ms > ctx->set->kick_timeout_ms)
		da.timeout_ms = ctx->set->kick_timeout_ms;
	enum hbctl_http_result res = hbctl_doveadm_kick_wait(&da, "*", ctx->set->kick_timeout_ms,
							     &left, ctx->err, sizeof(ctx->err));
	explicit_bzero(key, strlen(key));
	free(key);
	*note_r = "all sessions kicked";
	if (res == HBCTL_HTTP_UNREACHABLE && b->health == HB_HEALTH_FAILED) {
		*note_r = "backend unreachable and confirmed dead: no sessions to kick";
		return HBCTL_EXIT_OK;
	}
	if (res != HBCTL_HTTP_OK) {
		char why[HBCTL_ERR_MAX];
		snprintf(why, sizeof(why), "%s", ctx->err);
		return hbctl_fail(ctx, res == HBCTL_HTTP_UNREACHABLE ? HBCTL_EXIT_UNREACHABLE :
				  HBCTL_EXIT_FAILED, "backend %s: cannot kick sessions via doveadm "
				  "at %s:%u: %.300s", b->name, b->host, da.port, why);
	}
	if (left > 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s: %u sessions still open "
				  "after kick_timeout", b->name, left);
	return HBCTL_EXIT_OK;
}

int hbctl_backend_fence(struct hbctl *ctx, const char *verb)
{
	const struct hbctl_args *a = ctx->args;
	const char *state = strcmp(verb, "down") == 0 ? "down" : "maintenance";
	const char *note = "";
	struct hb_backend b;
	char fence[32], old[32];
	unsigned int cache_wait_ms;
	int ret;

	if (a->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: backend %s NAME", verb);
	if ((ret = hbctl_backend_name_arg(ctx, a->words[2])) != HBCTL_EXIT_OK ||
	    (ret = hbctl_backend_load(ctx, a->words[2], &b)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_route_cache_wait_ms(ctx, &cache_wait_ms)) != HBCTL_EXIT_OK)
		return ret;
	snprintf(fence, sizeof(fence), "%lld", hbctl_now_ms() + (long long)cache_wait_ms +
		 (long long)ctx->set->kick_timeout_ms);
	const char *fields[] = { "state", state, "fence_until", fence };
	if ((ret = hbctl_backend_update(ctx, b.name, "", 4, fields, old, sizeof(old))) != HBCTL_EXIT_OK)
		return ret;
	/* logins answered from a cache until now are kicked below */
	hbctl_sleep_ms(cache_wait_ms);
	ret = kick_all(ctx, &b, &note);
	if (ret != HBCTL_EXIT_OK) {
		char why[HBCTL_ERR_MAX];
		snprintf(why, sizeof(why), "%s", ctx->err);
		return hbctl_fail(ctx, ret, "state is now %s, but %.400s", state, why);
	}
	if ((ret = unfence(ctx, b.name, fence)) != HBCTL_EXIT_OK)
		return ret;
	print_fenced(ctx, b.name, state, old, note);
	return HBCTL_EXIT_OK;
}
