/* test-milter-envelope.c - unit tests of milter/envelope.c: the "<addr>"
 * arguments libmilter hands over, the ESMTP SIZE= parameter and address
 * extensions, the domain part of senders the address rules refuse,
 * malformed input included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "envelope.h"

static void test_unbracket_forms(void **state)
{
	char out[64];
	const char *error = NULL;

	assert_int_equal(envelope_unbracket("<a@b.example>", out, sizeof(out), &error), 0);
	assert_string_equal(out, "a@b.example");
	assert_int_equal(envelope_unbracket("a@b.example", out, sizeof(out), &error), 0);
	assert_string_equal(out, "a@b.example");
	assert_int_equal(envelope_unbracket("<>", out, sizeof(out), &error), 0);
	assert_string_equal(out, "");
	assert_int_equal(envelope_unbracket("", out, sizeof(out), &error), 0);
	assert_string_equal(out, "");
}

static void test_unbracket_refusals(void **state)
{
	static const char *const bad[] = {
		"<a@b.example", "<", "a@b>", "<@relay.example:a@b.example>", "<a\r@b.example>",
		"<a\x7f@b.example>", "<<a@b.example>>", "<a@b.example>x",
	};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *error = NULL;
		assert_int_equal(envelope_unbracket(bad[i], out, sizeof(out), &error), -1);
		assert_non_null(error);
	}
}

static void test_unbracket_length(void **state)
{
	char in[80], out[16];
	const char *error = NULL;

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(envelope_unbracket(in, out, sizeof(out), &error), -1);
	assert_string_equal(error, "address too long");
	in[16] = '\0';			/* 16 octets need 17 bytes */
	assert_int_equal(envelope_unbracket(in, out, sizeof(out), &error), -1);
	in[15] = '\0';
	assert_int_equal(envelope_unbracket(in, out, sizeof(out), &error), 0);
	assert_int_equal(strlen(out), 15);
}

static void test_size_param(void **state)
{
	char *none[] = { "BODY=8BITMIME", NULL };
	char *some[] = { "BODY=8BITMIME", "size=2048", NULL };
	char *empty[] = { "SIZE=", NULL };
	char *junk[] = { "SIZE=12k", NULL };
	char *huge[] = { "SIZE=99999999999999999999", NULL };
	char *max[] = { "SIZE=9007199254740990", NULL };
	long long size = 0;

	assert_int_equal(envelope_size_param(NULL, &size), 0);
	assert_int_equal(envelope_size_param(none, &size), 0);
	assert_int_equal(envelope_size_param(some, &size), 1);
	assert_int_equal(size, 2048);
	assert_int_equal(envelope_size_param(empty, &size), -1);
	assert_int_equal(envelope_size_param(junk, &size), -1);
	assert_int_equal(envelope_size_param(huge, &size), -1);
	assert_int_equal(envelope_size_param(max, &size), 1);
	assert_true(size == 9007199254740990LL);
}

static void test_strip_extension(void **state)
{
	char a[] = "user+tag", b[] = "+tag", c[] = "user-x+y", d[] = "plain";

	envelope_strip_extension(a, "+");
	assert_string_equal(a, "user");
	envelope_strip_extension(b, "+");
	assert_string_equal(b, "+tag");		/* never empty */
	envelope_strip_extension(c, "+-");
	assert_string_equal(c, "user");
	envelope_strip_extension(d, "");
	assert_string_equal(d, "plain");
}

/* The domain of a sender hb_addr_split() refuses: after the last '@'. */
static void test_domain_part(void **state)
{
	char out[64];
	const char *error;

	assert_int_equal(envelope_domain_part("<\"c e o\"@hosted.example>", out, sizeof(out), &error), 0);
	assert_string_equal(out, "hosted.example");
	assert_int_equal(envelope_domain_part("\"a@evil.example\"@Hosted.Example.", out, sizeof(out),
					      &error), 0);
	assert_string_equal(out, "Hosted.Example.");
	assert_int_equal(envelope_domain_part("<@relay.example:ceo@hosted.example>", out,
					      sizeof(out), &error), 0);
	assert_string_equal(out, "hosted.example");
	assert_int_equal(envelope_domain_part("<ceo>", out, sizeof(out), &error), -1);
	assert_int_equal(envelope_domain_part("<ceo@>", out, sizeof(out), &error), -1);
	assert_int_equal(envelope_domain_part("ceo@", out, sizeof(out), &error), -1);
	assert_int_equal(envelope_domain_part("", out, sizeof(out), &error), -1);
	assert_int_equal(envelope_domain_part("<>", out, sizeof(out), &error), -1);
	assert_int_equal(envelope_domain_part("a@0123456789012345678901234567890123456789"
					      "0123456789012345678901234", out, sizeof(out), &error), -1);
	assert_non_null(error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unbracket_forms),
		cmocka_unit_test(test_unbracket_refusals),
		cmocka_unit_test(test_unbracket_length),
		cmocka_unit_test(test_size_param),
		cmocka_unit_test(test_strip_extension),
		cmocka_unit_test(test_domain_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
