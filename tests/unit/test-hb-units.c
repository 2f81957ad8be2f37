/* test-hb-units.c - cmocka tests of lib/hb-units.c: every example of
 * docs/DOMAINS.md 1 parses to its stored value, the formatters give the
 * short forms back, and values above the bounds (sizes 2^50, counts 10^9,
 * periods a day), signs, whitespace, fractions, unknown units and trailing
 * garbage are refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hb-units.h"

static void expect_size(const char *in, int64_t bytes)
{
	const char *error = NULL;
	int64_t got = -2;

	if (hb_parse_size(in, &got, &error) < 0)
		fail_msg("size '%s' refused: %s", in, error);
	if (got != bytes)
		fail_msg("size '%s' = %lld, expected %lld", in, (long long)got, (long long)bytes);
}

static void expect_bad_size(const char *in)
{
	const char *error = NULL;
	int64_t got = -2;

	if (hb_parse_size(in, &got, &error) == 0)
		fail_msg("bad size '%s' accepted as %lld", in, (long long)got);
	assert_non_null(error);
	assert_int_equal(got, -2);
}

static void expect_rate(const char *in, int64_t count, int64_t seconds)
{
	const char *error = NULL;
	int64_t c = -2, s = -2;

	if (hb_parse_rate(in, &c, &s, &error) < 0)
		fail_msg("rate '%s' refused: %s", in, error);
	if (c != count || s != seconds)
		fail_msg("rate '%s' = %lld/%lld, expected %lld/%lld", in, (long long)c,
			 (long long)s, (long long)count, (long long)seconds);
}

static void expect_bad_rate(const char *in)
{
	const char *error = NULL;
	int64_t c = -2, s = -2;

	if (hb_parse_rate(in, &c, &s, &error) == 0)
		fail_msg("bad rate '%s' accepted as %lld/%lld", in, (long long)c, (long long)s);
	assert_non_null(error);
	assert_int_equal(c, -2);
	assert_int_equal(s, -2);
}

static void expect_count(const char *in, int64_t count)
{
	const char *error = NULL;
	int64_t got = -2;

	if (hb_parse_count(in, &got, &error) < 0)
		fail_msg("count '%s' refused: %s", in, error);
	assert_int_equal(got, count);
}

static void expect_bad_count(const char *in)
{
	const char *error = NULL;
	int64_t got = -2;

	if (hb_parse_count(in, &got, &error) == 0)
		fail_msg("bad count '%s' accepted as %lld", in, (long long)got);
	assert_non_null(error);
	assert_int_equal(got, -2);
}

static void test_size(void **state)
{
	/* the table of DOMAINS.md 1 */
	expect_size("25M", 26214400);
	expect_size("1G", 1073741824);
	expect_size("512k", 524288);
	expect_size("1048576", 1048576);
	expect_size("0", 0);
	/* units, case, B/iB */
	expect_size("25m", 26214400);
	expect_size("25MB", 26214400);
	expect_size("25mb", 26214400);
	expect_size("25MiB", 26214400);
	expect_size("25mib", 26214400);
	expect_size("2T", INT64_C(2) << 40);
	expect_size("1K", 1024);
	expect_size("100B", 100);
	expect_size("007", 7);
	/* 2^50 is the largest */
	expect_size("1125899906842624", HB_SIZE_MAX);
	expect_size("1024T", HB_SIZE_MAX);
	expect_size("1048576G", HB_SIZE_MAX);
}

static void test_size_bad(void **state)
{
	static const char *const bad[] = {
		"", " ", " 25M", "25M ", "25 M", "-1", "-0", "+5", "1.5M", "0.5", "1,5M",
		"25X", "25MM", "25MBB", "25iB", "25Mi", "25BM", "M", "K25", "0x10", "1e6",
		"25M\n", "unlimited", "1125899906842625", "1025T", "1048577G",
		"9007199254740992", "8192T",
		"99999999999999999999", "99999999999999999999999999999999999999T",
		"9223372036854775807", "18446744073709551616",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_size(bad[i]);
}

static void test_rate(void **state)
{
	/* the table of DOMAINS.md 1 */
	expect_rate("200/h", 200, 3600);
	expect_rate("10/m", 10, 60);
	expect_rate("5000/d", 5000, 86400);
	expect_rate("3/s", 3, 1);
	expect_rate("0", 0, 1);
	expect_rate("unlimited", -1, 0);
	expect_rate("UNLIMITED", -1, 0);
	/* the stored form and spelled-out periods */
	expect_rate("200/3600", 200, 3600);
	expect_rate("7/1", 7, 1);
	expect_rate("1/sec", 1, 1);
	expect_rate("1/second", 1, 1);
	expect_rate("2/min", 2, 60);
	expect_rate("2/minute", 2, 60);
	expect_rate("3/hour", 3, 3600);
	expect_rate("3/H", 3, 3600);
	expect_rate("4/day", 4, 86400);
	expect_rate("0/h", 0, 3600);
	expect_rate("1000000000/d", HB_COUNT_MAX, 86400);
	expect_rate("1/86400", 1, HB_RATE_PERIOD_MAX);
	expect_rate("5/90", 5, 90);
}

static void test_rate_bad(void **state)
{
	static const char *const bad[] = {
		"", "/h", "200", "200/", "200/x", "200/hours", "200/hh", "200 /h", "200/ h",
		"200/h ", " 200/h", "-1/h", "+1/h", "1.5/h", "200/0", "200/-1", "200/1.5",
		"200/3600s", "200/h/h", "200//h", "unlimited/h", "unlimite", "00/", "0/",
		"9007199254740993/h", "1/9007199254741", "1/99999999999999999999",
		/* what the rate script could not enforce */
		"1/9000000000000", "1/86401", "1000000001/s", "9007199254740992/d", "1/w",
		"99999999999999999999/s", "200/60m", "0 ", "h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_rate(bad[i]);
}

static void test_count(void **state)
{
	expect_count("100", 100);
	expect_count("0", 0);
	expect_count("unlimited", -1);
	expect_count("Unlimited", -1);
	expect_count("1000000000", HB_COUNT_MAX);

	static const char *const bad[] = {
		"", " ", "100 ", " 100", "-1", "+1", "1.0", "100k", "100K", "1M", "100/h",
		"10e3", "0x10", "9007199254740993", "99999999999999999999", "unlimitedx",
		"1000000001", "9007199254740992",
		"infinite",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_count(bad[i]);
}

static void expect_format_size(int64_t bytes, const char *expected)
{
	char out[HB_UNITS_FORMAT_MAX];
	const char *error = NULL;
	int64_t back = -2;

	assert_int_equal(hb_format_size(bytes, out, sizeof(out)), 0);
	assert_string_equal(out, expected);
	assert_int_equal(hb_parse_size(out, &back, &error), 0);
	assert_int_equal(back, bytes);
}

static void test_format_size(void **state)
{
	char out[8];

	expect_format_size(26214400, "25M");
	expect_format_size(1073741824, "1G");
	expect_format_size(524288, "512K");
	expect_format_size(1536, "1536");
	expect_format_size(1024 * 1024 + 1, "1048577");
	expect_format_size(3 * 1024, "3K");
	expect_format_size(INT64_C(1) << 40, "1T");
	expect_format_size(HB_SIZE_MAX, "1024T");
	expect_format_size(0, "0");
	expect_format_size(1, "1");

	assert_int_equal(hb_format_size(-1, out, sizeof(out)), -1);
	assert_int_equal(hb_format_size(HB_SIZE_MAX + 1, out, sizeof(out)), -1);
	/* "1048577" needs 8 bytes: 7 is an error, not a truncation */
	memset(out, 'x', sizeof(out));
	assert_int_equal(hb_format_size(1048577, out, 7), -1);
	assert_string_equal(out, "");
	assert_int_equal(hb_format_size(1048577, out, 8), 0);
	assert_string_equal(out, "1048577");
}

static void expect_format_rate(int64_t count, int64_t seconds, const char *expected)
{
	char out[HB_UNITS_FORMAT_MAX];
	const char *error = NULL;
	int64_t c = -2, s = -2;

	assert_int_equal(hb_format_rate(count, seconds, out, sizeof(out)), 0);
	assert_string_equal(out, expected);
	assert_int_equal(hb_parse_rate(out, &c, &s, &error), 0);
	assert_int_equal(c, count);
	assert_int_equal(s, count == -1 ? 0 : seconds);
}

static void test_format_rate(void **state)
{
	char out[HB_UNITS_FORMAT_MAX];

	expect_format_rate(200, 3600, "200/h");
	expect_format_rate(10, 60, "10/m");
	expect_format_rate(5000, 86400, "5000/d");
	expect_format_rate(3, 1, "3/s");
	expect_format_rate(200, 7200, "200/7200");
	expect_format_rate(0, 3600, "0/h");
	expect_format_rate(-1, 0, "unlimited");
	expect_format_rate(HB_COUNT_MAX, HB_RATE_PERIOD_MAX, "1000000000/d");
	expect_format_rate(10, 8640, "10/8640");

	assert_int_equal(hb_format_rate(-2, 60, out, sizeof(out)), -1);
	assert_int_equal(hb_format_rate(1, 0, out, sizeof(out)), -1);
	assert_int_equal(hb_format_rate(1, -60, out, sizeof(out)), -1);
	assert_int_equal(hb_format_rate(HB_COUNT_MAX + 1, 60, out, sizeof(out)), -1);
	assert_int_equal(hb_format_rate(1, HB_RATE_PERIOD_MAX + 1, out, sizeof(out)), -1);
	assert_int_equal(hb_format_rate(200, 3600, out, 5), -1);
	assert_string_equal(out, "");
	assert_int_equal(hb_format_rate(200, 3600, out, 6), 0);
	assert_string_equal(out, "200/h");
	assert_int_equal(hb_format_rate(-1, 0, out, 9), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_rate_bad),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
