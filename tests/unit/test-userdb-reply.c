/* test-userdb-reply.c - cmocka tests of director/userdb-reply.c: the USERDB
 * reply for every state of a user record (docs/DOMAINS.md, 6), the quota
 * rules (mailbox, domain, cap, unlimited) and records that must never be
 * passed on (control characters, malformed numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "userdb-reply.h"

#define HASH "{SHA512-CRYPT}$6$rounds=5000$abcdefgh$xyz"

static struct userdb_record active(void)
{
	struct userdb_record r = { 1, "active", NULL, NULL, "active", HASH, NULL };

	return r;
}

static const char *format(const struct userdb_record *rec)
{
	static char out[USERDB_REPLY_MAX];

	assert_true(userdb_reply_format(out, sizeof(out), "7", "anna@example.com", rec) > 0);
	return out;
}

static void test_user_with_default_quota(void **state)
{
	struct userdb_record r = active();

	assert_string_equal(format(&r), "USER\t7\tuser=anna@example.com\tpassword=" HASH
			    "\tquota_rule=*:storage=1073741824B\n");
	r.user_state = NULL; /* a mailbox without a state is active */
	assert_string_equal(format(&r), "USER\t7\tuser=anna@example.com\tpassword=" HASH
			    "\tquota_rule=*:storage=1073741824B\n");
}

static void expect_quota(const char *user, const char *domain, const char *cap,
			 const char *rule)
{
	struct userdb_record r = active();
	char want[USERDB_REPLY_MAX];

	r.user_quota = user;
	r.domain_quota = domain;
	r.cap_quota = cap;
	snprintf(want, sizeof(want), "USER\t7\tuser=anna@example.com\tpassword=" HASH "%s%s\n",
		 rule == NULL ? "" : "\tquota_rule=*:storage=", rule == NULL ? "" : rule);
	assert_string_equal(format(&r), want);
}

static void test_quota_rules(void **state)
{
	expect_quota("1000", "2000", NULL, "1000B");       /* mailbox's own */
	expect_quota("0", "2000", NULL, "2000B");          /* 0 = the domain's */
	expect_quota(NULL, "2000", "1500", "1500B");       /* capped */
	expect_quota("5000", "2000", "3000", "3000B");     /* the cap wins over the mailbox */
	expect_quota("-1", "2000", NULL, NULL);            /* unlimited */
	expect_quota("-1", "2000", "4000", "4000B");       /* ...but never above the cap */
	expect_quota(NULL, "-1", NULL, NULL);
	expect_quota(NULL, "0", NULL, NULL);               /* domain 0 = unlimited */
	expect_quota(NULL, "2000", "0", "2000B");          /* cap 0 = none */
	expect_quota("", "", "", "1073741824B");           /* empty = unset */
}

static void expect_reply(const struct userdb_record *r, const char *want)
{
	assert_string_equal(format(r), want);
}

static void test_not_found_and_disabled(void **state)
{
	struct userdb_record r = { 0 };

	expect_reply(&r, "NOUSER\t7\n");
	r = active();
	r.domain_state = "suspended";
	expect_reply(&r, "DISABLED\t7\tdomain suspended\n");
	r.domain_state = "weird";
	expect_reply(&r, "DISABLED\t7\tdomain not active\n");
	r.domain_state = NULL;
	expect_reply(&r, "DISABLED\t7\tdomain not active\n");
	r = active();
	r.user_state = "suspended";
	expect_reply(&r, "DISABLED\t7\tmailbox suspended\n");
	r.user_state = "";
	expect_reply(&r, "DISABLED\t7\tmailbox not active\n");
}

static void test_corrupt_records(void **state)
{
	static const char *const bad_hashes[] = {
		"", "a\tb", "a\nUSER\t8", "a b", "x\x7f",
	};
	static const char *const bad_numbers[] = { "12x", "-2", "1e9", " 5", "99999999999999999999" };
	struct userdb_record r;
	size_t i;

	for (i = 0; i < sizeof(bad_hashes) / sizeof(bad_hashes[0]); i++) {
		r = active();
		r.password = bad_hashes[i];
		expect_reply(&r, "TEMPFAIL\t7\tcorrupt record\n");
	}
	r = active();
	r.password = NULL;
	expect_reply(&r, "TEMPFAIL\t7\tcorrupt record\n");
	for (i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++) {
		r = active();
		r.user_quota = bad_numbers[i];
		expect_reply(&r, "TEMPFAIL\t7\tcorrupt record\n");
		r = active();
		r.cap_quota = bad_numbers[i];
		expect_reply(&r, "TEMPFAIL\t7\tcorrupt record\n");
	}
}

static void test_small_buffer(void **state)
{
	struct userdb_record r = active();
	char out[20];

	assert_int_equal(userdb_reply_format(out, sizeof(out), "7", "anna@example.com", &r), -1);
	r.found = 0;
	assert_int_equal(userdb_reply_format(out, 5, "7", "a@b.example", &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_with_default_quota),
		cmocka_unit_test(test_quota_rules),
		cmocka_unit_test(test_not_found_and_disabled),
		cmocka_unit_test(test_corrupt_records),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
