/* main.c - hbctl, the Hummingbird operator tool: parses the command line,
 * loads the configuration, runs one command and reports its single error
 * (stderr, and as a JSON object with --json) with the documented exit code. */
#include "hbctl.h"
#include "doctor.h"
#include "domain-cmds.h"
#include "hb-settings.h"
#include "server.h"
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

/* Every command group: what runs it and its help text. */
static const struct command_group {
	const char *name;
	int (*run)(struct hbctl *ctx);
	void (*usage)(FILE *f);
} groups[] = {
	{ "backend", hbctl_cmd_backend, hbctl_usage_backend },
	{ "user", hbctl_cmd_user, hbctl_usage_user },
	{ "status", hbctl_cmd_status, hbctl_usage_status },
	{ "locks", hbctl_cmd_locks, hbctl_usage_locks },
	{ "domain", hbctl_cmd_domain, hbctl_usage_domain },
	{ "policy", hbctl_cmd_policy, hbctl_usage_policy },
	{ "caps", hbctl_cmd_caps, hbctl_usage_policy },
	{ "audit", hbctl_cmd_audit, hbctl_usage_audit },
	{ "alias", hbctl_cmd_alias, hbctl_usage_alias },
	{ "sender", hbctl_cmd_sender, hbctl_usage_sender },
	{ "admin", hbctl_cmd_admin, hbctl_usage_admin },
	/* run by main() itself: it takes options of its own and no hummingbird.conf */
	{ "doctor", NULL, hbctl_usage_doctor },
};

static const struct command_group *find_group(const char *name)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	}
	return NULL;
}

static int run(struct hbctl *ctx)
{
	const char *name = ctx->args->words[0];
	const struct command_group *group = find_group(name);

	if (group == NULL || group->run == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "unknown command %.64s (try --help)", name);
	return group->run(ctx);
}

/* Help for the command group named by the words, or the main usage. */
static void print_help(const struct hbctl_args *args)
{
	const struct command_group *group = find_group(args->word_count > 0 ? args->words[0] : "");

	if (group != NULL)
		group->usage(stdout);
	else
		hbctl_usage_main(stdout);
}

/* Commands that are Nagios checks: their errors exit UNKNOWN (3), never a
   usage code that Nagios would read as CRITICAL (2). */
static int is_nagios_check(const struct hbctl_args *args)
{
	return args->word_count > 0 && (strcmp(args->words[0], "locks") == 0 ||
					 strcmp(args->words[0], "doctor") == 0);
}

/* `hbctl doctor`: checks this node's Dovecot and each component's Redis
   login (cli/cmd-doctor.c). */
static int run_doctor(struct hbctl *ctx, struct doctor_opts *opts)
{
	int code = hbctl_cmd_doctor(ctx, opts);

	if (code == 3 && ctx->err[0] != '\0')
		report_error(ctx, code);
	return code;
}

int main(int argc, char **argv)
{
	struct doctor_opts dopts;
	struct hbctl_args args;
	struct hbctl_server srv;
	struct hbctl ctx;
	int code;

	memset(&ctx, 0, sizeof(ctx));
	memset(&srv, 0, sizeof(srv));
	memset(&args, 0, sizeof(args));
	memset(&dopts, 0, sizeof(dopts));
	ctx.args = &args;
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("hbctl %s\n", HB_VERSION);
		return HBCTL_EXIT_OK;
	}
	hbctl_json_init(&ctx.js, stdout);
	/* --server mode (a domain admin through hummingbird-admind): cli/server-*.c */
	if (hbctl_server_options(&argc, argv, &srv, ctx.err, sizeof(ctx.err)) < 0 ||
	    doctor_options(&argc, argv, &dopts, ctx.err, sizeof(ctx.err)) < 0 ||
	    hbctl_args_parse(argc - 1, argv + 1, &args, ctx.err, sizeof(ctx.err)) < 0 ||
	    (dopts.given && (args.word_count == 0 || strcmp(args.words[0], "doctor") != 0) &&
	     hbctl_fail(&ctx, -1, "--doveconf, --dovecot-config, --dovecot-libdir, "
			"--auth-module-dir, --config-dir and --role go with doctor") < 0)) {
		/* a Nagios check must not read a usage error as CRIT (2) */
		code = is_nagios_check(&args) ? 3 : HBCTL_EXIT_USAGE;
		report_error(&ctx, code);
		return code;
	}
	if (args.help || args.word_count == 0) {
		print_help(&args);
		return args.help ? HBCTL_EXIT_OK : HBCTL_EXIT_USAGE;
	}
	if (srv.url != NULL) {
		code = hbctl_server_run(&ctx, &srv);
		if (code != HBCTL_EXIT_OK)
			report_error(&ctx, code);
		return code;
	}
	if (strcmp(args.words[0], "doctor") == 0)
		return run_doctor(&ctx, &dopts);
	/* the lock census runs on mail nodes, which need no hummingbird.conf;
	   its errors are Nagios' UNKNOWN (3), not a usage code */
	if (strcmp(args.words[0], "locks") == 0) {
		if (args.census.publish != NULL &&
		    hb_settings_load(args.config_path != NULL ? args.config_path :
				     HB_DEFAULT_CONFIG_PATH, &ctx.set, ctx.err, sizeof(ctx.err)) < 0) {
			report_error(&ctx, 3);
			return 3;
		}
		code = hbctl_cmd_locks(&ctx);
		if (ctx.redis != NULL)
			redisFree(ctx.redis);
		if (ctx.set != NULL)
			hb_settings_free(&ctx.set);
		if (code == 3 && ctx.err[0] != '\0')
			report_error(&ctx, code);
		return code;
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
