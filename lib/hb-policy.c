/* hb-policy.c - the table of policy values and caps, their three forms, and
 * the two rules of docs/DOMAINS.md 4: when a value is within its cap (rates
 * on both axes, burst and rate) and the effective value the milter applies.
 * Parsing goes through lib/hb-units.c; canonical forms are exactly what the
 * Lua scripts' valid() accepts (lib/hb-scripts-domains.c, LUA_LEVELS), and
 * tests/unit/cap-cases.h holds the one table of cases both are tested with.
 * Integer arithmetic only: no float rounding may let a raise through. */
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

/* A stored value taken apart: N is the size, count or rate COUNT (INT64_MAX
 * for unlimited; 0 reject, 1 accept), PERIOD the rate's seconds. */
struct stored {
	int64_t n, period;
};

#define UNLIMITED INT64_MAX

/* Take STORED apart if it is exactly a canonical value of DEF (what
 * hb_policy_canonical() writes: bounded, no other spelling); else -1. */
static int parse_stored(const struct hb_policy_def *def, const char *stored, struct stored *v)
{
	const char *error;
	char canon[HB_POLICY_VALUE_MAX];

	if (stored == NULL || hb_policy_canonical(def, stored, canon, sizeof(canon), &error) < 0 ||
	    strcmp(canon, stored) != 0)
		return -1;
	v->period = 1;
	if (strcmp(stored, "unlimited") == 0) {
		v->n = UNLIMITED;
		return 0;
	}
	switch (def->kind) {
	case HB_POLICY_SENDER:
		v->n = strcmp(stored, "accept") == 0;
		return 0;
	case HB_POLICY_RATE:
		return sscanf(stored, "%" SCNd64 "/%" SCNd64, &v->n, &v->period) == 2 ? 0 : -1;
	default:
		return sscanf(stored, "%" SCNd64, &v->n) == 1 ? 0 : -1;
	}
}

/* Rate A within rate B on both axes: burst A.n <= B.n and rate A.n/A.period
 * <= B.n/B.period, compared as A.n*B.period <= B.n*A.period (both products
 * <= 10^9 * 86400 < 2^47: exact, no overflow). */
static int rate_within(const struct stored *a, const struct stored *b)
{
	if (b->n == UNLIMITED)
		return 1;
	if (a->n == UNLIMITED)
		return 0;
	return a->n <= b->n && a->n * b->period <= b->n * a->period;
}

static int within(const struct hb_policy_def *def, const struct stored *v, const struct stored *cap)
{
	return def->kind == HB_POLICY_RATE ? rate_within(v, cap) : v->n <= cap->n;
}

int hb_policy_within(const struct hb_policy_def *def, const char *value, const char *cap)
{
	struct stored v, c;

	if (parse_stored(def, value, &v) < 0 || parse_stored(def, cap, &c) < 0)
		return -1;
	return within(def, &v, &c);
}

void hb_rate_stricter(long long c1, long long p1, long long c2, long long p2,
		      long long *count_r, long long *period_r)
{
	long long c, rc, rp;

	if (c1 < 0 || c2 < 0) {		/* unlimited: the other one */
		*count_r = c1 < 0 ? c2 : c1;
		*period_r = c1 < 0 ? p2 : p1;
		return;
	}
	if (c1 == 0 || c2 == 0) {
		*count_r = 0;
		*period_r = 1;
		return;
	}
	c = c1 < c2 ? c1 : c2;
	/* the slower of the two rates, compared exactly */
	if (c1 * p2 <= c2 * p1) {
		rc = c1;
		rp = p1;
	} else {
		rc = c2;
		rp = p2;
	}
	/* C per ceil(C*rp/rc): the rate C/P <= rc/rp; P <= rp as C <= rc */
	*count_r = c;
	*period_r = (c * rp + rc - 1) / rc;
}

int hb_policy_display(const struct hb_policy_def *def, const char *stored,
		      char *out, size_t out_size)
{
	struct stored v;
	int n;

	if (parse_stored(def, stored, &v) < 0) {
		n = snprintf(out, out_size, "invalid");
	} else if (v.n == UNLIMITED || def->kind == HB_POLICY_SENDER ||
		   def->kind == HB_POLICY_COUNT) {
		n = snprintf(out, out_size, "%s", stored);
	} else if (def->kind == HB_POLICY_SIZE) {
		return hb_format_size(v.n, out, out_size);
	} else {
		return hb_format_rate(v.n, v.period, out, out_size);
	}
	return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

static int is_set(const char *v)
{
	return v != NULL && v[0] != '\0';
}

/* The cap that a corrupt stored cap counts as (docs/DOMAINS.md 4): the
 * built-in default of a policy value, 0 for a cap-only value (whose default,
 * unlimited, would lift it). */
static void corrupt_cap(const struct hb_policy_def *def, const struct stored *dflt, struct stored *c)
{
	if (def->cap_only) {
		c->n = 0;
		c->period = 1;
		return;
	}
	*c = *dflt;
}

/* The canonical form of V into OUT. */
static int put_stored(const struct hb_policy_def *def, const struct stored *v,
		      char *out, size_t out_size)
{
	const char *error;

	if (v->n == UNLIMITED)
		return put_result(snprintf(out, out_size, "unlimited"), out_size, &error);
	if (def->kind == HB_POLICY_SENDER)
		return put_result(snprintf(out, out_size, "%s", v->n ? "accept" : "reject"),
				  out_size, &error);
	if (def->kind == HB_POLICY_RATE)
		return put_result(snprintf(out, out_size, "%" PRId64 "/%" PRId64, v->n, v->period),
				  out_size, &error);
	return put_result(snprintf(out, out_size, "%" PRId64, v->n), out_size, &error);
}

int hb_policy_effective(const struct hb_policy_def *def, const char *value, const char *cap,
			char *out, size_t out_size, int *corrupt_r)
{
	char dflt[HB_POLICY_VALUE_MAX];
	const char *error;
	struct stored d, v, c;
	int corrupt = 0, capped = 0;

	/* the built-in default always parses; checked, not assumed */
	if (hb_policy_canonical(def, def->default_value, dflt, sizeof(dflt), &error) < 0 ||
	    parse_stored(def, dflt, &d) < 0)
		return -1;
	if (!is_set(value)) {
		v = d;
	} else if (parse_stored(def, value, &v) < 0) {
		corrupt = 1;		/* counts as unset: the default */
		v = d;
	}
	if (is_set(cap)) {
		capped = 1;
		if (parse_stored(def, cap, &c) < 0) {
			corrupt = 1;
			corrupt_cap(def, &d, &c);
		}
	}
	if (corrupt_r != NULL)
		*corrupt_r = corrupt;
	if (capped && def->kind == HB_POLICY_RATE) {
		long long n, p;

		hb_rate_stricter(v.n == UNLIMITED ? -1 : v.n, v.period,
				 c.n == UNLIMITED ? -1 : c.n, c.period, &n, &p);
		v.n = n < 0 ? UNLIMITED : n;
		v.period = p;
	} else if (capped && c.n < v.n) {
		v = c;
	}
	return put_stored(def, &v, out, out_size);
}

int hb_policy_number(const char *stored, long long *value_r)
{
	int64_t v;
	const char *error;
	char canon[HB_POLICY_VALUE_MAX];

	if (strcmp(stored, "unlimited") == 0) {
		*value_r = -1;
		return 0;
	}
	/* sizes and counts alike, in the canonical form only (not "25M") */
	if (hb_parse_size(stored, &v, &error) < 0 ||
	    snprintf(canon, sizeof(canon), "%" PRId64, v) < 0 || strcmp(canon, stored) != 0)
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
