/* cmd-backend.c - `hbctl backend list|add|remove|weight|drain|undrain|up`:
 * reads backends from Redis and changes them only through the atomic scripts
 * in lib/hb-scripts-admin.c (each bumps P epoch).  down/maintenance live in
 * backend-fence.c, users in backend-users.c. */
#include "hbctl.h"
#include "backend-cmds.h"
#include "hb-scripts-admin.h"
#include "hb-settings.h"
#include "usage.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned int default_ports[HB_SERVICE_COUNT] = {
	[HB_SERVICE_IMAP] = 143, [HB_SERVICE_POP3] = 110, [HB_SERVICE_LMTP] = 24,
	[HB_SERVICE_SUBMISSION] = 587, [HB_SERVICE_SIEVE] = 4190, [HB_SERVICE_DOVEADM] = 0,
};
#define HBCTL_DEFAULT_WEIGHT 100

int hbctl_backend_name_arg(struct hbctl *ctx, const char *name)
{
	if (hb_backend_name_valid(name) != 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE,
				  "invalid backend name (1-%d of A-Z a-z 0-9 _ . -)",
				  HB_BACKEND_NAME_MAX);
	return HBCTL_EXIT_OK;
}

/* Users assigned in the last user_expire seconds (entries not yet pruned). */
static int count_users(struct hbctl *ctx, const char *name, long long *count_r)
{
	char key[HB_KEY_MAX], min[32];
	redisReply *reply;

	snprintf(min, sizeof(min), "%lld",
		 hbctl_now_ms() / 1000 - (long long)ctx->set->user_expire_s);
	const char *argv[] = { "ZCOUNT", hbctl_key(ctx, key, sizeof(key), HB_KEY_BACKEND_USERS, name),
			       min, "+inf" };
	int ret = hbctl_cmd(ctx, &reply, 4, argv);
	if (ret != HBCTL_EXIT_OK)
		return ret;
	*count_r = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static int backend_list(struct hbctl *ctx)
{
	struct hb_backend *backends;
	size_t count;
	long long *users;
	int ret = hbctl_backend_load_all(ctx, &backends, &count);

	if (ret != HBCTL_EXIT_OK)
		return ret;
	users = calloc(count + 1, sizeof(*users));
	if (users == NULL) {
		free(backends);
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	}
	for (size_t i = 0; i < count && ret == HBCTL_EXIT_OK; i++)
		ret = count_users(ctx, backends[i].name, &users[i]);
	if (ret == HBCTL_EXIT_OK)
		hbctl_print_backends(ctx, backends, users, count, (long long)time(NULL));
	free(users);
	free(backends);
	return ret;
}

static int backend_add(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	char ports[HB_SERVICE_COUNT][8], weight[8];
	const char *argv[2 + HB_SERVICE_COUNT + 1];
	redisReply *reply;
	int ret;

	if (a->word_count != 4)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: backend add NAME HOST [options]");
	if ((ret = hbctl_backend_name_arg(ctx, a->words[2])) != HBCTL_EXIT_OK)
		return ret;
	if (hb_backend_host_valid(a->words[3]) != 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE,
				  "HOST must be an IPv4 or IPv6 address, not a name");
	argv[0] = a->words[2];
	argv[1] = a->words[3];
	for (int s = 0; s < HB_SERVICE_COUNT; s++) {
		snprintf(ports[s], sizeof(ports[s]), "%u",
			 a->port_set[s] ? a->ports[s] : default_ports[s]);
		argv[2 + s] = ports[s];
	}
	snprintf(weight, sizeof(weight), "%u", a->weight_set ? a->weight : HBCTL_DEFAULT_WEIGHT);
	argv[2 + HB_SERVICE_COUNT] = weight;
	ret = hbctl_eval(ctx, &reply, hb_script_backend_add, 3 + HB_SERVICE_COUNT, argv);
	if (ret != HBCTL_EXIT_OK)
		return ret;
	if (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) {
		if (strcmp(reply->str, "EXISTS") == 0)
			ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s already exists",
					 a->words[2]);
	}
	freeReplyObject(reply);
	if (ret == HBCTL_EXIT_OK)
		hbctl_print_done(ctx, a->words[2], "added", "up", NULL, NULL);
	return ret;
}

static int backend_remove(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	redisReply *reply;
	int ret;

	if (a->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: backend remove NAME [--force]");
	if ((ret = hbctl_backend_name_arg(ctx, a->words[2])) != HBCTL_EXIT_OK)
		return ret;
	const char *argv[] = { a->words[2], a->force ? "1" : "0" };
	if ((ret = hbctl_eval(ctx, &reply, hb_script_backend_remove, 2, argv)) != HBCTL_EXIT_OK)
		return ret;
	const char *what = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
		reply->element[0]->str != NULL ? reply->element[0]->str : "";
	if (strcmp(what, "NOTFOUND") == 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "no such backend: %s", a->words[2]);
	else if (strcmp(what, "UP") == 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s is up: drain or take it "
				 "down first, or use --force", a->words[2]);
	else if (strcmp(what, "USERS") == 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s still has %s%lld assigned "
				 "users: move them or use --force", a->words[2],
				 reply->element[1]->integer >= 1000 ? "at least " : "",
				 reply->element[1]->integer);
	else if (strcmp(what, "OK") != 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "unexpected reply from Redis");
	freeReplyObject(reply);
	if (ret == HBCTL_EXIT_OK)
		hbctl_print_done(ctx, a->words[2], "removed", NULL, NULL, NULL);
	return ret;
}

int hbctl_backend_update(struct hbctl *ctx, const char *name, const char *expect,
			 int argc, const char **fields, char *old_state, size_t old_size)
{
	const char *argv[16];
	redisReply *reply;
	int ret;

	argv[0] = name;
	argv[1] = expect;
	for (int i = 0; i < argc && i < 14; i++)
		argv[2 + i] = fields[i];
	if ((ret = hbctl_eval(ctx, &reply, hb_script_backend_update, 2 + argc, argv)) != HBCTL_EXIT_OK)
		return ret;
	const char *what = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
		reply->element[0]->str != NULL ? reply->element[0]->str : "";
	const char *state = reply->type == REDIS_REPLY_ARRAY && reply->elements > 1 &&
		reply->element[1]->str != NULL ? reply->element[1]->str : "";
	if (strcmp(what, "NOTFOUND") == 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "no such backend: %s", name);
	else if (strcmp(what, "STATE") == 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "backend %s is %s (must be %s)",
				 name, state, expect);
	else if (strcmp(what, "OK") != 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "unexpected reply from Redis");
	else
		snprintf(old_state, old_size, "%s", state);
	freeReplyObject(reply);
	return ret;
}

static int backend_weight(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	unsigned int weight;
	char old[32], value[8];
	int ret;

	if (a->word_count != 4)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: backend weight NAME N");
	if ((ret = hbctl_backend_name_arg(ctx, a->words[2])) != HBCTL_EXIT_OK)
		return ret;
	if (hbctl_parse_uint(a->words[3], 0, HB_WEIGHT_MAX, &weight) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "weight must be 0..%d", HB_WEIGHT_MAX);
	snprintf(value, sizeof(value), "%u", weight);
	const char *fields[] = { "weight", value };
	ret = hbctl_backend_update(ctx, a->words[2], "", 2, fields, old, sizeof(old));
	if (ret == HBCTL_EXIT_OK)
		hbctl_print_done(ctx, a->words[2], "weight set", NULL, NULL, value);
	return ret;
}

/* drain, undrain, up: a state change that needs no kick. */
static int backend_set_state(struct hbctl *ctx, const char *verb)
{
	const struct hbctl_args *a = ctx->args;
	const char *state = strcmp(verb, "drain") == 0 ? "draining" : "up";
	const char *expect = strcmp(verb, "drain") == 0 ? "up draining" :
		strcmp(verb, "undrain") == 0 ? "draining up" : "";
	char old[32];
	int ret;

	if (a->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: backend %s NAME", verb);
	if ((ret = hbctl_backend_name_arg(ctx, a->words[2])) != HBCTL_EXIT_OK)
		return ret;
	const char *fields[] = { "state", state, "fence_until", "0" };
	ret = hbctl_backend_update(ctx, a->words[2], expect, strcmp(verb, "up") == 0 ? 4 : 2,
				   fields, old, sizeof(old));
	if (ret == HBCTL_EXIT_OK)
		hbctl_print_done(ctx, a->words[2], "state set", state, old, NULL);
	return ret;
}

int hbctl_cmd_backend(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	const char *verb = a->word_count > 1 ? a->words[1] : "";
	unsigned int allowed = strcmp(verb, "add") == 0 ? HBCTL_OPT_PORTS | HBCTL_OPT_WEIGHT :
		strcmp(verb, "remove") == 0 ? HBCTL_OPT_FORCE : 0;

	if (hbctl_args_check(a, allowed, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (strcmp(verb, "list") == 0 && a->word_count == 2)
		return backend_list(ctx);
	if (strcmp(verb, "add") == 0)
		return backend_add(ctx);
	if (strcmp(verb, "remove") == 0)
		return backend_remove(ctx);
	if (strcmp(verb, "weight") == 0)
		return backend_weight(ctx);
	if (strcmp(verb, "drain") == 0 || strcmp(verb, "undrain") == 0 || strcmp(verb, "up") == 0)
		return backend_set_state(ctx, verb);
	if (strcmp(verb, "down") == 0 || strcmp(verb, "maintenance") == 0)
		return hbctl_backend_fence(ctx, verb);
	if (strcmp(verb, "users") == 0)
		return hbctl_backend_users(ctx);
	hbctl_usage_backend(stderr);
	return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "unknown or incomplete backend command");
}
