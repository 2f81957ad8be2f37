/* test-hb-domain-list.c - cmocka tests of lib/hb-domain-list.c, the parser of
 * socketmap_domains: commas and white space separate, names are matched
 * exactly after the same IDN and case normalisation as hosted domains, a bad
 * name refuses the whole list with its reason, an empty list matches nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hb-domain-list.h"

static struct hb_domain_list *parse_ok(const char *text)
{
	struct hb_domain_list *list = NULL;
	char err[256] = "";

	if (hb_domain_list_parse(text, &list, err, sizeof(err)) < 0)
		fail_msg("'%s' refused: %s", text, err);
	assert_non_null(list);
	return list;
}

static void expect_refused(const char *text, const char *reason_part)
{
	struct hb_domain_list *list = (struct hb_domain_list *)1;
	char err[256] = "";

	assert_int_equal(hb_domain_list_parse(text, &list, err, sizeof(err)), -1);
	assert_null(list);
	if (strstr(err, reason_part) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", text, err, reason_part);
}

static void test_separators(void **state)
{
	struct hb_domain_list *list = parse_ok(" a.example,b.example \tc.example ,, d.example,");

	(void)state;
	assert_int_equal(hb_domain_list_count(list), 4);
	assert_true(hb_domain_list_contains(list, "a.example"));
	assert_true(hb_domain_list_contains(list, "b.example"));
	assert_true(hb_domain_list_contains(list, "c.example"));
	assert_true(hb_domain_list_contains(list, "d.example"));
	assert_false(hb_domain_list_contains(list, "e.example"));
	hb_domain_list_free(&list);
	assert_null(list);
}

/* exact names only: no subdomains, no parents, no prefixes */
static void test_exact_match(void **state)
{
	struct hb_domain_list *list = parse_ok("example.org");

	(void)state;
	assert_true(hb_domain_list_contains(list, "example.org"));
	assert_false(hb_domain_list_contains(list, "sub.example.org"));
	assert_false(hb_domain_list_contains(list, "org"));
	assert_false(hb_domain_list_contains(list, "example.or"));
	assert_false(hb_domain_list_contains(list, "xexample.org"));
	assert_false(hb_domain_list_contains(list, ""));
	hb_domain_list_free(&list);
}

/* stored in the form the socketmap compares: lower-case A-labels */
static void test_normalised(void **state)
{
	struct hb_domain_list *list = parse_ok("Example.COM, bücher.example, trailing.example.");

	(void)state;
	assert_true(hb_domain_list_contains(list, "example.com"));
	assert_true(hb_domain_list_contains(list, "xn--bcher-kva.example"));
	assert_true(hb_domain_list_contains(list, "trailing.example"));
	assert_false(hb_domain_list_contains(list, "Example.COM"));
	assert_false(hb_domain_list_contains(list, "bücher.example"));
	hb_domain_list_free(&list);
}

static void test_duplicates(void **state)
{
	struct hb_domain_list *list =
		parse_ok("b.example a.example B.EXAMPLE xn--bcher-kva.example bücher.example a.example");

	(void)state;
	assert_int_equal(hb_domain_list_count(list), 3);
	assert_true(hb_domain_list_contains(list, "a.example"));
	assert_true(hb_domain_list_contains(list, "b.example"));
	assert_true(hb_domain_list_contains(list, "xn--bcher-kva.example"));
	hb_domain_list_free(&list);
}

static void test_empty(void **state)
{
	struct hb_domain_list *list = parse_ok("");

	(void)state;
	assert_int_equal(hb_domain_list_count(list), 0);
	assert_false(hb_domain_list_contains(list, "example.com"));
	hb_domain_list_free(&list);
	list = parse_ok(" , \t,");
	assert_int_equal(hb_domain_list_count(list), 0);
	hb_domain_list_free(&list);
	assert_false(hb_domain_list_contains(NULL, "example.com"));
	assert_int_equal(hb_domain_list_count(NULL), 0);
	hb_domain_list_free(&list);	/* NULL: nothing to do */
}

/* one bad name refuses the list (a typo must not silently drop a domain) */
static void test_refused(void **state)
{
	char big[1100];

	(void)state;
	expect_refused("good.example, localhost", "'localhost'");
	expect_refused("a.example bad_name.example", "'bad_name.example'");
	expect_refused("-x.example", "'-x.example'");
	expect_refused("user@example.com", "'user@example.com'");
	expect_refused("example.123", "'example.123'");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '.';
	expect_refused(big, "invalid domain");
}

/* a large list stays sorted and searchable */
static void test_many(void **state)
{
	char text[40000] = "", name[32];
	struct hb_domain_list *list;

	(void)state;
	for (int i = 999; i >= 0; i--) {
		snprintf(name, sizeof(name), "d%d.example,", i);
		strcat(text, name);
	}
	list = parse_ok(text);
	assert_int_equal(hb_domain_list_count(list), 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "d%d.example", i);
		assert_true(hb_domain_list_contains(list, name));
	}
	assert_false(hb_domain_list_contains(list, "d1000.example"));
	hb_domain_list_free(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_exact_match),
		cmocka_unit_test(test_normalised),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
