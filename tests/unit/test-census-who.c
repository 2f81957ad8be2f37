/* test-census-who.c - user names from doveadm "who" replies for the session
 * census (director/census-who.c): the normal shape, Dovecot 2.3.19's broken
 * nesting for several users, normalisation and de-duplication, and
 * malformed or hostile replies, which must be refused or skipped safely. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "census-who.h"

static int parse(const char *body, struct census_who *who)
{
	char err[256] = "";
	int ret = census_who_parse(body, strlen(body), "+", who, err, sizeof(err));

	if (ret < 0)
		assert_true(err[0] != '\0');
	return ret;
}

static void test_one_user(void **state)
{
	struct census_who who;

	assert_int_equal(parse("[[\"doveadmResponse\",[{\"username\":\"Alice@Example.com\","
			       "\"connections\":\"2\",\"service\":\"imap\",\"pids\":\"(1 2)\","
			       "\"ips\":\"(127.0.0.1)\"}],\"hb-census\"]]", &who), 0);
	assert_int_equal(who.count, 1);
	assert_string_equal(who.users[0], "alice@example.com");
	assert_int_equal(who.sessions, 2);
	census_who_free(&who);
}

static void test_empty(void **state)
{
	struct census_who who;

	assert_int_equal(parse("[[\"doveadmResponse\",[],\"t\"]]", &who), 0);
	assert_int_equal(who.count, 0);
	assert_int_equal(who.sessions, 0);
	census_who_free(&who);
	/* "no user matched" is an empty census, not an error */
	assert_int_equal(parse("[[\"error\",{\"type\":\"exitCode\",\"exitCode\":68},\"t\"]]", &who), 0);
	assert_int_equal(who.count, 0);
	census_who_free(&who);
}

/* 2.3.19: the result array is closed after the first entry */
static void test_broken_nesting(void **state)
{
	struct census_who who;

	assert_int_equal(parse("[[\"doveadmResponse\",[{\"username\":\"c@d\",\"connections\":\"1\"}],"
			       "{\"username\":\"a@d\",\"connections\":\"1\"},"
			       "{\"username\":\"b+tag@d\",\"connections\":\"3\"},\"t\"]]", &who), 0);
	assert_int_equal(who.count, 3);
	assert_string_equal(who.users[0], "a@d");
	assert_string_equal(who.users[1], "b@d");
	assert_string_equal(who.users[2], "c@d");
	assert_int_equal(who.sessions, 5);
	census_who_free(&who);
}

static void test_duplicates_and_invalid(void **state)
{
	struct census_who who;

	assert_int_equal(parse("[[\"doveadmResponse\",[{\"username\":\"u@d\",\"connections\":\"1\"},"
			       "{\"username\":\"U@D\",\"connections\":\"1\"},"
			       "{\"username\":\"u+x@d\",\"connections\":\"1\"},"
			       "{\"username\":\"bad user\"},{\"username\":\"\"},{\"username\":7},"
			       "{\"service\":\"imap\"},\"stray\",12,null],\"t\"]]", &who), 0);
	assert_int_equal(who.count, 1);
	assert_string_equal(who.users[0], "u@d");
	assert_int_equal(who.invalid, 4);
	assert_int_equal(who.sessions, 7);
	census_who_free(&who);
}

static void test_strange_connections(void **state)
{
	struct census_who who;

	assert_int_equal(parse("[[\"doveadmResponse\",[{\"username\":\"a\",\"connections\":\"-5\"},"
			       "{\"username\":\"b\",\"connections\":1e300},"
			       "{\"username\":\"c\",\"connections\":\"99999999999\"},"
			       "{\"username\":\"d\",\"connections\":4}],\"t\"]]", &who), 0);
	assert_int_equal(who.count, 4);
	assert_int_equal(who.sessions, 7);
	census_who_free(&who);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "garbage", "{}", "[]", "[[]]", "[{}]", "[[1,2]]", "[[\"doveadmResponse\"]]",
		"[[\"doveadmResponse\",[{\"username\":\"a\"}]", /* truncated */
		"[[\"doveadmResponse\",[{\"username\":\"a\"}],\"t\"]] trailing",
		"[[\"error\",{\"type\":\"exitCode\",\"exitCode\":75},\"t\"]]",
		"[[\"error\",{\"type\":\"authFailed\"},\"t\"]]",
		"[[\"somethingElse\",[],\"t\"]]",
		"[[\"doveadmResponse\",[{\"username\":\"a\\u0000b\"}],\"t\"]]",
	};
	struct census_who who;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &who), -1);
		assert_int_equal(who.count, 0);
		assert_null(who.users);
	}
}

static void test_deep_nesting(void **state)
{
	char body[512];
	struct census_who who;
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		body[n++] = '[';
	body[n] = '\0';
	assert_int_equal(parse(body, &who), -1);
}

static void test_many_users(void **state)
{
	size_t users = 3000, size = users * 48 + 64, n = 0;
	char *body = malloc(size);
	struct census_who who;

	assert_non_null(body);
	n += (size_t)snprintf(body + n, size - n, "[[\"doveadmResponse\",[");
	for (size_t i = 0; i < users; i++)
		n += (size_t)snprintf(body + n, size - n, "%s{\"username\":\"user%zu@d\"}",
				      i == 0 ? "" : ",", i);
	snprintf(body + n, size - n, "],\"t\"]]");
	assert_int_equal(parse(body, &who), 0);
	assert_int_equal(who.count, users);
	for (size_t i = 1; i < who.count; i++)
		assert_true(strcmp(who.users[i - 1], who.users[i]) < 0);
	census_who_free(&who);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_user),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_broken_nesting),
		cmocka_unit_test(test_duplicates_and_invalid),
		cmocka_unit_test(test_strange_connections),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_many_users),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
