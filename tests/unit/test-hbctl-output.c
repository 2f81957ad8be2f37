/* test-hbctl-output.c - hbctl's output helpers (cli/output.c,
 * cli/glob-escape.c): JSON string escaping of hostile input, the structure
 * the JSON writer emits, human duration and printable formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "glob-escape.h"

/* Run the escaper on IN and compare with EXPECTED. */
static void check_escape(const char *in, const char *expected)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	hbctl_json_escape(f, in);
	fclose(f);
	assert_string_equal(buf, expected);
	free(buf);
}

static void test_escape(void **state)
{
	(void)state;
	check_escape("", "\"\"");
	check_escape("plain", "\"plain\"");
	check_escape("a\"b\\c", "\"a\\\"b\\\\c\"");
	check_escape("l1\nl2\r\t", "\"l1\\nl2\\r\\t\"");
	check_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6\"");
	/* invalid UTF-8: stray continuation, overlong, truncated, surrogate */
	check_escape("a\x80z", "\"a\\ufffdz\"");
	check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	check_escape("x\xe2\x82", "\"x\\ufffd\\ufffd\"");
	check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	check_escape("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_writer(void **state)
{
	struct hbctl_json js;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	hbctl_json_init(&js, f);
	hbctl_json_obj_begin(&js, NULL);
	hbctl_json_bool(&js, "ok", 1);
	hbctl_json_arr_begin(&js, "list");
	hbctl_json_obj_begin(&js, NULL);
	hbctl_json_str(&js, "name", "b\"1");
	hbctl_json_int(&js, "n", -42);
	hbctl_json_obj_end(&js);
	hbctl_json_obj_begin(&js, NULL);
	hbctl_json_null(&js, "x");
	hbctl_json_str(&js, "s", NULL);
	hbctl_json_obj_end(&js);
	hbctl_json_arr_end(&js);
	hbctl_json_arr_begin(&js, "empty");
	hbctl_json_arr_end(&js);
	hbctl_json_bool(&js, "no", 0);
	hbctl_json_obj_end(&js);
	hbctl_json_finish(&js);
	fclose(f);
	assert_string_equal(buf, "{\"ok\":true,\"list\":[{\"name\":\"b\\\"1\",\"n\":-42},"
			    "{\"x\":null,\"s\":null}],\"empty\":[],\"no\":false}\n");
	free(buf);
}

static void test_duration(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(hbctl_format_duration(-1, buf, sizeof(buf)), "-");
	assert_string_equal(hbctl_format_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(hbctl_format_duration(59, buf, sizeof(buf)), "59s");
	assert_string_equal(hbctl_format_duration(192, buf, sizeof(buf)), "3m12s");
	assert_string_equal(hbctl_format_duration(7500, buf, sizeof(buf)), "2h05m");
	assert_string_equal(hbctl_format_duration(356400, buf, sizeof(buf)), "4d03h");
	assert_string_equal(hbctl_format_duration(5, buf, 2), "5");	/* truncated, terminated */
}

static void test_printable(void **state)
{
	char buf[8];

	(void)state;
	assert_string_equal(hbctl_printable("a\nb\x1b[", buf, sizeof(buf)), "a?b?[");
	assert_string_equal(hbctl_printable("0123456789", buf, sizeof(buf)), "0123456");
	assert_string_equal(hbctl_printable(NULL, buf, sizeof(buf)), "");
	assert_string_equal(hbctl_printable("x", buf, 0), "");
}

static void test_glob_escape(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(hbctl_glob_escape("hb:director:", buf, sizeof(buf)), 12);
	assert_string_equal(buf, "hb:director:");
	assert_int_equal(hbctl_glob_escape("a*b?[c]\\", buf, sizeof(buf)), 13);
	assert_string_equal(buf, "a\\*b\\?\\[c\\]\\\\");
	assert_int_equal(hbctl_glob_escape("abcd", buf, 4), 0);
	assert_int_equal(hbctl_glob_escape("abc", buf, 4), 3);
	assert_int_equal(hbctl_glob_escape("ab*", buf, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_glob_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
