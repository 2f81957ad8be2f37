/* test-hbctl-json.c - the JSON reader for doveadm replies (lib/hb-json.c):
 * well-formed documents, escapes and surrogates, and every kind of
 * malformed or oversized input, which must be rejected with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hb-json.h"

static struct hb_jdoc *parse_ok(const char *text)
{
	struct hb_jdoc *doc;
	char err[128];

	if (hb_json_parse(text, strlen(text), &doc, err, sizeof(err)) < 0)
		fail_msg("parse failed for %s: %s", text, err);
	return doc;
}

static void test_structure(void **state)
{
	struct hb_jdoc *doc = parse_ok(" [ {\"a\": 1, \"b\": [true, false, null], \"c\": \"x\"},"
					  " -1.5e2, \"\" ] ");
	const struct hb_jnode *root = hb_json_root(doc), *obj, *n;

	(void)state;
	assert_int_equal(root->type, HB_JARRAY);
	assert_int_equal(root->children, 3);
	obj = hb_json_first(doc, root);
	assert_int_equal(obj->type, HB_JOBJECT);
	n = hb_json_get(doc, obj, "a");
	assert_int_equal(n->type, HB_JNUMBER);
	assert_true(n->number == 1);
	n = hb_json_get(doc, obj, "b");
	assert_int_equal(n->children, 3);
	assert_int_equal(hb_json_first(doc, n)->type, HB_JBOOL);
	assert_true(hb_json_first(doc, n)->boolean);
	assert_string_equal(hb_json_get(doc, obj, "c")->str, "x");
	assert_null(hb_json_get(doc, obj, "zz"));
	assert_null(hb_json_get(doc, root, "a"));
	n = hb_json_next(doc, obj);
	assert_true(n->number == -150);
	n = hb_json_next(doc, n);
	assert_string_equal(n->str, "");
	assert_null(hb_json_next(doc, n));
	hb_json_free(&doc);
	assert_null(doc);
}

static void test_strings(void **state)
{
	struct hb_jdoc *doc = parse_ok("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
					  "\"\\u00e9\\u20ac\\ud83d\\udc26\", \"caf\xc3\xa9\"]");
	const struct hb_jnode *n = hb_json_first(doc, hb_json_root(doc));

	(void)state;
	assert_string_equal(n->str, "a\"b\\c/d\b\f\n\r\t");
	n = hb_json_next(doc, n);
	assert_string_equal(n->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa6");
	n = hb_json_next(doc, n);
	assert_string_equal(n->str, "caf\xc3\xa9");
	hb_json_free(&doc);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", "[", "]", "{", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{a:1}",
		"{\"a\":1,}", "[1 2]", "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\u12g4\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u0000\"",
		"\"tab\there\"", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "falsey",
		"[1] [2]", "{} x", "[\"a\",", "NaN", "[1e999999999999999999999999999999999999999999999999999999999999999]",
	};
	struct hb_jdoc *doc;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (hb_json_parse(bad[i], strlen(bad[i]), &doc, err, sizeof(err)) == 0)
			fail_msg("accepted malformed JSON: %s", bad[i]);
		assert_null(doc);
		assert_true(err[0] != '\0');
	}
}

static void test_embedded_nul(void **state)
{
	struct hb_jdoc *doc;
	char err[128];

	(void)state;
	assert_int_equal(hb_json_parse("[1]\0", 4, &doc, err, sizeof(err)), -1);
	assert_int_equal(hb_json_parse("[\"a\0b\"]", 7, &doc, err, sizeof(err)), -1);
}

static void test_limits(void **state)
{
	struct hb_jdoc *doc;
	char err[128];
	char deep[HB_JSON_MAX_NESTING * 2 + 8];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < HB_JSON_MAX_NESTING + 2; i++)
		deep[n++] = '[';
	for (int i = 0; i < HB_JSON_MAX_NESTING + 2; i++)
		deep[n++] = ']';
	assert_int_equal(hb_json_parse(deep, n, &doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "deeply"));

	/* too many values */
	size_t len = HB_JSON_MAX_NODES * 2 + 2;
	char *many = malloc(len + 1);
	many[0] = '[';
	for (size_t i = 0; i < HB_JSON_MAX_NODES; i++) {
		many[1 + 2 * i] = '0';
		many[2 + 2 * i] = ',';
	}
	many[len - 1] = ']';
	many[len - 2] = '0';
	assert_int_equal(hb_json_parse(many, len, &doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many"));
	free(many);

	/* too large */
	assert_int_equal(hb_json_parse("[]", HB_JSON_MAX_TEXT + 1, &doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
