/* cmd-audit.c - `hbctl audit DOMAIN [N]`: the newest N entries of the
 * domain's audit log P audit:DOM (docs/DOMAINS.md 7), oldest first.
 * Read-only; values are printed through hbctl_printable() since a domain
 * admin chose some of them. */
#include "domain-cmds.h"
#include "hb-audit.h"
#include "hb-policy.h"
#include "hb-redis.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIT_DEFAULT "50"
#define AUDIT_MAX 10000

static void print_entry(struct hbctl *ctx, const struct hb_audit_entry *e)
{
	char when[32], buf[HB_AUDIT_FIELDS][256];
	time_t t = (time_t)e->time;
	struct tm tm;

	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_int(&ctx->js, "time", e->time);
		for (size_t i = 0; i < HB_AUDIT_FIELDS; i++)
			hbctl_json_str(&ctx->js, hb_audit_field_names[i], e->field[i]);
		hbctl_json_obj_end(&ctx->js);
		return;
	}
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	for (size_t i = 0; i < HB_AUDIT_FIELDS; i++)
		hbctl_printable(e->field[i], buf[i], sizeof(buf[i]));
	/* policy values in the units they were typed in ("25M", "200/h") */
	const struct hb_policy_def *def = hb_policy_find(buf[HB_AUDIT_TARGET], 1);
	if (def != NULL && strstr(buf[HB_AUDIT_ACTION], " set") != NULL) {
		for (size_t i = HB_AUDIT_OLD; i <= HB_AUDIT_NEW; i++) {
			char human[HB_POLICY_VALUE_MAX];

			if (buf[i][0] != '\0' && hb_policy_display(def, buf[i], human, sizeof(human)) == 0)
				snprintf(buf[i], sizeof(buf[i]), "%s", human);
		}
	}
	printf("%s %s from %s: %s %s: %s -> %s\n", when, buf[HB_AUDIT_WHO], buf[HB_AUDIT_FROM],
	       buf[HB_AUDIT_ACTION], buf[HB_AUDIT_TARGET],
	       buf[HB_AUDIT_OLD][0] != '\0' ? buf[HB_AUDIT_OLD] : "(none)",
	       buf[HB_AUDIT_NEW][0] != '\0' ? buf[HB_AUDIT_NEW] : "(none)");
}

/* An element that is not an entry is shown as such, never skipped: the log
 * is evidence. */
static void print_element(struct hbctl *ctx, const redisReply *el)
{
	struct hb_audit_entry e;

	if (el->type != REDIS_REPLY_STRING ||
	    hb_audit_entry_parse(el->str, el->len, &e) < 0) {
		static const char *const unreadable = "(unreadable entry)";
		struct hb_audit_entry bad = { 0, { "", "", unreadable, "", "", "" }, NULL };

		print_entry(ctx, &bad);
		return;
	}
	print_entry(ctx, &e);
	hb_audit_entry_free(&e);
}

int hbctl_cmd_audit(struct hbctl *ctx)
{
	const struct hbctl_args *args = ctx->args;
	char domain[HB_DOMAIN_MAX + 1], key[HB_KEY_MAX], first[16];
	unsigned int n;
	redisReply *reply;
	int ret;

	if (hbctl_args_check(args, 0, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (args->word_count < 2 || args->word_count > 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: audit DOMAIN [N]");
	if (args->word_count == 3 && hbctl_parse_uint(args->words[2], 1, AUDIT_MAX, &n) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "N must be 1..%d", AUDIT_MAX);
	snprintf(first, sizeof(first), "-%s", args->word_count == 3 ? args->words[2] : AUDIT_DEFAULT);
	if ((ret = hbctl_domain_arg(ctx, args->words[1], domain)) != HBCTL_EXIT_OK)
		return ret;
	hbctl_key(ctx, key, sizeof(key), HB_KEY_AUDIT, domain);
	const char *argv[] = { "LRANGE", key, first, "-1" };
	if ((ret = hbctl_cmd(ctx, &reply, 4, argv)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json)
		hbctl_json_arr_begin(&ctx->js, NULL);
	for (size_t i = 0; i < reply->elements; i++)
		print_element(ctx, reply->element[i]);
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else if (reply->elements == 0) {
		printf("no changes recorded for %s\n", domain);
	}
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}
