/* test-hb-policy.c - cmocka tests of lib/hb-policy.c: names and kinds,
 * canonical forms (what the scripts and the milter read, all enforceable),
 * human forms, the "within its cap" rule on the shared table of
 * tests/unit/cap-cases.h (rates on burst and rate), and the effective value
 * the milter applies (per-axis stricter rate; corrupt values and caps never
 * lift a limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hb-policy.h"
#include "hb-units.h"
#include "cap-cases.h"

static const char *canon(const char *name, const char *in)
{
	static char out[HB_POLICY_VALUE_MAX];
	const char *error = NULL;
	const struct hb_policy_def *def = hb_policy_find(name, 1);

	assert_non_null(def);
	if (hb_policy_canonical(def, in, out, sizeof(out), &error) < 0) {
		assert_non_null(error);
		return NULL;
	}
	return out;
}

static const char *shown(const char *name, const char *stored)
{
	static char out[HB_POLICY_VALUE_MAX];

	assert_int_equal(hb_policy_display(hb_policy_find(name, 1), stored, out, sizeof(out)), 0);
	return out;
}

static void test_names_and_caps(void **state)
{
	assert_non_null(hb_policy_find("max_msg_size", 0));
	assert_null(hb_policy_find("max_users", 0));       /* a cap, not a policy value */
	assert_non_null(hb_policy_find("max_users", 1));
	assert_null(hb_policy_find("MAX_RCPT", 1));
	assert_null(hb_policy_find("", 1));
	for (size_t i = 0; i < hb_policy_def_count; i++) {
		const struct hb_policy_def *def = &hb_policy_defs[i];
		char out[HB_POLICY_VALUE_MAX];
		const char *error;

		/* every default is a valid value of its own kind */
		assert_int_equal(hb_policy_canonical(def, def->default_value, out, sizeof(out), &error), 0);
	}
}

static void test_canonical_forms(void **state)
{
	assert_string_equal(canon("max_msg_size", "25M"), "26214400");
	assert_string_equal(canon("quota", "1G"), "1073741824");
	assert_string_equal(canon("quota", "unlimited"), "unlimited");
	assert_string_equal(canon("max_rcpt", "100"), "100");
	assert_string_equal(canon("user_msgs", "200/h"), "200/3600");
	assert_string_equal(canon("user_msgs", "5/90"), "5/90");
	assert_string_equal(canon("user_msgs", "1/86400"), "1/86400");
	assert_string_equal(canon("user_msgs", "1000000000/s"), "1000000000/1");
	assert_string_equal(canon("max_rcpt", "1000000000"), "1000000000");
	assert_string_equal(canon("quota", "1024T"), "1125899906842624");
	assert_string_equal(canon("user_msgs", "0"), "0/1");
	assert_string_equal(canon("domain_rcpts", "unlimited"), "unlimited");
	assert_string_equal(canon("unauth_sender", "accept"), "accept");
	assert_string_equal(canon("max_users", "unlimited"), "unlimited");
	const char *bad[][2] = {
		{ "max_msg_size", "25X" }, { "max_msg_size", "-1" }, { "max_msg_size", "" },
		{ "max_rcpt", "10k" }, { "max_rcpt", " 10" }, { "user_msgs", "200" },
		{ "user_msgs", "200/w" }, { "user_msgs", "1.5/h" }, { "unauth_sender", "unlimited" },
		{ "unauth_sender", "Reject" }, { "quota", "9999999999999999999999" },
		/* what no milter can enforce: periods above a day, counts
		 * above 10^9, sizes above 1024T */
		{ "user_msgs", "1/9000000000000" }, { "user_msgs", "1/86401" },
		{ "user_msgs", "1000000001/h" }, { "user_msgs", "1/w" },
		{ "max_rcpt", "1000000001" }, { "max_users", "9007199254740992" },
		{ "quota", "1025T" }, { "max_msg_size", "1125899906842625" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(canon(bad[i][0], bad[i][1]));
}

static void test_human_forms(void **state)
{
	assert_string_equal(shown("max_msg_size", "26214400"), "25M");
	assert_string_equal(shown("quota", "1536"), "1536");
	assert_string_equal(shown("user_msgs", "200/3600"), "200/h");
	assert_string_equal(shown("user_msgs", "unlimited"), "unlimited");
	assert_string_equal(shown("unauth_sender", "reject"), "reject");
	/* stored garbage is shown as such, never as a number */
	assert_string_equal(shown("max_rcpt", "12abc"), "invalid");
	assert_string_equal(shown("user_msgs", "200/h"), "invalid");
	assert_string_equal(shown("user_msgs", "5/0"), "invalid");
}

/* The shared table: the same answers the policy_set script gives. */
static void test_within_cap_table(void **state)
{
	for (size_t i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		const struct cap_case *c = &cap_cases[i];
		int want = c->result >= 0 ? (int)c->result : -1;
		int got = hb_policy_within(hb_policy_find(c->name, 0), c->value, c->cap);

		if (got != want)
			fail_msg("%s=%s under cap %s: %d, expected %d", c->name, c->value, c->cap,
				 got, want);
		/* a value the table calls invalid is refused by every parser too */
		if (c->result == CAP_BAD_VALUE && canon(c->name, c->value) != NULL &&
		    strcmp(canon(c->name, c->value), c->value) == 0)
			fail_msg("%s=%s: invalid in the table but canonical", c->name, c->value);
	}
}

static void expect_stricter(long long c1, long long p1, long long c2, long long p2,
			    long long count, long long period)
{
	long long c = -2, p = -2, c_r = -2, p_r = -2;

	hb_rate_stricter(c1, p1, c2, p2, &c, &p);
	if (c != count || p != period)
		fail_msg("stricter(%lld/%lld, %lld/%lld) = %lld/%lld, expected %lld/%lld",
			 c1, p1, c2, p2, c, p, count, period);
	hb_rate_stricter(c2, p2, c1, p1, &c_r, &p_r);	/* symmetric */
	assert_true(c_r == c && p_r == p);
}

/* The formula of hb_rate_stricter(): count = min, period = ceil(count *
 * Pr / Cr) of the slower rate. */
static void test_rate_stricter(void **state)
{
	expect_stricter(40, 48000, 3, 3600, 3, 3600);	/* the audit's case */
	expect_stricter(100, 86400, 10, 3600, 10, 8640);
	expect_stricter(5, 60, 7, 3600, 5, 2572);	/* 5*3600/7 = 2571.4: up */
	expect_stricter(3, 3600, 3, 3600, 3, 3600);
	expect_stricter(1000000000, 1, 1, 86400, 1, 86400);
	expect_stricter(1000000000, 1, 999999999, 1, 999999999, 1);
	expect_stricter(-1, 0, 7, 60, 7, 60);		/* unlimited: the other */
	expect_stricter(-1, 0, -1, 0, -1, 0);
	expect_stricter(0, 1, 7, 60, 0, 1);		/* 0: nothing passes */
}

/* For any two bounded rates: the result's burst and rate are within both
 * (so a GCRA with it never lets more through than either would), and its
 * period is the smallest that is (nothing is taken away needlessly). */
static void test_rate_stricter_property(void **state)
{
	unsigned long long x = 88172645463325252ULL;
	const long long periods[] = { 1, 60, 3600, 86400 };

	for (int i = 0; i < 200000; i++) {
		long long v[4], c, p;

		for (int j = 0; j < 4; j += 2) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v[j] = 1 + (long long)(x % (j == 0 && i % 3 == 0 ? 10 : HB_COUNT_MAX));
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v[j + 1] = i % 2 ? periods[x % 4] : 1 + (long long)(x % HB_RATE_PERIOD_MAX);
		}
		hb_rate_stricter(v[0], v[1], v[2], v[3], &c, &p);
		assert_true(p >= 1 && p <= HB_RATE_PERIOD_MAX);
		for (int j = 0; j < 4; j += 2) {
			assert_true(c <= v[j]);
			assert_true(c * v[j + 1] <= v[j] * p);
		}
		if (p > 1) {
			/* one second less would be faster than one of the two */
			assert_true(c * v[1] > v[0] * (p - 1) || c * v[3] > v[2] * (p - 1));
		}
	}
}

static const char *effective(const char *name, const char *value, const char *cap, int *corrupt)
{
	static char out[HB_POLICY_VALUE_MAX];

	assert_int_equal(hb_policy_effective(hb_policy_find(name, 1), value, cap, out, sizeof(out),
					     corrupt), 0);
	return out;
}

static void test_effective_values(void **state)
{
	int corrupt = -1;
	long long a, b;

	assert_string_equal(effective("user_msgs", "", "", &corrupt), "200/3600");   /* default */
	assert_int_equal(corrupt, 0);
	assert_string_equal(effective("user_msgs", "50/3600", "100/3600", NULL), "50/3600");
	assert_string_equal(effective("user_msgs", "500/3600", "100/3600", NULL), "100/3600");
	/* cap 10/min over the default 200/h: the cap's burst, the default's rate */
	assert_string_equal(effective("user_msgs", NULL, "10/60", NULL), "10/180");
	assert_string_equal(effective("user_msgs", NULL, "1/60", NULL), "1/60");
	assert_string_equal(effective("max_msg_size", "unlimited", "1024", NULL), "1024");
	assert_string_equal(effective("unauth_sender", "accept", "reject", NULL), "reject");
	assert_string_equal(effective("max_users", "", "", NULL), "unlimited");
	/* a corrupted domain value never lifts the cap, and is reported */
	assert_string_equal(effective("user_msgs", "9999/h", "100/3600", &corrupt), "100/3600");
	assert_int_equal(corrupt, 1);
	assert_string_equal(effective("max_rcpt", "lots", "", &corrupt), "100");
	assert_int_equal(corrupt, 1);
	assert_string_equal(effective("max_rcpt", "5", "junk", &corrupt), "5");
	assert_int_equal(corrupt, 1);
	/* rates: the stricter on each axis (40/48000 under 3/h) */
	assert_string_equal(effective("user_msgs", "40/48000", "3/3600", &corrupt), "3/3600");
	assert_int_equal(corrupt, 0);
	assert_string_equal(effective("user_msgs", "100/86400", "10/3600", NULL), "10/8640");
	assert_string_equal(effective("user_msgs", "0/1", "3/3600", NULL), "0/1");
	assert_string_equal(effective("user_msgs", "unlimited", "", NULL), "unlimited");
	assert_string_equal(effective("user_msgs", "unlimited", "7/60", NULL), "7/60");
	/* out of range or garbage counts as unset: never above the cap */
	assert_string_equal(effective("user_msgs", "1/9000000000000", "3/3600", &corrupt), "3/3600");
	assert_int_equal(corrupt, 1);
	assert_string_equal(effective("user_msgs", "garbage", "3/3600", &corrupt), "3/3600");
	assert_int_equal(corrupt, 1);
	assert_string_equal(effective("user_msgs", "1/9000000000000", "", &corrupt), "200/3600");
	/* a corrupt cap is the default, never "no cap"; for cap-only values 0 */
	assert_string_equal(effective("user_msgs", "1000/3600", "garbage", &corrupt), "200/3600");
	assert_int_equal(corrupt, 1);
	assert_string_equal(effective("user_msgs", "", "1/9000000000000", &corrupt), "200/3600");
	assert_string_equal(effective("user_msgs", "5/3600", "x", &corrupt), "5/3600");
	assert_string_equal(effective("max_msg_size", "unlimited", "25X", &corrupt), "26214400");
	assert_string_equal(effective("unauth_sender", "accept", "maybe", &corrupt), "reject");
	assert_string_equal(effective("max_users", "", "lots", &corrupt), "0");
	assert_int_equal(corrupt, 1);
	assert_string_equal(effective("max_quota", "", "", &corrupt), "unlimited");
	assert_int_equal(corrupt, 0);

	assert_int_equal(hb_policy_number("26214400", &a), 0);
	assert_true(a == 26214400);
	assert_int_equal(hb_policy_number("unlimited", &a), 0);
	assert_true(a == -1);
	assert_int_equal(hb_policy_number("25M", &a), -1);
	assert_int_equal(hb_policy_rate("200/3600", &a, &b), 0);
	assert_true(a == 200 && b == 3600);
	assert_int_equal(hb_policy_rate("unlimited", &a, &b), 0);
	assert_true(a == -1);
	assert_int_equal(hb_policy_rate("200/h", &a, &b), -1);
	assert_int_equal(hb_policy_rate("200/0", &a, &b), -1);
	assert_int_equal(hb_policy_rate("1/9000000000000", &a, &b), -1);
	assert_int_equal(hb_policy_rate("10/8640", &a, &b), 0);	/* effective forms */
	assert_true(a == 10 && b == 8640);
	assert_int_equal(hb_policy_number("1073741824", &a), 0);	/* sizes above 10^9 */
	assert_true(a == 1073741824);
	assert_int_equal(hb_policy_number("1125899906842625", &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_caps),
		cmocka_unit_test(test_canonical_forms),
		cmocka_unit_test(test_human_forms),
		cmocka_unit_test(test_within_cap_table),
		cmocka_unit_test(test_rate_stricter),
		cmocka_unit_test(test_rate_stricter_property),
		cmocka_unit_test(test_effective_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
