/* cmd-mailbox.c - hosted mailboxes, aliases and sender rights for the
 * operator (docs/DOMAINS.md 2, 7):
 *   user add ADDRESS [--quota SIZE] [--password-file FILE]
 *   user remove|suspend|resume ADDRESS       user list DOMAIN
 *   alias add ADDRESS TARGET...  alias remove ADDRESS  alias list DOMAIN
 *   sender allow|deny LOGIN ADDRESS|@DOMAIN   sender list LOGIN
 * A password comes from a 0600 file or is generated (160 bits) and shown
 * once; it is never an argument.  Only its {SHA512-CRYPT} hash is stored. */
#include "domain-cmds.h"
#include "hb-scripts-domains.h"
#include "hb-secret.h"
#include "hb-units.h"
#include "usage.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct mailbox_arg {
	char local[HB_LOCAL_MAX + 1];
	char domain[HB_DOMAIN_MAX + 1];
};

static int address_arg(struct hbctl *ctx, const char *in, struct mailbox_arg *a)
{
	const char *error;

	if (hb_addr_split(in, a->local, sizeof(a->local), a->domain, sizeof(a->domain), &error) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid address %.100s: %s", in, error);
	return HBCTL_EXIT_OK;
}

static int words_at_least(struct hbctl *ctx, unsigned int n, const char *usage)
{
	return ctx->args->word_count >= n ? HBCTL_EXIT_OK :
		hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: %s", usage);
}

static void print_done(struct hbctl *ctx, const char *what, const struct mailbox_arg *a,
		       const char *verb, const char *password)
{
	char address[HB_LOCAL_MAX + HB_DOMAIN_MAX + 2];

	snprintf(address, sizeof(address), "%s@%s", a->local, a->domain);
	hbctl_print_change(ctx, "address", what, address, verb, password);
}

static int user_add(struct hbctl *ctx, const struct mailbox_arg *a)
{
	char password[HB_SECRET_MAX + 1], hash[HB_MAILBOX_HASH_MAX], quota[24] = "0";
	const char *error;
	int64_t bytes;
	int show, ret;

	if (ctx->args->quota != NULL) {
		if (hb_parse_size(ctx->args->quota, &bytes, &error) < 0)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "--quota %.40s: %s", ctx->args->quota, error);
		snprintf(quota, sizeof(quota), "%" PRId64, bytes);
	}
	if ((ret = hbctl_new_password(ctx, password, sizeof(password), &show)) != HBCTL_EXIT_OK)
		return ret;
	if (hb_mailbox_hash(password, hash, sizeof(hash), &error) < 0) {
		hb_secret_wipe(password, sizeof(password));
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "hashing the password: %s", error);
	}
	const char *argv[] = { a->local, hash, quota };
	ret = hbctl_domain_change(ctx, hb_script_mailbox_add, a->domain, 3, argv);
	if (ret == HBCTL_EXIT_OK)
		print_done(ctx, "mailbox", a, "added", show ? password : NULL);
	hb_secret_wipe(password, sizeof(password));
	hb_secret_wipe(hash, sizeof(hash));
	return ret;
}

/* SMEMBERS of domain key KIND of the domain typed as DOMAIN_WORD, printed
 * one per line (or a JSON array) with PRINT_ONE's details. */
static int list_members(struct hbctl *ctx, const char *domain_word, enum hb_domain_key_kind kind,
			void (*print_one)(struct hbctl *, const char *, const char *))
{
	char key[HB_KEY_MAX], domain[HB_DOMAIN_MAX + 1];
	redisReply *reply;
	const char **names;
	int ret;

	if ((ret = hbctl_domain_arg(ctx, domain_word, domain)) != HBCTL_EXIT_OK)
		return ret;
	hb_domain_key(key, sizeof(key), ctx->set->key_prefix, kind, domain, NULL);
	if ((ret = hbctl_sorted_members(ctx, key, &reply, &names)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json)
		hbctl_json_arr_begin(&ctx->js, NULL);
	for (size_t i = 0; names[i] != NULL; i++)
		print_one(ctx, domain, names[i]);
	return hbctl_end_list(ctx, names, reply);
}

static void print_mailbox(struct hbctl *ctx, const char *domain, const char *local)
{
	char key[HB_KEY_MAX], address[HB_ADDR_MAX + 1], shown[HB_UNITS_FORMAT_MAX];
	const char *state = "?", *quota = "";
	redisReply *reply = NULL;

	hb_domain_key(key, sizeof(key), ctx->set->key_prefix, HB_DKEY_MAILBOX, domain, local);
	const char *argv[] = { "HMGET", key, "state", "quota" };
	if (hbctl_cmd(ctx, &reply, 4, argv) == HBCTL_EXIT_OK && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2) {
		if (reply->element[0]->type == REDIS_REPLY_STRING)
			state = reply->element[0]->str;
		if (reply->element[1]->type == REDIS_REPLY_STRING)
			quota = reply->element[1]->str;
	}
	snprintf(address, sizeof(address), "%s@%s", local, domain);
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "address", address);
		hbctl_json_str(&ctx->js, "state", state);
		hbctl_json_int(&ctx->js, "quota", atoll(quota));
		hbctl_json_obj_end(&ctx->js);
	} else {
		long long q = atoll(quota);

		if (q <= 0 || hb_format_size(q, shown, sizeof(shown)) < 0)
			snprintf(shown, sizeof(shown), "default");
		printf("%-50s %-10s %s\n", address, state, shown);
	}
	if (reply != NULL)
		freeReplyObject(reply);
}

int hbctl_cmd_mailbox(struct hbctl *ctx)
{
	static const char *const verbs[] = { "add", "remove", "suspend", "resume", "list", NULL };
	const struct hbctl_args *args = ctx->args;
	struct mailbox_arg a;
	const char *verb;
	int ret;

	if (strcmp(args->words[1], "add") == 0 &&
	    hbctl_args_check(args, HBCTL_OPT_PASSWORD_FILE | HBCTL_OPT_QUOTA, ctx->err,
			     sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (strcmp(args->words[1], "add") != 0 &&
	    (ret = hbctl_domain_verb(ctx, "user", verbs, hbctl_usage_user, &verb)) != HBCTL_EXIT_OK)
		return ret;
	verb = args->words[1];
	if (args->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: user %s %s", verb,
				  strcmp(verb, "list") == 0 ? "DOMAIN" : "ADDRESS");
	if (strcmp(verb, "list") == 0)
		return list_members(ctx, args->words[2], HB_DKEY_USERS, print_mailbox);
	if ((ret = address_arg(ctx, args->words[2], &a)) != HBCTL_EXIT_OK)
		return ret;
	if (strcmp(verb, "add") == 0)
		return user_add(ctx, &a);
	const char *state = strcmp(verb, "suspend") == 0 ? "suspended" : "active";
	const char *argv[] = { a.local, state };
	ret = strcmp(verb, "remove") == 0 ?
		hbctl_domain_change(ctx, hb_script_mailbox_remove, a.domain, 1, argv) :
		hbctl_domain_change(ctx, hb_script_mailbox_state, a.domain, 2, argv);
	if (ret == HBCTL_EXIT_OK)
		print_done(ctx, "mailbox", &a, strcmp(verb, "remove") == 0 ? "removed" : state, NULL);
	return ret;
}

/* NAMES as JSON strings of the open array, or each printed between BEFORE
 * and AFTER */
static void print_names(struct hbctl *ctx, const char *const *names, const char *before,
			const char *after)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (ctx->args->json)
			hbctl_json_str(&ctx->js, NULL, names[i]);
		else
			printf("%s%s%s", before, names[i], after);
	}
}

static void print_alias(struct hbctl *ctx, const char *domain, const char *local)
{
	char key[HB_KEY_MAX], address[HB_ADDR_MAX + 1];
	redisReply *reply;
	const char **targets;

	hb_domain_key(key, sizeof(key), ctx->set->key_prefix, HB_DKEY_ALIAS, domain, local);
	snprintf(address, sizeof(address), "%s@%s", local, domain);
	if (hbctl_sorted_members(ctx, key, &reply, &targets) != HBCTL_EXIT_OK)
		return;
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "address", address);
		hbctl_json_arr_begin(&ctx->js, "targets");
	} else {
		printf("%s ->", address);
	}
	print_names(ctx, targets, " ", "");
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_obj_end(&ctx->js);
	} else {
		printf("\n");
	}
	free(targets);
	freeReplyObject(reply);
}

#define ALIAS_MAX_TARGETS (HBCTL_MAX_WORDS - 3)

int hbctl_cmd_alias(struct hbctl *ctx)
{
	static const char *const verbs[] = { "add", "remove", "list", NULL };
	const struct hbctl_args *args = ctx->args;
	char targets[ALIAS_MAX_TARGETS][HB_ADDR_MAX + 1];
	const char *argv[ALIAS_MAX_TARGETS + 1], *verb, *error;
	struct mailbox_arg a;
	int ret, argc = 0;

	if ((ret = hbctl_domain_verb(ctx, "alias", verbs, hbctl_usage_alias, &verb)) != HBCTL_EXIT_OK ||
	    (ret = words_at_least(ctx, 3, "alias add ADDRESS TARGET... | remove ADDRESS | list DOMAIN")) != HBCTL_EXIT_OK)
		return ret;
	if (strcmp(verb, "list") == 0)
		return list_members(ctx, args->words[2], HB_DKEY_ALIASES, print_alias);
	if ((ret = address_arg(ctx, args->words[2], &a)) != HBCTL_EXIT_OK)
		return ret;
	argv[argc++] = a.local;
	if (strcmp(verb, "remove") == 0) {
		ret = hbctl_domain_change(ctx, hb_script_alias_remove, a.domain, argc, argv);
	} else {
		if ((ret = words_at_least(ctx, 4, "alias add ADDRESS TARGET...")) != HBCTL_EXIT_OK)
			return ret;
		for (unsigned int i = 3; i < args->word_count; i++, argc++) {
			if (hb_addr_normalize(args->words[i], targets[argc - 1], HB_ADDR_MAX + 1, &error) < 0)
				return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid target %.100s: %s",
						  args->words[i], error);
			argv[argc] = targets[argc - 1];
		}
		ret = hbctl_domain_change(ctx, hb_script_alias_add, a.domain, argc, argv);
	}
	if (ret == HBCTL_EXIT_OK)
		print_done(ctx, "alias", &a, strcmp(verb, "remove") == 0 ? "removed" : "set", NULL);
	return ret;
}

/* ADDRESS or @DOMAIN, normalised */
static int sender_arg(struct hbctl *ctx, const char *in, char *out, size_t size)
{
	const char *error;

	if (in[0] == '@') {
		out[0] = '@';
		if (hb_domain_normalize(in + 1, out + 1, size - 1, &error) < 0)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid domain %.100s: %s", in, error);
	} else if (hb_addr_normalize(in, out, size, &error) < 0) {
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid sender %.100s: %s", in, error);
	}
	return HBCTL_EXIT_OK;
}

int hbctl_cmd_sender(struct hbctl *ctx)
{
	static const char *const verbs[] = { "allow", "deny", "list", NULL };
	const struct hbctl_args *args = ctx->args;
	char sender[HB_ADDR_MAX + 2], key[HB_KEY_MAX];
	struct mailbox_arg a;
	const char *verb;
	int ret;

	if ((ret = hbctl_domain_verb(ctx, "sender", verbs, hbctl_usage_sender, &verb)) != HBCTL_EXIT_OK ||
	    (ret = words_at_least(ctx, 3, "sender allow|deny LOGIN ADDRESS | list LOGIN")) != HBCTL_EXIT_OK ||
	    (ret = address_arg(ctx, args->words[2], &a)) != HBCTL_EXIT_OK)
		return ret;
	if (strcmp(verb, "list") == 0) {
		redisReply *reply;
		const char **names;

		hb_domain_key(key, sizeof(key), ctx->set->key_prefix, HB_DKEY_SENDERS, a.domain, a.local);
		if ((ret = hbctl_sorted_members(ctx, key, &reply, &names)) != HBCTL_EXIT_OK)
			return ret;
		if (ctx->args->json)
			hbctl_json_arr_begin(&ctx->js, NULL);
		print_names(ctx, names, "", "\n");
		return hbctl_end_list(ctx, names, reply);
	}
	if (args->word_count != 4)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: sender %s LOGIN ADDRESS|@DOMAIN", verb);
	if ((ret = sender_arg(ctx, args->words[3], sender, sizeof(sender))) != HBCTL_EXIT_OK)
		return ret;
	const char *argv[] = { a.local, sender };
	ret = hbctl_domain_change(ctx, strcmp(verb, "allow") == 0 ? hb_script_sender_allow :
				  hb_script_sender_deny, a.domain, 2, argv);
	if (ret == HBCTL_EXIT_OK)
		print_done(ctx, "sender rights of", &a, strcmp(verb, "allow") == 0 ? "extended" : "reduced",
			   NULL);
	return ret;
}
