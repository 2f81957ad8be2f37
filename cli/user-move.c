/* user-move.c - `hbctl user move USER BACKEND` (docs/DESIGN.md, 4).  The
 * hold (move:USER) is taken before the current assignment is read, so no
 * login can assign the user meanwhile; the kick waits until the passdb
 * modules' cached answers from before the hold have expired; a user is never
 * open on two backends: the commit happens only when the old backend has no
 * session left or is confirmed dead. */
#include "user-cmds.h"
#include "hb-scripts.h"
#include "hb-settings.h"
#include "hb-user.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HBCTL_MOVE_HOLD_EXTRA_S 5

static int hold(struct hbctl *ctx, const char *user, const char *target,
		unsigned int cache_wait_ms)
{
	char key[HB_KEY_MAX], ex[16];
	redisReply *reply;
	int ret;

	snprintf(ex, sizeof(ex), "%u", (ctx->set->kick_timeout_ms + cache_wait_ms + 999) / 1000 +
		 HBCTL_MOVE_HOLD_EXTRA_S);
	const char *argv[] = { "SET", hbctl_key(ctx, key, sizeof(key), HB_KEY_MOVE, user),
			       target, "NX", "EX", ex };
	if ((ret = hbctl_cmd(ctx, &reply, 6, argv)) != HBCTL_EXIT_OK)
		return ret;
	if (reply->type == REDIS_REPLY_NIL)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "a move of %s is already running", user);
	freeReplyObject(reply);
	return ret;
}

/* Remove the hold; keeps ctx->err (the reason the move failed). */
static void release(struct hbctl *ctx, const char *user)
{
	char key[HB_KEY_MAX], saved[HBCTL_ERR_MAX];
	redisReply *reply;

	snprintf(saved, sizeof(saved), "%s", ctx->err);
	const char *argv[] = { "DEL", hbctl_key(ctx, key, sizeof(key), HB_KEY_MOVE, user) };
	if (hbctl_cmd(ctx, &reply, 2, argv) == HBCTL_EXIT_OK)
		freeReplyObject(reply);
	snprintf(ctx->err, sizeof(ctx->err), "%s", saved);
}

static int commit(struct hbctl *ctx, const char *user, const char *target)
{
	char expire[16], now[24];
	redisReply *reply;
	int ret;

	snprintf(expire, sizeof(expire), "%u", ctx->set->user_expire_s);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	const char *argv[] = { user, target, expire, now };
	if ((ret = hbctl_eval(ctx, &reply, hb_script_move_commit, 4, argv)) != HBCTL_EXIT_OK)
		return ret;
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

/* Make sure no session of USER is left on OLD.  *NOTE_R says how. */
static int clear_old(struct hbctl *ctx, const char *user, const char *old, const char **note_r)
{
	struct hb_backend b;
	unsigned int left;
	int ret;

	*note_r = "no previous backend";
	if (old[0] == '\0')
		return HBCTL_EXIT_OK;
	if ((ret = hbctl_backend_load(ctx, old, &b)) != HBCTL_EXIT_OK) {
		if (ctx->redis->err != 0)
			return ret;
		*note_r = "previous backend no longer exists";
		return HBCTL_EXIT_OK;
	}
	ret = hbctl_kick_user_wait(ctx, user, &b, &left);
	*note_r = "sessions on the previous backend kicked";
	if (ret != HBCTL_EXIT_OK && left == 0 && b.health == HB_HEALTH_FAILED) {
		*note_r = "previous backend confirmed dead: nothing to kick";
		return HBCTL_EXIT_OK;
	}
	return ret;
}

static int check_target(struct hbctl *ctx, const char *name)
{
	struct hb_backend b;
	int ret;

	if (hb_backend_name_valid(name) != 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid backend name");
	if ((ret = hbctl_backend_load(ctx, name, &b)) != HBCTL_EXIT_OK)
		return ret;
	if (hb_backend_effective(&b) != HB_STATE_UP)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s is %s: cannot move users "
				  "to it", name, hb_state_name(hb_backend_effective(&b)));
	return HBCTL_EXIT_OK;
}

int hbctl_user_move(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	char user[HB_USER_MAX + 1], old[HB_BACKEND_NAME_MAX + 1];
	const char *target = a->word_count == 4 ? a->words[3] : "", *note;
	unsigned int cache_wait_ms;
	long long ttl;
	int ret;

	if (a->word_count != 4)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: user move USER BACKEND");
	if ((ret = hbctl_user_arg(ctx, a->words[2], user)) != HBCTL_EXIT_OK ||
	    (ret = check_target(ctx, target)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_route_cache_wait_ms(ctx, &cache_wait_ms)) != HBCTL_EXIT_OK ||
	    (ret = hold(ctx, user, target, cache_wait_ms)) != HBCTL_EXIT_OK)
		return ret;
	ret = hbctl_get_with_ttl(ctx, HB_KEY_USER, user, old, sizeof(old), &ttl);
	if (ret == HBCTL_EXIT_OK && strcmp(old, target) == 0) {
		release(ctx, user);
		hbctl_print_moved(ctx, user, old, target, "already on that backend");
		return HBCTL_EXIT_OK;
	}
	if (ret == HBCTL_EXIT_OK) {
		/* logins answered from a cache until now are kicked below */
		hbctl_sleep_ms(cache_wait_ms);
		ret = clear_old(ctx, user, old, &note);
	}
	if (ret == HBCTL_EXIT_OK)
		ret = commit(ctx, user, target);
	if (ret != HBCTL_EXIT_OK) {
		release(ctx, user);
		char why[HBCTL_ERR_MAX];
		snprintf(why, sizeof(why), "%s", ctx->err);
		return hbctl_fail(ctx, ret, "move of %s not done (nothing changed): %.400s",
				  user, why);
	}
	hbctl_print_moved(ctx, user, old, target, note);
	return HBCTL_EXIT_OK;
}
