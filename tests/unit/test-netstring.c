/* test-netstring.c - cmocka tests of director/netstring.c: netstring framing
 * of Postfix socketmap requests (complete, every partial prefix, pipelined,
 * malformed lengths and terminators, limits) and socketmap_split() of
 * "NAME KEY" payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"

#define MAX SOCKETMAP_MAX_REQUEST

static enum netstring_result parse_n(const char *buf, size_t len, size_t max,
				     const char **data, size_t *data_len, size_t *used,
				     const char **reason)
{
	*data = NULL;
	*data_len = *used = 12345;
	*reason = NULL;
	return netstring_parse(buf, len, max, data, data_len, used, reason);
}

static void expect_ok(const char *buf, size_t len, const char *payload, size_t payload_len,
		      size_t consumed)
{
	const char *data, *reason;
	size_t data_len, used;

	if (parse_n(buf, len, MAX, &data, &data_len, &used, &reason) != NETSTRING_OK)
		fail_msg("'%.*s' not OK: %s", (int)len, buf, reason != NULL ? reason : "MORE");
	assert_int_equal(data_len, payload_len);
	assert_memory_equal(data, payload, payload_len);
	assert_ptr_equal(data, buf + (consumed - payload_len - 1));
	assert_int_equal(used, consumed);
}

static void expect_result(const char *buf, size_t len, size_t max,
			  enum netstring_result expected)
{
	const char *data, *reason;
	size_t data_len, used;
	enum netstring_result res = parse_n(buf, len, max, &data, &data_len, &used, &reason);

	if (res != expected)
		fail_msg("'%.*s' (%zu bytes): result %d, expected %d", (int)len, buf, len,
			 (int)res, (int)expected);
	if (expected == NETSTRING_ERROR) {
		assert_non_null(reason);
	}
}

static void expect_error(const char *buf)
{
	expect_result(buf, strlen(buf), MAX, NETSTRING_ERROR);
}

static void test_complete(void **state)
{
	expect_ok("5:hello,", 8, "hello", 5, 8);
	expect_ok("0:,", 3, "", 0, 3);
	expect_ok("1:a,", 4, "a", 1, 4);
	expect_ok("10:0123456789,", 14, "0123456789", 10, 14);
	/* the payload may hold anything, even ',' ':' and NUL */
	expect_ok("5:a,b\0:,", 8, "a,b\0:", 5, 8);
}

static void test_pipelined(void **state)
{
	const char *buf = "5:hello,3:abc,";
	const char *data, *reason;
	size_t data_len, used;

	assert_int_equal(parse_n(buf, strlen(buf), MAX, &data, &data_len, &used, &reason),
			 NETSTRING_OK);
	assert_int_equal(used, 8);
	assert_int_equal(parse_n(buf + used, strlen(buf) - used, MAX, &data, &data_len,
				 &used, &reason), NETSTRING_OK);
	assert_int_equal(data_len, 3);
	assert_memory_equal(data, "abc", 3);
	/* a complete one followed by garbage is still OK: the garbage is next */
	expect_ok("3:abc,xyz", 9, "abc", 3, 6);
}

static void test_every_prefix_is_more(void **state)
{
	static const char *const valid[] = {
		"5:hello,", "0:,", "26:transport user@example.com,", "10:0123456789,",
	};

	for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
		size_t len = strlen(valid[v]);

		for (size_t i = 0; i < len; i++)
			expect_result(valid[v], i, MAX, NETSTRING_MORE);
		expect_result(valid[v], len, MAX, NETSTRING_OK);
	}
}

static void test_every_prefix_of_max(void **state)
{
	/* a request of exactly the maximum size, fed one byte more each time */
	char *buf = malloc(MAX + 16);
	int head = snprintf(buf, 16, "%d:", MAX);
	size_t len = (size_t)head + MAX + 1;

	assert_non_null(buf);
	memset(buf + head, 'k', MAX);
	buf[len - 1] = ',';
	for (size_t i = 0; i < len; i++)
		expect_result(buf, i, MAX, NETSTRING_MORE);
	expect_ok(buf, len, buf + head, MAX, len);
	free(buf);
}

static void test_leading_zeros(void **state)
{
	expect_error("00:,");
	expect_error("05:hello,");
	expect_error("007:abcdefg,");
	expect_error("00");          /* rejected before the ':' arrives */
	expect_result("0", 1, MAX, NETSTRING_MORE);
}

static void test_non_digit(void **state)
{
	expect_error(":hello,");
	expect_error("a:hello,");
	expect_error("-5:hello,");
	expect_error("+5:hello,");
	expect_error(" 5:hello,");
	expect_error("5 :hello,");
	expect_error("0x5:hello,");
	expect_error("5a");
	expect_error(",");
	expect_result("\0", 1, MAX, NETSTRING_ERROR);
}

static void test_missing_colon(void **state)
{
	expect_error("5hello,");
	expect_error("5,hello,");
	expect_error("5;hello,");
}

static void test_missing_comma(void **state)
{
	expect_error("5:hello;");
	expect_error("5:hello.");
	expect_error("5:helloX");
	expect_error("5:hello\n");
	expect_error("4:hello,");    /* length too short: 'o' is not ',' */
	expect_error("0:x");
	/* length too long: waits for more, then finds no ',' */
	expect_result("6:hello,", 8, MAX, NETSTRING_MORE);
	expect_error("6:hello,X");
}

static void test_length_over_max(void **state)
{
	expect_result("11:hello world,", 15, 10, NETSTRING_ERROR);
	expect_result("10:helloworld,", 14, 10, NETSTRING_OK);
	expect_error("10001:");      /* over SOCKETMAP_MAX_REQUEST before any payload */
	expect_result("10000:", 6, MAX, NETSTRING_MORE);
	expect_result("1:a,", 4, 0, NETSTRING_ERROR);
	expect_result("0:,", 3, 0, NETSTRING_OK);
}

static void test_long_lengths(void **state)
{
	/* 7 or more digits can never fit SOCKETMAP_MAX_REQUEST */
	expect_error("1234567:");
	expect_error("9999999:");
	expect_error("1000000:x,");
	expect_error("12345678");    /* 8 digits: rejected before the ':' */
	expect_error("123456789012345678901234567890:");
	expect_error("99999999999999999999999999999999999999999");
	/* 18446744073709551617 would wrap a 64-bit size_t to 1 */
	expect_error("18446744073709551617:a,");
}

static void test_split_good(void **state)
{
	char name[64], key[300];

	assert_int_equal(socketmap_split("transport user@example.com", 26, name, sizeof(name),
					 key, sizeof(key)), 0);
	assert_string_equal(name, "transport");
	assert_string_equal(key, "user@example.com");
	/* only the first space separates: the key may hold spaces */
	assert_int_equal(socketmap_split("backend a b c", 13, name, sizeof(name), key,
					 sizeof(key)), 0);
	assert_string_equal(name, "backend");
	assert_string_equal(key, "a b c");
	/* not NUL-terminated input: only LEN bytes count */
	assert_int_equal(socketmap_split("m kXXXX", 3, name, sizeof(name), key,
					 sizeof(key)), 0);
	assert_string_equal(name, "m");
	assert_string_equal(key, "k");
}

static void test_split_exact_fit(void **state)
{
	char name[4], key[4];

	assert_int_equal(socketmap_split("abc xyz", 7, name, sizeof(name), key,
					 sizeof(key)), 0);
	assert_string_equal(name, "abc");
	assert_string_equal(key, "xyz");
	assert_int_equal(socketmap_split("abcd xyz", 8, name, sizeof(name), key,
					 sizeof(key)), -1);
	assert_int_equal(socketmap_split("abc wxyz", 8, name, sizeof(name), key,
					 sizeof(key)), -1);
}

static void test_split_malformed(void **state)
{
	char name[64], key[64], long_key[200];

	assert_int_equal(socketmap_split("transport", 9, name, sizeof(name), key,
					 sizeof(key)), -1);
	assert_int_equal(socketmap_split("", 0, name, sizeof(name), key, sizeof(key)), -1);
	assert_int_equal(socketmap_split(" user@d", 7, name, sizeof(name), key,
					 sizeof(key)), -1);
	assert_int_equal(socketmap_split("transport ", 10, name, sizeof(name), key,
					 sizeof(key)), -1);
	assert_int_equal(socketmap_split(" ", 1, name, sizeof(name), key, sizeof(key)), -1);
	assert_int_equal(socketmap_split("transport u\0@d", 14, name, sizeof(name), key,
					 sizeof(key)), -1);
	assert_int_equal(socketmap_split("trans\0port u@d", 14, name, sizeof(name), key,
					 sizeof(key)), -1);
	assert_int_equal(socketmap_split("\0 u@d", 5, name, sizeof(name), key,
					 sizeof(key)), -1);
	memset(long_key, 'k', sizeof(long_key));
	memcpy(long_key, "transport ", 10);
	assert_int_equal(socketmap_split(long_key, sizeof(long_key), name, sizeof(name),
					 key, sizeof(key)), -1);
	memset(long_key, 'n', sizeof(long_key));
	long_key[150] = ' ';
	assert_int_equal(socketmap_split(long_key, sizeof(long_key), name, sizeof(name),
					 key, sizeof(key)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_every_prefix_is_more),
		cmocka_unit_test(test_every_prefix_of_max),
		cmocka_unit_test(test_leading_zeros),
		cmocka_unit_test(test_non_digit),
		cmocka_unit_test(test_missing_colon),
		cmocka_unit_test(test_missing_comma),
		cmocka_unit_test(test_length_over_max),
		cmocka_unit_test(test_long_lengths),
		cmocka_unit_test(test_split_good),
		cmocka_unit_test(test_split_exact_fit),
		cmocka_unit_test(test_split_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
