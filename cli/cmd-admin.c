/* cmd-admin.c - domain admin accounts, for the operator (docs/SECURITY.md 1):
 *   admin add NAME [--password-file FILE]   admin remove NAME   admin list
 *   admin passwd NAME [--password-file FILE]   admin grant|revoke NAME DOMAIN
 * The password (from a 0600 file, or generated and shown once) is stored as
 * a PBKDF2-SHA256 hash (lib/hb-secret.c) for hummingbird-admind to check;
 * a new password ends every session of the admin (admind compares the
 * password generation on each request).
 * Grants and the revocations of a removed account go to each domain's audit
 * log. */
#include "domain-cmds.h"
#include "hb-scripts-domains.h"
#include "hb-secret.h"
#include "usage.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ADMIN_NAME_MAX 64

static int admin_name_arg(struct hbctl *ctx, const char *in)
{
	size_t len = strlen(in);

	if (len == 0 || len > ADMIN_NAME_MAX)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "admin name must be 1..%d characters", ADMIN_NAME_MAX);
	for (const char *p = in; *p != '\0'; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		      *p == '.' || *p == '_' || *p == '-'))
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE,
					  "admin name %.64s: use only a-z 0-9 . _ -", in);
	}
	return HBCTL_EXIT_OK;
}

static void print_admin_done(struct hbctl *ctx, const char *name, const char *what,
			     const char *password)
{
	hbctl_print_change(ctx, "admin", "admin", name, what, password);
}

/* A new password (from --password-file or generated, then shown once),
 * hashed and handed to SCRIPT (admin_create or admin_passwd, same ARGV). */
static int admin_set_password(struct hbctl *ctx, const char *name, const char *script,
			      const char *done)
{
	char password[HB_SECRET_MAX + 1], hash[HB_ADMIN_HASH_MAX], who[80], now[24];
	const char *error;
	redisReply *reply;
	int show, ret;

	if ((ret = hbctl_new_password(ctx, password, sizeof(password), &show)) != HBCTL_EXIT_OK)
		return ret;
	if (hb_admin_hash(password, HB_ADMIN_KDF_ITER_DEFAULT, hash, sizeof(hash), &error) < 0) {
		hb_secret_wipe(password, sizeof(password));
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "hashing the password: %s", error);
	}
	hbctl_operator_identity(who, sizeof(who));
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	const char *argv[] = { name, hash, who, now };
	ret = hbctl_script_refusal(ctx, hbctl_eval(ctx, &reply, script, 4, argv));
	hb_secret_wipe(hash, sizeof(hash));
	if (ret == HBCTL_EXIT_OK) {
		freeReplyObject(reply);
		print_admin_done(ctx, name, done, show ? password : NULL);
	}
	hb_secret_wipe(password, sizeof(password));
	return ret;
}

static int admin_add(struct hbctl *ctx, const char *name)
{
	return admin_set_password(ctx, name, hb_script_admin_create, "added");
}

/* The script bumps the password generation: every session of NAME ends. */
static int admin_passwd(struct hbctl *ctx, const char *name)
{
	return admin_set_password(ctx, name, hb_script_admin_passwd,
				  "has a new password (all sessions ended)");
}

static int admin_remove(struct hbctl *ctx, const char *name)
{
	char who[80], now[24];
	redisReply *reply;
	int ret;

	hbctl_operator_identity(who, sizeof(who));
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	const char *argv[] = { name, who, "local", now };
	ret = hbctl_script_refusal(ctx, hbctl_eval(ctx, &reply, hb_script_admin_remove, 4, argv));
	if (ret != HBCTL_EXIT_OK)
		return ret;
	freeReplyObject(reply);
	print_admin_done(ctx, name, "removed (all grants revoked)", NULL);
	return HBCTL_EXIT_OK;
}

static void print_admin(struct hbctl *ctx, const char *name)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	const char **domains;

	snprintf(key, sizeof(key), "%sadmin:%s:domains", ctx->set->key_prefix, name);
	if (hbctl_sorted_members(ctx, key, &reply, &domains) != HBCTL_EXIT_OK)
		return;
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "admin", name);
		hbctl_json_arr_begin(&ctx->js, "domains");
	} else {
		printf("%-24s", name);
	}
	for (size_t i = 0; domains[i] != NULL; i++) {
		if (ctx->args->json)
			hbctl_json_str(&ctx->js, NULL, domains[i]);
		else
			printf(" %s", domains[i]);
	}
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_obj_end(&ctx->js);
	} else {
		printf("%s\n", domains[0] == NULL ? " (no domains)" : "");
	}
	free(domains);
	freeReplyObject(reply);
}

static int admin_list(struct hbctl *ctx)
{
	char key[HB_KEY_MAX];
	redisReply *reply;
	const char **names;
	int ret;

	snprintf(key, sizeof(key), "%sadmins", ctx->set->key_prefix);
	if ((ret = hbctl_sorted_members(ctx, key, &reply, &names)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json)
		hbctl_json_arr_begin(&ctx->js, NULL);
	for (size_t i = 0; names[i] != NULL; i++)
		print_admin(ctx, names[i]);
	return hbctl_end_list(ctx, names, reply);
}

int hbctl_cmd_admin(struct hbctl *ctx)
{
	static const char *const verbs[] = { "add", "remove", "list", "passwd", "grant", "revoke",
					      NULL };
	const struct hbctl_args *args = ctx->args;
	const char *verb = args->word_count > 1 ? args->words[1] : "";
	char domain[HB_DOMAIN_MAX + 1];
	int ret;

	if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0) {
		if (hbctl_args_check(args, HBCTL_OPT_PASSWORD_FILE, ctx->err, sizeof(ctx->err)) < 0)
			return HBCTL_EXIT_USAGE;
	} else if ((ret = hbctl_domain_verb(ctx, "admin", verbs, hbctl_usage_admin, &verb)) != HBCTL_EXIT_OK) {
		return ret;
	}
	if (strcmp(verb, "list") == 0)
		return args->word_count == 2 ? admin_list(ctx) :
			hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: admin list");
	int with_domain = strcmp(verb, "grant") == 0 || strcmp(verb, "revoke") == 0;

	if (args->word_count != (with_domain ? 4u : 3u))
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: admin %s NAME%s", verb,
				  with_domain ? " DOMAIN" : "");
	if ((ret = admin_name_arg(ctx, args->words[2])) != HBCTL_EXIT_OK)
		return ret;
	if (strcmp(verb, "add") == 0)
		return admin_add(ctx, args->words[2]);
	if (strcmp(verb, "remove") == 0)
		return admin_remove(ctx, args->words[2]);
	if (strcmp(verb, "passwd") == 0)
		return admin_passwd(ctx, args->words[2]);
	if ((ret = hbctl_domain_arg(ctx, args->words[3], domain)) != HBCTL_EXIT_OK)
		return ret;
	const char *argv[] = { args->words[2] };
	int grant = strcmp(verb, "grant") == 0;

	ret = hbctl_domain_change(ctx, grant ? hb_script_admin_grant : hb_script_admin_revoke,
				  domain, 1, argv);
	if (ret == HBCTL_EXIT_OK)
		print_admin_done(ctx, args->words[2], grant ? "granted the domain" :
				 "no longer has the domain", NULL);
	return ret;
}
