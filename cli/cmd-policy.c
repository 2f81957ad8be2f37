/* cmd-policy.c - `hbctl policy show|set DOMAIN` and `hbctl caps set DOMAIN`
 * (docs/DOMAINS.md 4): values typed with units ("25M", "200/h") are checked
 * and made canonical here (lib/hb-policy.c); the scripts check the caps
 * again and write the audit log.  show prints each value, its cap and the
 * effective min(value or default, cap) that the milter applies. */
#include "domain-cmds.h"
#include "hb-policy.h"
#include "hb-scripts-domains.h"
#include "usage.h"

#include <string.h>

#define POLICY_MAX_PAIRS 14

/* words[3..] are NAME=VALUE; fills ARGV with name, canonical value pairs
 * (the values in VALUES). */
static int parse_pairs(struct hbctl *ctx, int caps, const char **argv,
		       char values[][HB_POLICY_VALUE_MAX], int *argc_r)
{
	const struct hbctl_args *args = ctx->args;
	int argc = 0;

	if (args->word_count < 4)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: %s set DOMAIN NAME=VALUE...",
				  caps ? "caps" : "policy");
	if (args->word_count - 3 > POLICY_MAX_PAIRS)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "at most %d values at once", POLICY_MAX_PAIRS);
	for (unsigned int i = 3; i < args->word_count; i++) {
		const char *word = args->words[i], *eq = strchr(word, '='), *error;
		char name[40];
		const struct hb_policy_def *def;
		int pair = argc / 2;

		if (eq == NULL || (size_t)(eq - word) >= sizeof(name))
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "expected NAME=VALUE, got %.64s", word);
		memcpy(name, word, (size_t)(eq - word));
		name[eq - word] = '\0';
		if ((def = hb_policy_find(name, caps)) == NULL)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "unknown %s %.40s (see --help)",
					  caps ? "cap" : "policy value", name);
		if (hb_policy_canonical(def, eq + 1, values[pair], HB_POLICY_VALUE_MAX, &error) < 0)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%s=%.40s: %s", name, eq + 1, error);
		argv[argc++] = def->name;
		argv[argc++] = values[pair];
	}
	*argc_r = argc;
	return HBCTL_EXIT_OK;
}

static int policy_set(struct hbctl *ctx, const char *domain, int caps)
{
	const char *argv[POLICY_MAX_PAIRS * 2];
	char values[POLICY_MAX_PAIRS][HB_POLICY_VALUE_MAX];
	int argc = 0, ret;

	if ((ret = parse_pairs(ctx, caps, argv, values, &argc)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_domain_change(ctx, caps ? hb_script_caps_set : hb_script_policy_set,
				       domain, argc, argv)) != HBCTL_EXIT_OK)
		return ret;
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "domain", domain);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else {
		printf("%s of %s set\n", caps ? "caps" : "policy", domain);
	}
	return HBCTL_EXIT_OK;
}

/* FIELD of hash KEY into OUT ("" when unset) */
static int hget(struct hbctl *ctx, const char *key, const char *field, char *out, size_t size)
{
	const char *argv[] = { "HGET", key, field };
	redisReply *reply;
	int ret = hbctl_cmd(ctx, &reply, 3, argv);

	if (ret != HBCTL_EXIT_OK)
		return ret;
	snprintf(out, size, "%s", reply->type == REDIS_REPLY_STRING ? reply->str : "");
	freeReplyObject(reply);
	return HBCTL_EXIT_OK;
}

static void show_value(struct hbctl *ctx, const struct hb_policy_def *def,
		       const char *value, const char *cap)
{
	char eff[HB_POLICY_VALUE_MAX];
	char hv[HB_POLICY_VALUE_MAX], hc[HB_POLICY_VALUE_MAX], he[HB_POLICY_VALUE_MAX];

	/* the milter's rule: min(value or default, cap) */
	if (hb_policy_effective(def, value, cap, eff, sizeof(eff), NULL) < 0)
		snprintf(eff, sizeof(eff), "invalid");
	if (hb_policy_display(def, value, hv, sizeof(hv)) < 0 || value[0] == '\0')
		snprintf(hv, sizeof(hv), "-");
	if (hb_policy_display(def, cap, hc, sizeof(hc)) < 0 || cap[0] == '\0')
		snprintf(hc, sizeof(hc), "-");
	if (hb_policy_display(def, eff, he, sizeof(he)) < 0)
		snprintf(he, sizeof(he), "invalid");
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_str(&ctx->js, "name", def->name);
		hbctl_json_str(&ctx->js, "value", value);
		hbctl_json_str(&ctx->js, "cap", cap);
		hbctl_json_str(&ctx->js, "effective", eff);
		hbctl_json_obj_end(&ctx->js);
	} else {
		printf("%-14s %-12s %-12s %-12s %s\n", def->name, hv, hc, he, def->meaning);
	}
}

static int policy_show(struct hbctl *ctx, const char *domain)
{
	char dkey[HB_KEY_MAX], pkey[HB_KEY_MAX], ckey[HB_KEY_MAX], state[32];
	int ret;

	hb_domain_key(dkey, sizeof(dkey), ctx->set->key_prefix, HB_DKEY_DOMAIN, domain, NULL);
	hb_domain_key(pkey, sizeof(pkey), ctx->set->key_prefix, HB_DKEY_POLICY, domain, NULL);
	hb_domain_key(ckey, sizeof(ckey), ctx->set->key_prefix, HB_DKEY_CAPS, domain, NULL);
	if ((ret = hget(ctx, dkey, "state", state, sizeof(state))) != HBCTL_EXIT_OK)
		return ret;
	if (state[0] == '\0')
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "no such domain: %s", domain);
	if (ctx->args->json)
		hbctl_json_arr_begin(&ctx->js, NULL);
	else
		printf("%-14s %-12s %-12s %-12s %s\n", "NAME", "VALUE", "CAP", "EFFECTIVE", "MEANING");
	for (size_t i = 0; i < hb_policy_def_count; i++) {
		const struct hb_policy_def *def = &hb_policy_defs[i];
		char value[HB_POLICY_VALUE_MAX], cap[HB_POLICY_VALUE_MAX];

		if ((ret = hget(ctx, pkey, def->name, value, sizeof(value))) != HBCTL_EXIT_OK ||
		    (ret = hget(ctx, ckey, def->name, cap, sizeof(cap))) != HBCTL_EXIT_OK)
			return ret;
		show_value(ctx, def, def->cap_only ? "" : value, cap);
	}
	if (ctx->args->json) {
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	}
	return HBCTL_EXIT_OK;
}

static int policy_cmd(struct hbctl *ctx, int caps)
{
	static const char *const policy_verbs[] = { "show", "set", NULL };
	static const char *const caps_verbs[] = { "set", NULL };
	const struct hbctl_args *args = ctx->args;
	char domain[HB_DOMAIN_MAX + 1];
	const char *verb;
	int ret;

	if ((ret = hbctl_domain_verb(ctx, caps ? "caps" : "policy", caps ? caps_verbs : policy_verbs,
				     hbctl_usage_policy, &verb)) != HBCTL_EXIT_OK)
		return ret;
	if (args->word_count < 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: %s %s DOMAIN ...",
				  caps ? "caps" : "policy", verb);
	if ((ret = hbctl_domain_arg(ctx, args->words[2], domain)) != HBCTL_EXIT_OK)
		return ret;
	if (strcmp(verb, "show") == 0)
		return args->word_count == 3 ? policy_show(ctx, domain) :
			hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: policy show DOMAIN");
	return policy_set(ctx, domain, caps);
}

int hbctl_cmd_policy(struct hbctl *ctx)
{
	return policy_cmd(ctx, 0);
}

int hbctl_cmd_caps(struct hbctl *ctx)
{
	return policy_cmd(ctx, 1);
}
