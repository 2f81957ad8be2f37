/* hb-policy.h - the policy values and caps of docs/DOMAINS.md 4 by name:
 * their kind, default, the canonical form stored in Redis (what the change
 * scripts of lib/hb-scripts-domains.c and the milter read) and the human
 * form shown by hbctl.  The one table of names, so hbctl, admind and the
 * milter cannot disagree about them. */
#ifndef HB_POLICY_H
#define HB_POLICY_H

#include <stddef.h>

/* canonical forms: decimal bytes, decimal count, COUNT/SECONDS, a word;
 * sizes, counts and rates may also be "unlimited" */
enum hb_policy_kind {
	HB_POLICY_SIZE,
	HB_POLICY_COUNT,
	HB_POLICY_RATE,
	HB_POLICY_SENDER,	/* reject | accept */
};

struct hb_policy_def {
	const char *name;
	enum hb_policy_kind kind;
	const char *default_value;	/* human form */
	int cap_only;			/* only a cap (max_users ...) */
	const char *meaning;
};

/* Longest canonical or human value. */
#define HB_POLICY_VALUE_MAX 48

/* All definitions, the policy values first, then the cap-only ones. */
extern const struct hb_policy_def hb_policy_defs[];
extern const size_t hb_policy_def_count;

/* The definition of NAME, or NULL.  Cap-only names are found only with CAPS. */
const struct hb_policy_def *hb_policy_find(const char *name, int caps);

/* Parse IN ("25M", "200/h", "unlimited", "reject" ...) as a value of DEF into
 * its canonical form.  Returns 0, or -1 with *ERROR_R a static reason. */
int hb_policy_canonical(const struct hb_policy_def *def, const char *in,
			char *out, size_t out_size, const char **error_r);

/* The human form of a canonical value ("26214400" -> "25M"); a stored value
 * that is not canonical is shown as "invalid".  Returns 0, or -1 when OUT is
 * too small. */
int hb_policy_display(const struct hb_policy_def *def, const char *stored,
		      char *out, size_t out_size);

/* Whether the canonical VALUE of DEF is within the canonical CAP: for sizes,
 * counts and unauth_sender VALUE <= CAP (unlimited largest, reject < accept);
 * a rate COUNT_v/PERIOD_v is within COUNT_c/PERIOD_c only if COUNT_v <=
 * COUNT_c (a burst above the cap's is a raise) and COUNT_v*PERIOD_c <=
 * COUNT_c*PERIOD_v (the rate, compared exactly).  Returns 1 or 0, or -1 when
 * either is not a valid stored value.  lib/hb-scripts-domains.c's Lua
 * within() is the same rule; tests/unit/cap-cases.h tests both. */
int hb_policy_within(const struct hb_policy_def *def, const char *value, const char *cap);

/* The rate the milter applies when C1/P1 and C2/P2 both limit (COUNT -1:
 * unlimited, 0: nothing passes): COUNT = min(C1, C2) and PERIOD =
 * ceil(COUNT * Pr / Cr) with Cr/Pr the slower rate, so the burst is neither
 * one's and the rate COUNT/PERIOD <= both: a GCRA with it never lets more
 * through in any stretch of time than either limit would.  PERIOD <= max(P1,
 * P2), so it stays within the bounds of hb-units.h. */
void hb_rate_stricter(long long c1, long long p1, long long c2, long long p2,
		      long long *count_r, long long *period_r);

/* The value the milter applies (docs/DOMAINS.md 4): the stricter of VALUE
 * (or the default when unset) and CAP, canonical, into OUT; for rates per
 * hb_rate_stricter(), so it may have any period up to a day.  VALUE and CAP
 * are stored canonical forms, "" or NULL when unset.  A stored value that is
 * not valid (corrupt, out of range) counts as unset, so it never lifts a cap;
 * a cap that is not valid counts as the built-in default (for the cap-only
 * max_users, max_aliases, max_quota: 0), never as "no cap".  *CORRUPT_R (may
 * be NULL) says that one was replaced.  Returns 0, or -1 if OUT is too
 * small. */
int hb_policy_effective(const struct hb_policy_def *def, const char *value, const char *cap,
			char *out, size_t out_size, int *corrupt_r);

/* A canonical size or count as a number (-1 for unlimited); -1 return if
 * STORED is not one. */
int hb_policy_number(const char *stored, long long *value_r);
/* A canonical rate as COUNT per SECONDS (COUNT -1 for unlimited); -1 return
 * if STORED is not one. */
int hb_policy_rate(const char *stored, long long *count_r, long long *seconds_r);

#endif
