/* test-hb-policy.c - cmocka tests of lib/hb-policy.c: names and kinds,
 * canonical forms (what the scripts and the milter read), human forms, and
 * the order that caps use (rates per second, unlimited largest, anything
 * invalid strictest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hb-policy.h"

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
	assert_string_equal(canon("user_msgs", "0"), "0/1");
	assert_string_equal(canon("domain_rcpts", "unlimited"), "unlimited");
	assert_string_equal(canon("unauth_sender", "accept"), "accept");
	assert_string_equal(canon("max_users", "unlimited"), "unlimited");
	const char *bad[][2] = {
		{ "max_msg_size", "25X" }, { "max_msg_size", "-1" }, { "max_msg_size", "" },
		{ "max_rcpt", "10k" }, { "max_rcpt", " 10" }, { "user_msgs", "200" },
		{ "user_msgs", "200/w" }, { "user_msgs", "1.5/h" }, { "unauth_sender", "unlimited" },
		{ "unauth_sender", "Reject" }, { "quota", "9999999999999999999999" },
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

static void test_order_for_caps(void **state)
{
	const struct hb_policy_def *rate = hb_policy_find("user_msgs", 0);
	const struct hb_policy_def *size = hb_policy_find("max_msg_size", 0);
	const struct hb_policy_def *sender = hb_policy_find("unauth_sender", 0);

	assert_true(hb_policy_compare(rate, "100/3600", "50/60") < 0);   /* 100/h < 50/min */
	assert_true(hb_policy_compare(rate, "60/60", "1/1") == 0);
	assert_true(hb_policy_compare(rate, "unlimited", "1000000/1") > 0);
	assert_true(hb_policy_compare(size, "1024", "1025") < 0);
	assert_true(hb_policy_compare(size, "garbage", "0") < 0);         /* invalid: strictest */
	assert_true(hb_policy_compare(sender, "reject", "accept") < 0);
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
	assert_string_equal(effective("user_msgs", NULL, "10/60", NULL), "200/3600");  /* 600/h > 200/h */
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_caps),
		cmocka_unit_test(test_canonical_forms),
		cmocka_unit_test(test_human_forms),
		cmocka_unit_test(test_order_for_caps),
		cmocka_unit_test(test_effective_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
