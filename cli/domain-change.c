/* domain-change.c - hbctl's side of the domain change scripts
 * (docs/DOMAINS.md 7): the caller's identity for the audit log, the common
 * ARGV, and refusals turned into one clear error. */
#include "domain-cmds.h"
#include "hb-secret.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHANGE_MAX_ARGS 40

int hbctl_domain_arg(struct hbctl *ctx, const char *in, char *out)
{
	const char *error;

	if (hb_domain_normalize(in, out, HB_DOMAIN_MAX + 1, &error) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid domain %.64s: %s", in, error);
	return HBCTL_EXIT_OK;
}

/* the sudo caller when root runs it through sudo */
void hbctl_operator_identity(char *out, size_t size)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	const char *name = getuid() == 0 && sudo != NULL && sudo[0] != '\0' ? sudo :
		pw != NULL ? pw->pw_name : "unknown";

	snprintf(out, size, "operator:%.64s", name);
}

/* The script's refusal ("CAP user_msgs 100/3600") in words for the log. */
static void explain(const char *why, char *out, size_t size)
{
	char name[64], limit[64];

	if (sscanf(why, "CAP %63s %63s", name, limit) == 2 &&
	    (strcmp(name, "max_users") == 0 || strcmp(name, "max_aliases") == 0))
		snprintf(out, size, "the domain has reached the operator's cap %s = %s", name, limit);
	else if (sscanf(why, "CAP %63s %63s", name, limit) == 2)
		snprintf(out, size, "%s is above the operator's cap (%s)", name, limit);
	else if (strncmp(why, "SCOPE ", 6) == 0)
		snprintf(out, size, "not allowed for this caller (%.300s)", why + 6);
	else if (sscanf(why, "NOTEMPTY %63s %63s", name, limit) == 2)
		snprintf(out, size, "the domain still has %s mailboxes and %s aliases "
			 "(--force removes them too)", name, limit);
	else if (strncmp(why, "NODOMAIN ", 9) == 0)
		snprintf(out, size, "no such domain: %.300s", why + 9);
	else
		snprintf(out, size, "%s", why);
}

int hbctl_script_refusal(struct hbctl *ctx, int ret)
{
	/* the script's error reply, as lib/hb-redis.c reports it */
	const char *prefix = "Redis EVAL: ";
	char why[HBCTL_ERR_MAX], words[HBCTL_ERR_MAX];

	if (ret != HBCTL_EXIT_FAILED)
		return ret;	/* Redis unreachable: its message stays */
	snprintf(why, sizeof(why), "%s", strncmp(ctx->err, prefix, strlen(prefix)) == 0 ?
		 ctx->err + strlen(prefix) : ctx->err);
	explain(why, words, sizeof(words));
	return hbctl_fail(ctx, strncmp(why, "BADVALUE", 8) == 0 ? HBCTL_EXIT_USAGE :
			  HBCTL_EXIT_FAILED, "refused: %s", words);
}

int hbctl_domain_change(struct hbctl *ctx, const char *script, const char *domain,
			int argc, const char **argv)
{
	const char *full[CHANGE_MAX_ARGS + 4];
	char who[80], now[24];
	redisReply *reply;
	int ret;

	if (argc > CHANGE_MAX_ARGS)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "too many values at once");
	hbctl_operator_identity(who, sizeof(who));
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	full[0] = domain;
	full[1] = who;
	full[2] = "local";
	full[3] = now;
	for (int i = 0; i < argc; i++)
		full[4 + i] = argv[i];
	ret = hbctl_eval(ctx, &reply, script, argc + 4, full);
	if (ret != HBCTL_EXIT_OK)
		return hbctl_script_refusal(ctx, ret);
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

int hbctl_domain_verb(struct hbctl *ctx, const char *group, const char *const *verbs,
		      void (*usage)(FILE *), const char **verb_r)
{
	const struct hbctl_args *args = ctx->args;
	const char *verb = args->word_count > 1 ? args->words[1] : "";

	if (hbctl_args_check(args, 0, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	for (size_t i = 0; verbs[i] != NULL; i++) {
		if (strcmp(verb, verbs[i]) == 0) {
			*verb_r = verb;
			return HBCTL_EXIT_OK;
		}
	}
	usage(stderr);
	return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "unknown %s command %.32s", group, verb);
}

int hbctl_end_list(struct hbctl *ctx, const char **names, redisReply *reply)
{
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	}
	free(names);
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

int hbctl_new_password(struct hbctl *ctx, char *password, size_t size, int *show_r)
{
	const char *error;

	*show_r = 0;
	if (ctx->args->password_file != NULL) {
		if (hb_secret_read_file(ctx->args->password_file, password, size, &error) < 0)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%s", error);
		return HBCTL_EXIT_OK;
	}
	if (hb_secret_generate(password, size) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "random generator failed");
	*show_r = 1;
	return HBCTL_EXIT_OK;
}

void hbctl_print_change(struct hbctl *ctx, const char *key, const char *what, const char *name,
		      const char *verb, const char *password)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, key, name);
		if (password != NULL)
			hbctl_json_str(&ctx->js, "password", password);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
		return;
	}
	printf("%s %s %s\n", what, name, verb);
	if (password != NULL)
		printf("password: %s\n(shown once; it is stored only as a hash)\n", password);
}
