/* test-hb-user.c - cmocka tests of lib/hb-user.c: user names are ASCII
 * lower-cased, lose their recipient-delimiter extension, and every malformed
 * name (empty, too long, controls, separators, invalid UTF-8, bad '@') is
 * refused while valid UTF-8 (IDN) names pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hb-user.h"
#include "test-escape.h"


static void expect_user(const char *in, const char *delim, const char *expected)
{
	char out[HB_USER_MAX + 1];
	const char *error = NULL;

	if (hb_user_normalize(in, delim, out, &error) < 0)
		fail_msg("'%s' refused: %s", test_escaped(in), error);
	assert_string_equal(out, expected);
}

static void expect_refused(const char *in, const char *delim)
{
	char out[HB_USER_MAX + 1];
	const char *error = NULL;

	if (hb_user_normalize(in, delim, out, &error) == 0)
		fail_msg("malformed user '%s' accepted", test_escaped(in));
	assert_non_null(error);
	assert_true(strlen(error) > 0);
}

static void test_lowercase(void **state)
{
	expect_user("User@Example.COM", NULL, "user@example.com");
	expect_user("ALLCAPS", NULL, "allcaps");
	expect_user("already@lower.case", "+", "already@lower.case");
	expect_user("Mixed.Name_1-2@Sub.Example.ORG", "", "mixed.name_1-2@sub.example.org");
	/* only ASCII is folded: Ü stays as it is */
	expect_user("\xc3\x9cser@Example.com", NULL, "\xc3\x9cser@example.com");
}

static void test_delimiter(void **state)
{
	expect_user("u+x@d", "+", "u@d");
	expect_user("U+Tag@Example.com", "+", "u@example.com");
	expect_user("u+x+y@d", "+", "u@d");
	expect_user("u+@d", "+", "u@d");
	expect_user("u+x", "+", "u");
	/* the domain part is never touched */
	expect_user("u@d+x", "+", "u@d+x");
	/* several delimiter characters, the first one found wins */
	expect_user("u-x@d", "-+", "u@d");
	expect_user("u+x-y@d", "-+", "u@d");
	expect_user("first.last-x@d", "+", "first.last-x@d");
}

static void test_delimiter_disabled(void **state)
{
	expect_user("u+x@d", NULL, "u+x@d");
	expect_user("u+x@d", "", "u+x@d");
	expect_user("U+X@D", "", "u+x@d");
}

static void test_utf8_idn(void **state)
{
	expect_user("j\xc3\xb6rg@b\xc3\xbc" "cher.example", "+",
		    "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	expect_user("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
		    "+", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a");
	expect_user("\xf0\x9f\x98\x80@example.com", NULL, "\xf0\x9f\x98\x80@example.com");
	/* the largest code points of each length */
	expect_user("\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf@d", NULL,
		    "\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf@d");
	/* the smallest non-overlong forms */
	expect_user("\xc2\xa0\xe0\xa0\x80\xf0\x90\x80\x80@d", NULL,
		    "\xc2\xa0\xe0\xa0\x80\xf0\x90\x80\x80@d");
	/* the code points around the surrogates */
	expect_user("\xed\x9f\xbf\xee\x80\x80@d", NULL, "\xed\x9f\xbf\xee\x80\x80@d");
}

static void test_length(void **state)
{
	char in[300];

	memset(in, 'a', 255);
	in[255] = '\0';
	expect_user(in, "+", in);

	memset(in, 'a', 256);
	in[256] = '\0';
	expect_refused(in, "+");

	memset(in, 'a', 299);
	in[299] = '\0';
	expect_refused(in, NULL);

	/* 253 ASCII bytes + a 2-byte character = 255: fine */
	memset(in, 'a', 253);
	memcpy(in + 253, "\xc3\xa9", 3);
	expect_user(in, NULL, in);
	/* 254 + 2 = 256: too long */
	memset(in, 'a', 254);
	memcpy(in + 254, "\xc3\xa9", 3);
	expect_refused(in, NULL);
}

static void test_empty(void **state)
{
	expect_refused("", "+");
	expect_refused("", NULL);
}

static void test_control_characters(void **state)
{
	char in[8];

	for (int c = 1; c < 0x20; c++) {
		snprintf(in, sizeof(in), "u%c@d", c);
		expect_refused(in, "+");
	}
	expect_refused("u\x7f@d", "+");
	expect_refused("\x01", NULL);
	expect_refused("u@d\n", NULL);
	expect_refused("u@d\r", NULL);
}

static void test_c1_control_characters(void **state)
{
	/* U+0080..U+009F are control characters too (NEL, CSI ...) */
	expect_refused("u\xc2\x80@d", NULL);
	expect_refused("u\xc2\x85@d", NULL);
	expect_refused("u\xc2\x9f@d", NULL);
}

static void test_separators(void **state)
{
	expect_refused("u\t@d", NULL);
	expect_refused("\tu@d", NULL);
	expect_refused("u @d", NULL);
	expect_refused(" u@d", NULL);
	expect_refused("u@d ", NULL);
	expect_refused("u\\x@d", NULL);
	expect_refused("u\"x@d", NULL);
	expect_refused("u,x@d", NULL);
}

static void test_invalid_utf8(void **state)
{
	static const char *const cases[] = {
		"u\x80@d",                   /* lone continuation byte */
		"u\xbf@d",
		"u\xc0\xaf@d",               /* overlong '/' */
		"u\xc1\xbf@d",               /* overlong, 2 bytes */
		"u\xe0\x80\xaf@d",           /* overlong, 3 bytes */
		"u\xe0\x9f\xbf@d",           /* overlong U+07FF */
		"u\xf0\x80\x80\xaf@d",       /* overlong, 4 bytes */
		"u\xf0\x8f\xbf\xbf@d",       /* overlong U+FFFF */
		"u\xed\xa0\x80@d",           /* surrogate U+D800 */
		"u\xed\xbf\xbf@d",           /* surrogate U+DFFF */
		"u\xed\xa0\xbd\xed\xb8\x80@d", /* CESU-8 surrogate pair */
		"u\xf4\x90\x80\x80@d",       /* U+110000 */
		"u\xf5\x80\x80\x80@d",
		"u\xf8\x88\x80\x80\x80@d",   /* 5-byte form */
		"u\xfe@d", "u\xff@d",
		"u@d\xc3",                   /* truncated at the end */
		"u@d\xe2\x82",
		"u@d\xf0\x9f\x98",
		"u\xc3@d",                   /* truncated before '@' */
		"u\xe2\x82@d",
		"\xc3",
		"u\xc3\xc3\xa9@d",           /* lead byte where a continuation belongs */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i], "+");
}

static void test_malformed_at(void **state)
{
	expect_refused("@", NULL);
	expect_refused("@d", NULL);
	expect_refused("u@", NULL);
	expect_refused("a@b@c", NULL);
	expect_refused("a@@b", NULL);
	expect_refused("@u@d", NULL);
	expect_refused("u@d@", NULL);
	expect_refused("u+x@d@e", "+");
	/* no domain at all is fine (local users) */
	expect_user("localuser", "+", "localuser");
}

static void test_output_is_bounded(void **state)
{
	/* OUT has exactly HB_USER_MAX + 1 bytes; guards on both sides catch overruns */
	struct { char before[8]; char out[HB_USER_MAX + 1]; char after[8]; } buf;
	char in[HB_USER_MAX + 1];
	const char *error;

	memset(&buf, 'G', sizeof(buf));
	memset(in, 'A', HB_USER_MAX);
	in[HB_USER_MAX] = '\0';
	assert_int_equal(hb_user_normalize(in, "+", buf.out, &error), 0);
	assert_int_equal(strlen(buf.out), HB_USER_MAX);
	assert_memory_equal(buf.before, "GGGGGGGG", 8);
	assert_memory_equal(buf.after, "GGGGGGGG", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowercase),
		cmocka_unit_test(test_delimiter),
		cmocka_unit_test(test_delimiter_disabled),
		cmocka_unit_test(test_utf8_idn),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_c1_control_characters),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_malformed_at),
		cmocka_unit_test(test_output_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
