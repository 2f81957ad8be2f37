/* cmd-domain.c - `hbctl domain add|list|show|suspend|resume` for the operator
 * (docs/DOMAINS.md): changes go through the scripts of
 * lib/hb-scripts-domains.c, so each lands in the domain's audit log. */
#include "domain-cmds.h"
#include "hb-scripts-domains.h"
#include "usage.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* HGET of a domain key (KIND) field into OUT; "" when unset. */
static int domain_hget(struct hbctl *ctx, const char *domain, enum hb_domain_key_kind kind,
		       const char *field, char *out, size_t size)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	int ret;

	hb_domain_key(key, sizeof(key), ctx->set->key_prefix, kind, domain, NULL);
	const char *argv[] = { "HGET", key, field };
	if ((ret = hbctl_cmd(ctx, &reply, 3, argv)) != HBCTL_EXIT_OK)
		return ret;
	snprintf(out, size, "%s", reply->type == REDIS_REPLY_STRING ? reply->str : "");
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static long long domain_scard(struct hbctl *ctx, const char *domain, enum hb_domain_key_kind kind)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	long long n = -1;

	hb_domain_key(key, sizeof(key), ctx->set->key_prefix, kind, domain, NULL);
	const char *argv[] = { "SCARD", key };
	if (hbctl_cmd(ctx, &reply, 2, argv) == HBCTL_EXIT_OK) {
		n = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
		freeReplyObject(reply);
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int hbctl_sorted_members(struct hbctl *ctx, const char *key, redisReply **reply_r,
			 const char ***names_r)
{
	const char *argv[] = { "SMEMBERS", key };
	int ret = hbctl_cmd(ctx, reply_r, 2, argv);

	if (ret != HBCTL_EXIT_OK)
		return ret;
	*names_r = calloc((*reply_r)->elements + 1, sizeof(char *));
	if (*names_r == NULL) {
		freeReplyObject(*reply_r);
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	}
	for (size_t i = 0; i < (*reply_r)->elements; i++)
		(*names_r)[i] = (*reply_r)->element[i]->str;
	qsort(*names_r, (*reply_r)->elements, sizeof(char *), cmp_str);
	return HBCTL_EXIT_OK;
}

static void print_domain_row(struct hbctl *ctx, const char *domain)
{
	char state[32], shown[HB_DOMAIN_MAX * 4 + 1];
	const char *error;
	long long users = domain_scard(ctx, domain, HB_DKEY_USERS);
	long long aliases = domain_scard(ctx, domain, HB_DKEY_ALIASES);

	if (domain_hget(ctx, domain, HB_DKEY_DOMAIN, "state", state, sizeof(state)) != HBCTL_EXIT_OK)
		state[0] = '\0';
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "domain", domain);
		hbctl_json_str(&ctx->js, "state", state);
		hbctl_json_int(&ctx->js, "mailboxes", users);
		hbctl_json_int(&ctx->js, "aliases", aliases);
		hbctl_json_obj_end(&ctx->js);
		return;
	}
	if (hb_domain_display(domain, shown, sizeof(shown), &error) < 0)
		snprintf(shown, sizeof(shown), "%s", domain);
	printf("%-40s %-10s %9lld %8lld\n", shown, state[0] != '\0' ? state : "?", users, aliases);
}

static int domain_list(struct hbctl *ctx)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	const char **names;
	int ret;

	if (ctx->args->word_count != 2)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: domain list");
	hbctl_key(ctx, key, sizeof(key), HB_KEY_DOMAINS, NULL);
	if ((ret = hbctl_sorted_members(ctx, key, &reply, &names)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json)
		hbctl_json_arr_begin(&ctx->js, NULL);
	else
		printf("%-40s %-10s %9s %8s\n", "DOMAIN", "STATE", "MAILBOXES", "ALIASES");
	for (size_t i = 0; names[i] != NULL; i++)
		print_domain_row(ctx, names[i]);
	return hbctl_end_list(ctx, names, reply);
}

static int domain_show(struct hbctl *ctx, const char *domain)
{
	char created[32], by[96], key[HB_KEY_MAX];
	redisReply *reply;
	const char **admins;
	int ret;

	if ((ret = domain_hget(ctx, domain, HB_DKEY_DOMAIN, "created", created, sizeof(created))) != HBCTL_EXIT_OK ||
	    (ret = domain_hget(ctx, domain, HB_DKEY_DOMAIN, "created_by", by, sizeof(by))) != HBCTL_EXIT_OK)
		return ret;
	if (created[0] == '\0')
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "no such domain: %s", domain);
	hb_domain_key(key, sizeof(key), ctx->set->key_prefix, HB_DKEY_ADMINS, domain, NULL);
	if ((ret = hbctl_sorted_members(ctx, key, &reply, &admins)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "domain", domain);
		hbctl_json_int(&ctx->js, "created", atoll(created));
		hbctl_json_str(&ctx->js, "created_by", by);
		hbctl_json_arr_begin(&ctx->js, "admins");
		for (size_t i = 0; admins[i] != NULL; i++)
			hbctl_json_str(&ctx->js, NULL, admins[i]);
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else {
		printf("%-40s %-10s %9s %8s\n", "DOMAIN", "STATE", "MAILBOXES", "ALIASES");
		print_domain_row(ctx, domain);
		time_t t = (time_t)atoll(created);
		struct tm tm;
		char when[32];

		if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof(when), "%s", created);
		printf("created %s by %s\nadmins:", when, by);
		for (size_t i = 0; admins[i] != NULL; i++)
			printf(" %s", admins[i]);
		printf("%s\n", admins[0] == NULL ? " (none: operator only)" : "");
	}
	free(admins);
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static int domain_change(struct hbctl *ctx, const char *verb, const char *domain)
{
	const char *state = strcmp(verb, "suspend") == 0 ? "suspended" :
		strcmp(verb, "remove") == 0 ? "removed" : "active";
	const char *force = ctx->args->force ? "1" : "0";
	int ret = strcmp(verb, "add") == 0 ?
		hbctl_domain_change(ctx, hb_script_domain_create, domain, 0, NULL) :
		strcmp(verb, "remove") == 0 ?
		hbctl_domain_change(ctx, hb_script_domain_remove, domain, 1, &force) :
		hbctl_domain_change(ctx, hb_script_domain_state, domain, 1, &state);

	if (ret != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "domain", domain);
		hbctl_json_str(&ctx->js, "state", state);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else {
		printf("domain %s %s\n", domain, strcmp(verb, "add") == 0 ? "added" : state);
	}
	return HBCTL_EXIT_OK;
}

int hbctl_cmd_domain(struct hbctl *ctx)
{
	static const char *const verbs[] = { "add", "list", "show", "suspend", "resume", "remove",
					      NULL };
	const struct hbctl_args *args = ctx->args;
	char domain[HB_DOMAIN_MAX + 1];
	const char *verb;
	int ret;

	if (args->word_count > 1 && strcmp(args->words[1], "remove") == 0) {
		if (hbctl_args_check(args, HBCTL_OPT_FORCE, ctx->err, sizeof(ctx->err)) < 0)
			return HBCTL_EXIT_USAGE;
		verb = "remove";
	} else if ((ret = hbctl_domain_verb(ctx, "domain", verbs, hbctl_usage_domain, &verb)) != HBCTL_EXIT_OK) {
		return ret;
	}
	if (strcmp(verb, "list") == 0)
		return domain_list(ctx);
	if (args->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: domain %s DOMAIN", verb);
	if ((ret = hbctl_domain_arg(ctx, args->words[2], domain)) != HBCTL_EXIT_OK)
		return ret;
	if (strcmp(verb, "show") == 0)
		return domain_show(ctx, domain);
	return domain_change(ctx, verb, domain);
}
