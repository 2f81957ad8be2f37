/* main.c - hbctl, the Hummingbird operator tool: parses the command line,
 * loads the configuration, runs one command and reports its single error
 * (stderr, and as a JSON object with --json) with the documented exit code. */
#include "hbctl.h"
#include "domain-cmds.h"
#include "hb-settings.h"
#include "usage.h"

#include <stdlib.h>
#include <string.h>

static void report_error(struct hbctl *ctx, int code)
{
	fprintf(stderr, "hbctl: %s\n", ctx->err[0] != '\0' ? ctx->err : "failed");
	/* A command that already printed its JSON result put the error in it. */
	if (ctx->args->json && !ctx->js.has_items[0]) {
		struct hbctl_json js;
		hbctl_json_init(&js, stdout);
		hbctl_json_obj_begin(&js, NULL);
		hbctl_json_bool(&js, "ok", 0);
		hbctl_json_str(&js, "error", ctx->err);
		hbctl_json_int(&js, "exit_code", code);
		hbctl_json_obj_end(&js);
		hbctl_json_finish(&js);
	}
}

static int run(struct hbctl *ctx)
{
	const struct hbctl_args *args = ctx->args;
	const char *group = args->words[0];

	if (strcmp(group, "backend") == 0)
		return hbctl_cmd_backend(ctx);
	if (strcmp(group, "user") == 0)
		return hbctl_cmd_user(ctx);
	if (strcmp(group, "status") == 0)
		return hbctl_cmd_status(ctx);
	if (strcmp(group, "domain") == 0)
		return hbctl_cmd_domain(ctx);
	if (strcmp(group, "policy") == 0)
		return hbctl_cmd_policy(ctx);
	if (strcmp(group, "caps") == 0)
		return hbctl_cmd_caps(ctx);
	if (strcmp(group, "audit") == 0)
		return hbctl_cmd_audit(ctx);
	if (strcmp(group, "alias") == 0)
		return hbctl_cmd_alias(ctx);
	if (strcmp(group, "sender") == 0)
		return hbctl_cmd_sender(ctx);
	if (strcmp(group, "admin") == 0)
		return hbctl_cmd_admin(ctx);
	return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "unknown command %.64s (try --help)", group);
}

/* Help for the command group named by the words, or the main usage. */
static void print_help(const struct hbctl_args *args)
{
	const char *group = args->word_count > 0 ? args->words[0] : "";

	if (strcmp(group, "backend") == 0)
		hbctl_usage_backend(stdout);
	else if (strcmp(group, "user") == 0)
		hbctl_usage_user(stdout);
	else if (strcmp(group, "status") == 0)
		hbctl_usage_status(stdout);
	else if (strcmp(group, "domain") == 0)
		hbctl_usage_domain(stdout);
	else if (strcmp(group, "policy") == 0 || strcmp(group, "caps") == 0)
		hbctl_usage_policy(stdout);
	else if (strcmp(group, "audit") == 0)
		hbctl_usage_audit(stdout);
	else if (strcmp(group, "alias") == 0)
		hbctl_usage_alias(stdout);
	else if (strcmp(group, "sender") == 0)
		hbctl_usage_sender(stdout);
	else if (strcmp(group, "admin") == 0)
		hbctl_usage_admin(stdout);
	else
		hbctl_usage_main(stdout);
}

int main(int argc, char **argv)
{
	struct hbctl_args args;
	struct hbctl ctx;
	int code;

	memset(&ctx, 0, sizeof(ctx));
	ctx.args = &args;
	hbctl_json_init(&ctx.js, stdout);
	if (hbctl_args_parse(argc - 1, argv + 1, &args, ctx.err, sizeof(ctx.err)) < 0) {
		report_error(&ctx, HBCTL_EXIT_USAGE);
		return HBCTL_EXIT_USAGE;
	}
	if (args.help || args.word_count == 0) {
		print_help(&args);
		return args.help ? HBCTL_EXIT_OK : HBCTL_EXIT_USAGE;
	}
	if (hb_settings_load(args.config_path != NULL ? args.config_path :
			     HB_DEFAULT_CONFIG_PATH, &ctx.set, ctx.err, sizeof(ctx.err)) < 0) {
		report_error(&ctx, HBCTL_EXIT_USAGE);
		return HBCTL_EXIT_USAGE;
	}
	code = run(&ctx);
	if (code != HBCTL_EXIT_OK)
		report_error(&ctx, code);
	if (ctx.redis != NULL)
		redisFree(ctx.redis);
	hb_settings_free(&ctx.set);
	return code;
}
