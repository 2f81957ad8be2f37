/* test-hb-mailhdr.c - cmocka tests of lib/hb-mailhdr.c: the From: header
 * forms mail clients send (names, quotes, comments, folding, several
 * mailboxes, UTF-8), each normalised; and every form it must refuse rather
 * than guess (groups, routes, literals, broken quoting, bare line breaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hb-mailhdr.h"

static struct hb_mailhdr_addrs A;

static const char *parse(const char *value)
{
	static char joined[HB_MAILHDR_MAX_ADDRS * (HB_ADDR_MAX + 1)];
	const char *error = NULL;

	if (hb_mailhdr_from(value, strlen(value), &A, &error) < 0) {
		assert_non_null(error);
		return NULL;
	}
	joined[0] = '\0';
	for (size_t i = 0; i < A.count; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i > 0 ? " " : "", A.addr[i]);
	return joined;
}

static void test_common_forms(void **state)
{
	assert_string_equal(parse("ann@example.org"), "ann@example.org");
	assert_string_equal(parse(" Ann <Ann@Example.ORG>"), "ann@example.org");
	assert_string_equal(parse("\"Doe, John\" <john.doe@example.org>"), "john.doe@example.org");
	assert_string_equal(parse("John Q. Public <jqp@example.org>"), "jqp@example.org");
	assert_string_equal(parse("<bare@example.org>"), "bare@example.org");
	assert_string_equal(parse("ann@example.org (Ann (the boss))"), "ann@example.org");
	assert_string_equal(parse("(c) Ann <ann@example.org> (trailing)"), "ann@example.org");
	assert_string_equal(parse("Ann\r\n <ann@example.org>"), "ann@example.org");
	assert_string_equal(parse("a@example.org, B <b@example.org>,c@example.org"),
			    "a@example.org b@example.org c@example.org");
	assert_string_equal(parse("Jörg <jörg@bücher.example>"), "jörg@xn--bcher-kva.example");
	assert_string_equal(parse("\"quoted\"@example.org"), "quoted@example.org");
	assert_string_equal(parse("\"Ann \\\"A\\\"\" <ann@example.org>"), "ann@example.org");
}

static void test_refused_forms(void **state)
{
	const char *bad[] = {
		"", "   ", "(only a comment)", "Ann", "Ann <>", "<ann@example.org",
		"ann@example.org>", "Ann <ann@example.org> <b@example.org>",
		"undisclosed-recipients:;", "Team: a@example.org, b@example.org;",
		"<@route.example:ann@example.org>", "ann@[192.0.2.1]",
		"\"unclosed <ann@example.org>", "Ann (unclosed <ann@example.org>",
		"ann@example.org\r\nBcc: x@example.org", "ann@example.org\n", "Ann\r<a@example.org>",
		"a@example.org,, b@example.org", "a@example.org,", ", a@example.org",
		"ann@@example.org", "ann@", "@example.org", "ann@exa mple.org",
		"a b@example.org", "\"a b\"@example.org", "ann@-bad.example",
		"ann@example.org b@example.org", "Ann <ann@example.org>, Bob",
		"\xc3\x28 <a@example.org>", "a\x01@example.org",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *got = parse(bad[i]);

		if (got != NULL)
			fail_msg("accepted %s as %s", bad[i], got);
	}
}

static void test_limits(void **state)
{
	char many[(HB_MAILHDR_MAX_ADDRS + 1) * 20];
	const char *error;

	many[0] = '\0';
	for (int i = 0; i < HB_MAILHDR_MAX_ADDRS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sa%d@x.example", i ? "," : "", i);
	assert_non_null(parse(many));
	assert_int_equal(A.count, HB_MAILHDR_MAX_ADDRS);
	strcat(many, ",z@x.example");
	assert_null(parse(many));
	/* NUL inside the value is refused, not cut */
	assert_int_equal(hb_mailhdr_from("a@x.example\0b", 13, &A, &error), -1);
	static char huge[HB_MAILHDR_MAX_LEN + 2];
	memset(huge, ' ', sizeof(huge) - 1);
	memcpy(huge, "a@x.example", 11);
	assert_int_equal(hb_mailhdr_from(huge, sizeof(huge) - 1, &A, &error), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_forms),
		cmocka_unit_test(test_refused_forms),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
