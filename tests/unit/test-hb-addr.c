/* test-hb-addr.c - cmocka tests of lib/hb-addr.c: IDN domains map to their
 * lower-case A-label, every rule of docs/DOMAINS.md 1 holds at its boundary
 * (labels, total length, local part, the last '@'), broken UTF-8 and
 * disallowed code points are refused, and short buffers fail, never truncate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hb-addr.h"
#include "test-escape.h"

#define CANARY 0x5a


/* N copies of C into BUF (NUL-terminated); returns BUF. */
static char *repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void expect_domain(const char *in, const char *expected)
{
	char out[HB_DOMAIN_MAX + 1];
	const char *error = NULL;

	if (hb_domain_normalize(in, out, sizeof(out), &error) < 0)
		fail_msg("domain '%s' refused: %s", test_escaped(in), error);
	assert_string_equal(out, expected);
}

/* Refused, with a reason containing WHY (NULL: any reason). */
static void expect_bad_domain(const char *in, const char *why)
{
	char out[HB_DOMAIN_MAX + 1];
	const char *error = NULL;

	memset(out, CANARY, sizeof(out));
	if (hb_domain_normalize(in, out, sizeof(out), &error) == 0)
		fail_msg("bad domain '%s' accepted as '%s'", test_escaped(in), out);
	assert_non_null(error);
	assert_string_equal(out, "");
	if (why != NULL && strstr(error, why) == NULL)
		fail_msg("domain '%s': reason '%s' lacks '%s'", test_escaped(in), error, why);
}

static void expect_addr(const char *in, const char *expected)
{
	char out[HB_ADDR_MAX + 1];
	const char *error = NULL;

	if (hb_addr_normalize(in, out, sizeof(out), &error) < 0)
		fail_msg("address '%s' refused: %s", test_escaped(in), error);
	assert_string_equal(out, expected);
}

static void expect_bad_addr(const char *in, const char *why)
{
	char out[HB_ADDR_MAX + 1], local[HB_LOCAL_MAX + 1], domain[HB_DOMAIN_MAX + 1];
	const char *error = NULL;

	if (hb_addr_normalize(in, out, sizeof(out), &error) == 0)
		fail_msg("bad address '%s' accepted as '%s'", test_escaped(in), out);
	assert_non_null(error);
	assert_string_equal(out, "");
	if (why != NULL && strstr(error, why) == NULL)
		fail_msg("address '%s': reason '%s' lacks '%s'", test_escaped(in), error, why);
	error = NULL;
	assert_int_equal(hb_addr_split(in, local, sizeof(local), domain, sizeof(domain),
				       &error), -1);
	assert_non_null(error);
	assert_string_equal(local, "");
	assert_string_equal(domain, "");
}

static void test_idn(void **state)
{
	expect_domain("bücher.example", "xn--bcher-kva.example");
	expect_domain("BÜCHER.Example", "xn--bcher-kva.example");
	expect_domain("Bücher.EXAMPLE.com", "xn--bcher-kva.example.com");
	/* already an A-label: kept, only lower-cased */
	expect_domain("xn--bcher-kva.example", "xn--bcher-kva.example");
	expect_domain("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example");
	/* non-transitional: sharp s and final sigma are kept, not mapped */
	expect_domain("faß.de", "xn--fa-hia.de");
	expect_domain("ς.example", "xn--3xa.example");
	/* UTS #46 mapping: fullwidth letters, ideographic full stop */
	expect_domain("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3.example", "abc.example");
	expect_domain("b\xc3\xbc" "cher\xe3\x80\x82" "example", "xn--bcher-kva.example");
	/* composed by NFC: u + combining diaeresis */
	expect_domain("bu\xcc\x88" "cher.example", "xn--bcher-kva.example");

	expect_bad_domain("xn--zz.example", "punycode");
	expect_bad_domain("bücher.xn--zz", "punycode");
	/* found by the fuzzer: accepted by libidn2, but decodes to a name that
	   does not encode back to it (stored and displayed names would differ) */
	expect_bad_domain("xn--ig4LRBBBBBBBBHxn--ig4LRBBBBBBBBHBbB-igBBB.le", "punycode");
	expect_bad_domain("xn--.example", NULL);
	expect_bad_domain("\xf0\x9f\x98\x80.example", "disallow");	/* emoji */
	expect_bad_domain("xn--ls8h.example", "disallow");		/* emoji as A-label */
	expect_bad_domain("a\xe2\x98\x83" "b.example", "disallow");	/* U+2603 snowman */
	expect_bad_domain("ab--cd.example", "--");
}

static void test_ascii(void **state)
{
	expect_domain("Example.COM", "example.com");
	expect_domain("mail.EXAMPLE.org", "mail.example.org");
	expect_domain("a-b.c0.example", "a-b.c0.example");
	expect_domain("123.example", "123.example");
	expect_domain("x.y1", "x.y1");

	expect_bad_domain("", "empty");
	expect_bad_domain(".", "empty");
	expect_bad_domain("localhost", "two labels");
	expect_bad_domain("a..example", "empty label");
	expect_bad_domain(".example.com", "empty label");
	expect_bad_domain("-a.example", "'-'");
	expect_bad_domain("a-.example", "'-'");
	expect_bad_domain("a.example-", "'-'");
	expect_bad_domain("a_b.example", "a-z");
	expect_bad_domain("a b.example", "a-z");
	expect_bad_domain("a@b.example", "a-z");
	expect_bad_domain("a\tb.example", "a-z");
	expect_bad_domain("1.2.3.4", "digits");
	expect_bad_domain("example.123", "digits");
	expect_bad_domain("[127.0.0.1]", NULL);
}

static void test_trailing_dot(void **state)
{
	expect_domain("example.com.", "example.com");
	expect_domain("Bücher.example.", "xn--bcher-kva.example");
	expect_domain("bücher.example\xe3\x80\x82", "xn--bcher-kva.example");
	expect_bad_domain("example.com..", "empty label");
	expect_bad_domain("example.com.\xe3\x80\x82", "empty label");
	expect_bad_domain("com.", "two labels");
}

static void test_domain_lengths(void **state)
{
	char l63[64], l64[65], in[2048], expected[HB_DOMAIN_MAX + 2];

	repeat(l63, 'a', 63);
	repeat(l64, 'a', 64);
	snprintf(in, sizeof(in), "%s.example", l63);
	expect_domain(in, in);
	snprintf(in, sizeof(in), "%s.example", l64);
	expect_bad_domain(in, "63");
	snprintf(in, sizeof(in), "example.%s", l64);
	expect_bad_domain(in, "63");

	/* 4 * 63 + 3 dots = 255; 253 = 63.63.63.61 */
	snprintf(in, sizeof(in), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	assert_int_equal(strlen(in), 253);
	expect_domain(in, in);
	snprintf(expected, sizeof(expected), "%s", in);
	strcat(in, ".");	/* a trailing dot does not count */
	expect_domain(in, expected);
	snprintf(in, sizeof(in), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	assert_int_equal(strlen(in), 254);
	expect_bad_domain(in, "253");
	snprintf(in, sizeof(in), "%s.%s.%s.%s.%s", l63, l63, l63, l63, l63);
	expect_bad_domain(in, "253");

	/* the IDN form counts: 4 labels of 57 A-label octets ("xn--" + ...) */
	memset(in, 'a', 1500);
	in[1500] = '\0';
	expect_bad_domain(in, "253");
	expect_bad_domain(repeat(in, '.', 1500), NULL);
}

static void test_broken_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff.example", "b\xc3.example", "\xc0\xaf.example", "\xc1\xbf.example",
		"\xe0\x80\xaf.example", "\xed\xa0\x80.example", "\xf4\x90\x80\x80.example",
		"\xf8\x88\x80\x80\x80.example", "a.exampl\xe9", "\x80.example",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_domain(bad[i], "UTF-8");
}

static void test_domain_buffer(void **state)
{
	char out[32];
	const char *error = NULL;
	const char *in = "Bücher.Example";	/* -> xn--bcher-kva.example (21) */

	memset(out, CANARY, sizeof(out));
	assert_int_equal(hb_domain_normalize(in, out, 21, &error), -1);
	assert_string_equal(error, "output buffer too small");
	assert_string_equal(out, "");
	for (size_t i = 21; i < sizeof(out); i++)
		assert_int_equal((unsigned char)out[i], CANARY);
	out[0] = (char)CANARY;
	assert_int_equal(hb_domain_normalize(in, out, 0, &error), -1);
	assert_int_equal((unsigned char)out[0], CANARY);
	assert_int_equal(hb_domain_normalize(in, out, 22, &error), 0);
	assert_string_equal(out, "xn--bcher-kva.example");
}

static void test_display(void **state)
{
	char out[HB_DOMAIN_DISPLAY_MAX];
	const char *error = NULL;

	assert_int_equal(hb_domain_display("xn--bcher-kva.example", out, sizeof(out), &error), 0);
	assert_string_equal(out, "bücher.example");
	assert_int_equal(hb_domain_display("XN--BCHER-KVA.Example", out, sizeof(out), &error), 0);
	assert_string_equal(out, "bücher.example");
	assert_int_equal(hb_domain_display("Example.COM", out, sizeof(out), &error), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(hb_domain_display("xn--fa-hia.de", out, sizeof(out), &error), 0);
	assert_string_equal(out, "faß.de");

	assert_int_equal(hb_domain_display("xn--zz.example", out, sizeof(out), &error), -1);
	assert_string_equal(out, "");
	assert_int_equal(hb_domain_display("xn--ls8h.example", out, sizeof(out), &error), -1);
	/* "bücher.example" is 15 octets: 15 bytes are too few */
	assert_int_equal(hb_domain_display("xn--bcher-kva.example", out, 15, &error), -1);
	assert_string_equal(error, "output buffer too small");
	assert_int_equal(hb_domain_display("xn--bcher-kva.example", out, 16, &error), 0);
}

static void test_addr_ok(void **state)
{
	expect_addr("User@Example.COM", "user@example.com");
	expect_addr("first.last+tag@bücher.example", "first.last+tag@xn--bcher-kva.example");
	expect_addr("J\xc3\x96rg@B\xc3\x9c" "CHER.example", "j\xc3\x96rg@xn--bcher-kva.example");
	expect_addr("a!#$%&'*+-/=?^_`{|}~@example.com", "a!#$%&'*+-/=?^_`{|}~@example.com");
	expect_addr("x@example.com.", "x@example.com");
	expect_addr("\xe7\x94\xa8\xe6\x88\xb7@example.com", "\xe7\x94\xa8\xe6\x88\xb7@example.com");
}

static void test_addr_local_rules(void **state)
{
	static const char *const specials = "\"(),:;<>[\\]";
	char in[64];

	for (const char *c = specials; *c != '\0'; c++) {
		snprintf(in, sizeof(in), "a%cb@example.com", *c);
		expect_bad_addr(in, "local part contains one of");
	}
	/* split at the LAST '@': the local part "a@b" has an '@' */
	expect_bad_addr("a@b@c.example", "local part contains one of");
	expect_bad_addr("@@c.example", "one of");
	expect_bad_addr("a b@example.com", "control");
	expect_bad_addr("a\tb@example.com", "control");
	expect_bad_addr("a\x01" "b@example.com", "control");
	expect_bad_addr("a\x7f" "b@example.com", "control");
	expect_bad_addr("a\xc2\x85" "b@example.com", "control");	/* C1 NEL */
	expect_bad_addr(".a@example.com", "starts or ends");
	expect_bad_addr("a.@example.com", "starts or ends");
	expect_bad_addr(".@example.com", "starts or ends");
	expect_bad_addr("a..b@example.com", "'..'");
	expect_bad_addr("@example.com", "empty local part");
	expect_bad_addr("", "empty address");
	expect_bad_addr("user.example.com", "no '@'");
	expect_bad_addr("user@", "empty domain");
	expect_bad_addr("user@localhost", "two labels");
	expect_bad_addr("user@xn--zz.example", "punycode");
	expect_bad_addr("\"quoted\"@example.com", "one of");
	expect_bad_addr("<a@example.com>", NULL);
}

static void test_addr_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff@example.com", "a\xc3@example.com", "\xc0\xaf@example.com",
		"\xe0\x80\xaf@example.com", "\xed\xa0\x80@example.com",
		"\xf4\x90\x80\x80@example.com", "\xc3\xa9\x80@example.com",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_addr(bad[i], "UTF-8");
}

static void test_addr_lengths(void **state)
{
	char l64[65], l65[66], in[2048], expected[HB_ADDR_MAX + 1];
	char l63[64];

	repeat(l64, 'A', 64);
	repeat(l65, 'a', 65);
	snprintf(in, sizeof(in), "%s@example.com", l64);
	snprintf(expected, sizeof(expected), "%s@example.com", repeat(l64, 'a', 64));
	expect_addr(in, expected);
	snprintf(in, sizeof(in), "%s@example.com", l65);
	expect_bad_addr(in, "64");
	/* 64 local octets as 32 two-octet characters: fine; one more is not */
	in[0] = '\0';
	for (int i = 0; i < 32; i++)
		strcat(in, "\xc3\xa9");
	strcat(in, "@example.com");
	expect_addr(in, in);
	snprintf(in, sizeof(in), "\xc3\xa9%s", strchr(expected, '@') - 63);
	expect_bad_addr(in, "64");

	/* total: 64 + 1 + 189 = 254 is fine, 255 is not */
	repeat(l63, 'b', 63);
	snprintf(in, sizeof(in), "%s@%s.%s.%.61s", l64, l63, l63, l63);
	assert_int_equal(strlen(in), 254);
	expect_addr(in, in);
	snprintf(in, sizeof(in), "%s@%s.%s.%.62s", l64, l63, l63, l63);
	assert_int_equal(strlen(in), 255);
	expect_bad_addr(in, "254");
	/* the A-label form counts, not the input: "bü" + 53 b is a 62-octet
	 * A-label from 56 octets of UTF-8; with 54 b it would be 63 + 1 */
	snprintf(in, sizeof(in), "%s@%s.%s.b\xc3\xbc%.53s", l64, l63, l63, l63);
	assert_int_equal(strlen(in), 249);
	expect_bad_addr(in, "254");
	snprintf(in, sizeof(in), "b\xc3\xbc%.56s.example", l63);
	expect_bad_domain(in, "63");
	snprintf(in, sizeof(in), "b\xc3\xbc%.53s.example", l63);
	expect_domain(in, "xn--bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-5tf.example");
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	in[10] = '@';
	expect_bad_addr(in, NULL);
}

static void test_addr_buffers(void **state)
{
	char out[64], local[16], domain[32];
	const char *error = NULL;
	const char *in = "Jo@Bücher.Example";	/* jo@xn--bcher-kva.example: 24 */

	memset(out, CANARY, sizeof(out));
	assert_int_equal(hb_addr_normalize(in, out, 24, &error), -1);
	assert_string_equal(error, "output buffer too small");
	assert_string_equal(out, "");
	for (size_t i = 24; i < sizeof(out); i++)
		assert_int_equal((unsigned char)out[i], CANARY);
	assert_int_equal(hb_addr_normalize(in, out, 25, &error), 0);
	assert_string_equal(out, "jo@xn--bcher-kva.example");

	assert_int_equal(hb_addr_split(in, local, sizeof(local), domain, sizeof(domain),
				       &error), 0);
	assert_string_equal(local, "jo");
	assert_string_equal(domain, "xn--bcher-kva.example");
	assert_int_equal(hb_addr_split(in, local, 2, domain, sizeof(domain), &error), -1);
	assert_string_equal(local, "");
	assert_string_equal(domain, "");
	assert_int_equal(hb_addr_split(in, local, 3, domain, 21, &error), -1);
	assert_string_equal(error, "output buffer too small");
	assert_string_equal(local, "");
	assert_string_equal(domain, "");
	assert_int_equal(hb_addr_split(in, local, 3, domain, 22, &error), 0);
	assert_string_equal(local, "jo");
}

/* Normalising a normalised value gives it back; display round-trips. */
static void test_idempotent(void **state)
{
	static const char *const addrs[] = {
		"User@Example.COM", "J\xc3\x96rg@B\xc3\x9c" "CHER.example.", "a+b@faß.de",
	};
	char once[HB_ADDR_MAX + 1], twice[HB_ADDR_MAX + 1];
	char shown[HB_DOMAIN_DISPLAY_MAX], back[HB_DOMAIN_MAX + 1];
	const char *error = NULL;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		assert_int_equal(hb_addr_normalize(addrs[i], once, sizeof(once), &error), 0);
		assert_int_equal(hb_addr_normalize(once, twice, sizeof(twice), &error), 0);
		assert_string_equal(once, twice);
		const char *dom = strrchr(once, '@') + 1;
		assert_int_equal(hb_domain_display(dom, shown, sizeof(shown), &error), 0);
		assert_int_equal(hb_domain_normalize(shown, back, sizeof(back), &error), 0);
		assert_string_equal(back, dom);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_trailing_dot),
		cmocka_unit_test(test_domain_lengths),
		cmocka_unit_test(test_broken_utf8),
		cmocka_unit_test(test_domain_buffer),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_addr_ok),
		cmocka_unit_test(test_addr_local_rules),
		cmocka_unit_test(test_addr_utf8),
		cmocka_unit_test(test_addr_lengths),
		cmocka_unit_test(test_addr_buffers),
		cmocka_unit_test(test_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
