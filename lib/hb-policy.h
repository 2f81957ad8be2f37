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

/* Which of two canonical values of DEF is stricter: <0 if A is stricter, >0
 * if B is, 0 if equal; invalid values count as strictest (never lift a cap). */
int hb_policy_compare(const struct hb_policy_def *def, const char *a, const char *b);

/* The value the milter applies (docs/DOMAINS.md 4): min(VALUE or the
 * default, CAP), canonical, into OUT.  VALUE and CAP are stored canonical
 * forms, "" or NULL when unset.  A stored value that is not canonical counts
 * as unset, so a corrupted domain value can never lift a cap; *CORRUPT_R
 * (may be NULL) says that one was ignored.  Returns 0, or -1 if OUT is too
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
