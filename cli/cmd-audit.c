/* cmd-audit.c - `hbctl audit DOMAIN [N]`: the newest N entries of the
 * domain's audit stream P audit:DOM (docs/DOMAINS.md 7), oldest first.
 * Read-only; values are printed through hbctl_printable() since a domain
 * admin chose some of them. */
#include "domain-cmds.h"
#include "hb-policy.h"
#include "hb-redis.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIT_DEFAULT "50"
#define AUDIT_MAX 10000

static const char *entry_field(const redisReply *fields, const char *name)
{
	const char *value = hb_redis_pair_value(fields, name);

	return value != NULL ? value : "";
}

static void print_entry(struct hbctl *ctx, const redisReply *fields)
{
	static const char *const names[] = { "time", "who", "from", "action", "target", "old", "new" };
	char when[32], buf[7][256];
	time_t t = (time_t)atoll(entry_field(fields, "time"));
	struct tm tm;

	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_int(&ctx->js, "time", (long long)t);
		for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
			hbctl_json_str(&ctx->js, names[i], entry_field(fields, names[i]));
		hbctl_json_obj_end(&ctx->js);
		return;
	}
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		hbctl_printable(entry_field(fields, names[i]), buf[i], sizeof(buf[i]));
	/* policy values in the units they were typed in ("25M", "200/h") */
	const struct hb_policy_def *def = hb_policy_find(buf[4], 1);
	if (def != NULL && strstr(buf[3], " set") != NULL) {
		for (size_t i = 5; i <= 6; i++) {
			char human[HB_POLICY_VALUE_MAX];

			if (buf[i][0] != '\0' && hb_policy_display(def, buf[i], human, sizeof(human)) == 0)
				snprintf(buf[i], sizeof(buf[i]), "%s", human);
		}
	}
	printf("%s %s from %s: %s %s: %s -> %s\n", when, buf[1], buf[2], buf[3], buf[4],
	       buf[5][0] != '\0' ? buf[5] : "(none)", buf[6][0] != '\0' ? buf[6] : "(none)");
}

int hbctl_cmd_audit(struct hbctl *ctx)
{
	const struct hbctl_args *args = ctx->args;
	char domain[HB_DOMAIN_MAX + 1], key[HB_KEY_MAX], count[16];
	unsigned int n;
	redisReply *reply;
	int ret;

	if (hbctl_args_check(args, 0, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (args->word_count < 2 || args->word_count > 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: audit DOMAIN [N]");
	if (args->word_count == 3 && hbctl_parse_uint(args->words[2], 1, AUDIT_MAX, &n) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "N must be 1..%d", AUDIT_MAX);
	snprintf(count, sizeof(count), "%s", args->word_count == 3 ? args->words[2] : AUDIT_DEFAULT);
	if ((ret = hbctl_domain_arg(ctx, args->words[1], domain)) != HBCTL_EXIT_OK)
		return ret;
	hbctl_key(ctx, key, sizeof(key), HB_KEY_AUDIT, domain);
	const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", count };
	if ((ret = hbctl_cmd(ctx, &reply, 6, argv)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json)
		hbctl_json_arr_begin(&ctx->js, NULL);
	for (size_t i = reply->elements; i-- > 0;) {
		const redisReply *e = reply->element[i];

		if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
		    e->element[1]->type == REDIS_REPLY_ARRAY)
			print_entry(ctx, e->element[1]);
	}
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else if (reply->elements == 0) {
		printf("no changes recorded for %s\n", domain);
	}
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}
