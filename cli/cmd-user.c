/* cmd-user.c - `hbctl user where|move|kick USER`.  A move follows
 * docs/DESIGN.md 4: hold the user's logins with move:USER (SET NX EX), kick
 * and wait on the old backend, then commit in one script; if the old
 * sessions stay, the hold is removed and nothing else changes. */
#include "hbctl.h"
#include "user-cmds.h"
#include "domain-cmds.h"
#include "doveadm.h"
#include "hb-scripts.h"
#include "hb-settings.h"
#include "hb-user.h"
#include "usage.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int hbctl_user_arg(struct hbctl *ctx, const char *in, char *user)
{
	const char *error;

	if (hb_user_normalize(in, ctx->set->recipient_delimiter, user, &error) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid user name: %s", error);
	return HBCTL_EXIT_OK;
}

/* GET KIND:NAME and its TTL; *VALUE_R is "" when the key does not exist. */
int hbctl_get_with_ttl(struct hbctl *ctx, enum hb_key_kind kind, const char *name,
		       char *value, size_t size, long long *ttl_r)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	int ret;

	hbctl_key(ctx, key, sizeof(key), kind, name);
	const char *get[] = { "GET", key }, *ttl[] = { "TTL", key };
	if ((ret = hbctl_cmd(ctx, &reply, 2, get)) != HBCTL_EXIT_OK)
		return ret;
	snprintf(value, size, "%s", reply->type == REDIS_REPLY_STRING ? reply->str : "");
	freeReplyObject(reply);
	if ((ret = hbctl_cmd(ctx, &reply, 2, ttl)) != HBCTL_EXIT_OK)
		return ret;
	*ttl_r = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -2;
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static int user_where(struct hbctl *ctx)
{
	char user[HB_USER_MAX + 1], assigned[HB_BACKEND_NAME_MAX + 1], moving[HB_BACKEND_NAME_MAX + 1];
	long long ttl, move_ttl;
	struct hb_backend b;
	int ret;

	if (ctx->args->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: user where USER");
	if ((ret = hbctl_user_arg(ctx, ctx->args->words[2], user)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_get_with_ttl(ctx, HB_KEY_USER, user, assigned, sizeof(assigned), &ttl)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_get_with_ttl(ctx, HB_KEY_MOVE, user, moving, sizeof(moving), &move_ttl)) != HBCTL_EXIT_OK)
		return ret;
	memset(&b, 0, sizeof(b));
	if (assigned[0] != '\0' && hbctl_backend_load(ctx, assigned, &b) != HBCTL_EXIT_OK) {
		if (ctx->redis->err != 0)
			return HBCTL_EXIT_UNREACHABLE;
		ctx->err[0] = '\0';	/* assigned to a removed backend: show it anyway */
	}
	hbctl_print_where(ctx, user, assigned, &b, ttl, moving, move_ttl);
	return HBCTL_EXIT_OK;
}

static int user_kick(struct hbctl *ctx)
{
	char user[HB_USER_MAX + 1], assigned[HB_BACKEND_NAME_MAX + 1];
	struct hb_backend *backends;
	size_t count;
	long long ttl;
	int ret;

	if (ctx->args->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: user kick USER");
	if ((ret = hbctl_user_arg(ctx, ctx->args->words[2], user)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_get_with_ttl(ctx, HB_KEY_USER, user, assigned, sizeof(assigned), &ttl)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_backend_load_all(ctx, &backends, &count)) != HBCTL_EXIT_OK)
		return ret;
	/* Kick on the assigned backend; without an assignment, everywhere. */
	size_t used = 0;
	for (size_t i = 0; i < count; i++) {
		if (assigned[0] == '\0' || strcmp(backends[i].name, assigned) == 0)
			backends[used++] = backends[i];
	}
	ret = hbctl_kick_on(ctx, user, backends, used);
	free(backends);
	return ret;
}

int hbctl_cmd_user(struct hbctl *ctx)
{
	const char *verb = ctx->args->word_count > 1 ? ctx->args->words[1] : "";

	/* hosted mailboxes (cmd-mailbox.c) */
	if (strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0 || strcmp(verb, "list") == 0 ||
	    strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0)
		return hbctl_cmd_mailbox(ctx);
	if (hbctl_args_check(ctx->args, 0, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (strcmp(verb, "where") == 0)
		return user_where(ctx);
	if (strcmp(verb, "move") == 0)
		return hbctl_user_move(ctx);
	if (strcmp(verb, "kick") == 0)
		return user_kick(ctx);
	hbctl_usage_user(stderr);
	return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "unknown or incomplete user command");
}
