/* hb-policy.c - the table of policy values and caps and their three forms
 * (docs/DOMAINS.md 4).  Parsing goes through lib/hb-units.c; canonical forms
 * are exactly what the Lua scripts' level() accepts. */
#include "hb-policy.h"
#include "hb-units.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const struct hb_policy_def hb_policy_defs[] = {
	{ "max_msg_size", HB_POLICY_SIZE, "25M", 0, "largest message" },
	{ "max_rcpt", HB_POLICY_COUNT, "100", 0, "recipients per message" },
	{ "user_msgs", HB_POLICY_RATE, "200/h", 0, "messages per login" },
	{ "user_rcpts", HB_POLICY_RATE, "1000/h", 0, "recipients per login" },
	{ "domain_msgs", HB_POLICY_RATE, "2000/h", 0, "messages of all logins of the domain" },
	{ "domain_rcpts", HB_POLICY_RATE, "10000/h", 0, "recipients of all logins of the domain" },
	{ "quota", HB_POLICY_SIZE, "1G", 0, "default mailbox quota" },
	{ "unauth_sender", HB_POLICY_SENDER, "reject", 0,
	  "unauthenticated mail with a sender in this domain" },
	{ "max_users", HB_POLICY_COUNT, "unlimited", 1, "mailboxes in the domain" },
	{ "max_aliases", HB_POLICY_COUNT, "unlimited", 1, "aliases in the domain" },
	{ "max_quota", HB_POLICY_SIZE, "unlimited", 1, "largest quota of one mailbox" },
};
const size_t hb_policy_def_count = sizeof(hb_policy_defs) / sizeof(hb_policy_defs[0]);

const struct hb_policy_def *hb_policy_find(const char *name, int caps)
{
	for (size_t i = 0; i < hb_policy_def_count; i++) {
		if (strcmp(hb_policy_defs[i].name, name) == 0)
			return !hb_policy_defs[i].cap_only || caps ? &hb_policy_defs[i] : NULL;
	}
	return NULL;
}

static int put_result(int n, size_t out_size, const char **error_r)
{
	if (n < 0 || (size_t)n >= out_size) {
		*error_r = "value too long";
		return -1;
	}
	return 0;
}

int hb_policy_canonical(const struct hb_policy_def *def, const char *in,
			char *out, size_t out_size, const char **error_r)
{
	int64_t a, b;

	if (def->kind != HB_POLICY_SENDER && strcmp(in, "unlimited") == 0)
		return put_result(snprintf(out, out_size, "unlimited"), out_size, error_r);
	switch (def->kind) {
	case HB_POLICY_SIZE:
		if (hb_parse_size(in, &a, error_r) < 0)
			return -1;
		return put_result(snprintf(out, out_size, "%" PRId64, a), out_size, error_r);
	case HB_POLICY_COUNT:
		if (hb_parse_count(in, &a, error_r) < 0)
			return -1;
		return put_result(snprintf(out, out_size, "%" PRId64, a), out_size, error_r);
	case HB_POLICY_RATE:
		if (hb_parse_rate(in, &a, &b, error_r) < 0)
			return -1;
		return put_result(snprintf(out, out_size, "%" PRId64 "/%" PRId64, a, b),
				  out_size, error_r);
	case HB_POLICY_SENDER:
		if (strcmp(in, "reject") != 0 && strcmp(in, "accept") != 0) {
			*error_r = "must be reject or accept";
			return -1;
		}
		return put_result(snprintf(out, out_size, "%s", in), out_size, error_r);
	}
	*error_r = "unknown kind";
	return -1;
}

/* A canonical value as a number of its kind (rates per second), or -1 for
 * one that is not canonical; "unlimited" is INFINITY-like (DBL_MAX). */
static double level(const struct hb_policy_def *def, const char *stored)
{
	int64_t a, b;
	const char *error;
	char canon[HB_POLICY_VALUE_MAX];

	if (stored == NULL || hb_policy_canonical(def, stored, canon, sizeof(canon), &error) < 0 ||
	    strcmp(canon, stored) != 0)
		return -1;
	if (strcmp(stored, "unlimited") == 0)
		return 1e300;
	switch (def->kind) {
	case HB_POLICY_SENDER:
		return strcmp(stored, "accept") == 0 ? 1 : 0;
	case HB_POLICY_RATE:
		if (sscanf(stored, "%" SCNd64 "/%" SCNd64, &a, &b) != 2 || b <= 0)
			return -1;
		return (double)a / (double)b;
	default:
		return sscanf(stored, "%" SCNd64, &a) == 1 ? (double)a : -1;
	}
}

int hb_policy_compare(const struct hb_policy_def *def, const char *a, const char *b)
{
	double la = level(def, a), lb = level(def, b);

	return la < lb ? -1 : la > lb ? 1 : 0;
}

int hb_policy_display(const struct hb_policy_def *def, const char *stored,
		      char *out, size_t out_size)
{
	int64_t a, b;
	int n;

	if (level(def, stored) < 0) {
		n = snprintf(out, out_size, "invalid");
	} else if (strcmp(stored, "unlimited") == 0 || def->kind == HB_POLICY_SENDER) {
		n = snprintf(out, out_size, "%s", stored);
	} else if (def->kind == HB_POLICY_SIZE) {
		return sscanf(stored, "%" SCNd64, &a) == 1 ? hb_format_size(a, out, out_size) : -1;
	} else if (def->kind == HB_POLICY_RATE) {
		return sscanf(stored, "%" SCNd64 "/%" SCNd64, &a, &b) == 2 ?
			hb_format_rate(a, b, out, out_size) : -1;
	} else {
		n = snprintf(out, out_size, "%s", stored);
	}
	return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

static int is_set(const char *v)
{
	return v != NULL && v[0] != '\0';
}

int hb_policy_effective(const struct hb_policy_def *def, const char *value, const char *cap,
			char *out, size_t out_size, int *corrupt_r)
{
	char dflt[HB_POLICY_VALUE_MAX];
	const char *error, *base;
	int corrupt = 0;

	if (hb_policy_canonical(def, def->default_value, dflt, sizeof(dflt), &error) < 0)
		return -1;
	if (is_set(value) && level(def, value) < 0) {
		corrupt = 1;
		value = NULL;
	}
	if (is_set(cap) && level(def, cap) < 0) {
		corrupt = 1;
		cap = NULL;
	}
	base = is_set(value) ? value : dflt;
	if (is_set(cap) && hb_policy_compare(def, cap, base) < 0)
		base = cap;
	if (corrupt_r != NULL)
		*corrupt_r = corrupt;
	return put_result(snprintf(out, out_size, "%s", base), out_size, &error);
}

int hb_policy_number(const char *stored, long long *value_r)
{
	int64_t v;
	const char *error;

	if (strcmp(stored, "unlimited") == 0) {
		*value_r = -1;
		return 0;
	}
	if (hb_parse_count(stored, &v, &error) < 0 || v < 0)
		return -1;
	*value_r = (long long)v;
	return 0;
}

int hb_policy_rate(const char *stored, long long *count_r, long long *seconds_r)
{
	int64_t c, s;
	const char *error;
	char canon[HB_POLICY_VALUE_MAX];

	if (strcmp(stored, "unlimited") == 0) {
		*count_r = -1;
		*seconds_r = 0;
		return 0;
	}
	/* only the canonical COUNT/SECONDS form, not "200/h" */
	if (hb_parse_rate(stored, &c, &s, &error) < 0 ||
	    snprintf(canon, sizeof(canon), "%" PRId64 "/%" PRId64, c, s) < 0 ||
	    strcmp(canon, stored) != 0)
		return -1;
	*count_r = (long long)c;
	*seconds_r = (long long)s;
	return 0;
}
