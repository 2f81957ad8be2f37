/* test-admind-body.c - admind's strict JSON bodies (admin/body.c): the
 * fields of each schema are found; unknown, duplicate, mistyped, missing,
 * over-long and non-UTF-8 fields, and documents that are not one object,
 * are refused with 400; and the rule a new admin password must pass
 * (admin/password-rule.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"

static int parse(enum admind_endpoint ep, const char *text, struct admind_body *b,
		 struct admind_error *err)
{
	memset(err, 0, sizeof(*err));
	return admind_body_parse(admind_endpoint_schema(ep), text, strlen(text), b, err);
}

static void test_schemas(void **state)
{
	(void)state;
	assert_non_null(admind_endpoint_schema(ADMIND_EP_LOGIN));
	assert_non_null(admind_endpoint_schema(ADMIND_EP_USER_ADD));
	assert_non_null(admind_endpoint_schema(ADMIND_EP_ALIAS_ADD));
	assert_non_null(admind_endpoint_schema(ADMIND_EP_SENDER_ALLOW));
	assert_non_null(admind_endpoint_schema(ADMIND_EP_POLICY_SET));
	assert_null(admind_endpoint_schema(ADMIND_EP_USER_REMOVE));
	assert_null(admind_endpoint_schema(ADMIND_EP_LOGOUT));
	assert_null(admind_endpoint_schema(ADMIND_EP_DOMAIN_LIST));
}

static void test_good_bodies(void **state)
{
	struct admind_body b;
	struct admind_error err;
	const struct hb_jnode *it;

	(void)state;
	assert_int_equal(parse(ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":\"p\\u00e4ss\"}", &b, &err), 0);
	assert_string_equal(admind_body_str(&b, 0), "alice");
	assert_string_equal(admind_body_str(&b, 1), "p\xc3\xa4ss");
	admind_body_free(&b);
	assert_int_equal(parse(ADMIND_EP_USER_ADD, " { \"local\" : \"ann\" } ", &b, &err), 0);
	assert_string_equal(admind_body_str(&b, 0), "ann");
	assert_null(admind_body_str(&b, 1));
	assert_null(admind_body_str(&b, 2));
	admind_body_free(&b);
	assert_int_equal(parse(ADMIND_EP_ALIAS_ADD, "{\"targets\":[\"a@x.example\",\"b@x.example\"],\"local\":\"info\"}", &b, &err), 0);
	it = admind_body_items(&b, 1);
	assert_string_equal(it->str, "a@x.example");
	it = admind_body_next(&b, it);
	assert_string_equal(it->str, "b@x.example");
	assert_null(admind_body_next(&b, it));
	admind_body_free(&b);
	assert_int_equal(parse(ADMIND_EP_POLICY_SET, "{\"values\":{\"max_rcpt\":\"20\",\"quota\":\"1G\"}}", &b, &err), 0);
	it = admind_body_items(&b, 0);
	assert_string_equal(it->str, "max_rcpt");
	assert_string_equal(admind_body_next(&b, it)->str, "20");
	admind_body_free(&b);
}

static void test_bad_bodies(void **state)
{
	static const struct { enum admind_endpoint ep; const char *text; } cases[] = {
		{ ADMIND_EP_LOGIN, "" }, { ADMIND_EP_LOGIN, "null" }, { ADMIND_EP_LOGIN, "[]" },
		{ ADMIND_EP_LOGIN, "\"alice\"" }, { ADMIND_EP_LOGIN, "{}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":\"x\",\"extra\":1}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":\"x\",\"admin\":\"bob\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":\"x\",\"\\u0061dmin\":\"bob\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":1,\"password\":\"x\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":null}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":\"x\"} x" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"alice\",\"password\":\"x\"" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"al\\u0000ice\",\"password\":\"x\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"al\xff" "ice\",\"password\":\"x\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"al\xed\xa0\x80" "ice\",\"password\":\"x\"}" },
		{ ADMIND_EP_LOGIN, "{\"admin\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"password\":\"x\"}" },
		{ ADMIND_EP_USER_ADD, "{\"local\":\"ann\",\"domain\":\"b.example\"}" },
		{ ADMIND_EP_USER_ADD, "{\"local\":[\"ann\"]}" },
		{ ADMIND_EP_USER_ADD, "{\"local\":{\"x\":\"y\"}}" },
		{ ADMIND_EP_USER_ADD, "{\"local\":\"ann\",\"quota\":5}" },
		{ ADMIND_EP_ALIAS_ADD, "{\"local\":\"info\",\"targets\":[]}" },
		{ ADMIND_EP_ALIAS_ADD, "{\"local\":\"info\",\"targets\":\"a@x.example\"}" },
		{ ADMIND_EP_ALIAS_ADD, "{\"local\":\"info\",\"targets\":[1]}" },
		{ ADMIND_EP_ALIAS_ADD, "{\"local\":\"info\",\"targets\":[[\"a@x.example\"]]}" },
		{ ADMIND_EP_ALIAS_ADD, "{\"local\":\"info\",\"targets\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\"]}" },
		{ ADMIND_EP_POLICY_SET, "{\"values\":{}}" },
		{ ADMIND_EP_POLICY_SET, "{\"values\":{\"max_rcpt\":20}}" },
		{ ADMIND_EP_POLICY_SET, "{\"values\":{\"max_rcpt\":\"20\",\"max_rcpt\":\"500\"}}" },
		{ ADMIND_EP_POLICY_SET, "{\"values\":[\"max_rcpt\",\"20\"]}" },
		{ ADMIND_EP_POLICY_SET, "{\"values\":{\"max_rcpt\":\"20\"},\"domain\":\"b.example\"}" },
		{ ADMIND_EP_SENDER_ALLOW, "{\"sender\":\"x@y.example\",\"sender\":\"z@y.example\"}" },
	};
	struct admind_body b;
	struct admind_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].ep, cases[i].text, &b, &err) != -1 || err.status != 400)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		assert_string_equal(err.code, "bad_body");
		assert_null(b.doc);
	}
}

static void test_nul_in_text(void **state)
{
	static const char text[] = "{\"admin\":\"a\",\"password\":\"x\"}\0{\"x\":1}";
	struct admind_body b;
	struct admind_error err;

	(void)state;
	assert_int_equal(admind_body_parse(admind_endpoint_schema(ADMIND_EP_LOGIN), text,
					   sizeof(text) - 1, &b, &err), -1);
}

/* The rule of a new admin password (admin/password-rule.c). */
static void test_password_rule(void **state)
{
	static const struct {
		const char *name, *old, *new_pw;
		int ok;
	} cases[] = {
		{ "alice", "old password 1", "a much longer one", 1 },
		{ "alice", "old password 1", "eleven char", 0 },		/* 11 characters */
		{ "alice", "old password 1", "twelve chars", 1 },		/* 12 */
		{ "alice", "old password 1", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 0 },	/* 22 bytes, 11 characters */
		{ "alice", "old password 1", "old password 1", 0 },		/* the old one */
		{ "alice", "old password 1", "my name is ALICE ok", 0 },	/* the name, any case */
		{ "alice", "old password 1", "alicealicealice", 0 },
		{ "al", "old password 1", "a long passphrase", 1 },	/* "al" is not in it */
	};
	struct admind_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		int ret = admind_password_rule(cases[i].name, cases[i].old, cases[i].new_pw, &err);

		if (cases[i].ok) {
			assert_int_equal(ret, 0);
		} else {
			assert_int_equal(ret, -1);
			assert_int_equal(err.status, 422);
			assert_string_equal(err.code, "bad_value");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_rule),
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_good_bodies),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_nul_in_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
