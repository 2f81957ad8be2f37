/* test-hbctl-args.c - hbctl's command-line parser (cli/args.c): options in
 * any position, value ranges for ports and weight, unknown and misplaced
 * options, the lock census options, and the per-command allowed-option
 * check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "args.h"

static int parse(struct hbctl_args *args, char *err, const char *const *argv, int argc)
{
	return hbctl_args_parse(argc, (char *const *)argv, args, err, 256);
}

static void test_global_and_words(void **state)
{
	const char *argv[] = { "-c", "/tmp/x.conf", "backend", "--json", "list" };
	struct hbctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, argv, 5), 0);
	assert_string_equal(a.config_path, "/tmp/x.conf");
	assert_true(a.json);
	assert_int_equal(a.word_count, 2);
	assert_string_equal(a.words[0], "backend");
	assert_string_equal(a.words[1], "list");
	assert_int_equal(hbctl_args_check(&a, 0, err, sizeof(err)), 0);
}

static void test_add_options(void **state)
{
	const char *argv[] = { "backend", "add", "b1", "127.0.0.2", "--imap-port", "1143",
			       "--doveadm-port", "8080", "--weight", "0", "--lmtp-port", "65535" };
	struct hbctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, argv, 12), 0);
	assert_int_equal(a.word_count, 4);
	assert_true(a.port_set[HB_SERVICE_IMAP]);
	assert_int_equal(a.ports[HB_SERVICE_IMAP], 1143);
	assert_int_equal(a.ports[HB_SERVICE_DOVEADM], 8080);
	assert_int_equal(a.ports[HB_SERVICE_LMTP], 65535);
	assert_false(a.port_set[HB_SERVICE_POP3]);
	assert_true(a.weight_set);
	assert_int_equal(a.weight, 0);
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_PORTS | HBCTL_OPT_WEIGHT, err, 256), 0);
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_FORCE, err, 256), -1);
	assert_non_null(strstr(err, "port options"));
}

static void expect_error(const char *const *argv, int argc, const char *needle)
{
	struct hbctl_args a;
	char err[256] = "";

	assert_int_equal(parse(&a, err, argv, argc), -1);
	assert_non_null(strstr(err, needle));
}

static void test_bad_values(void **state)
{
	const char *port0[] = { "--imap-port", "0" };
	const char *port_big[] = { "--pop3-port", "65536" };
	const char *port_neg[] = { "--sieve-port", "-1" };
	const char *port_txt[] = { "--submission-port", "25x" };
	const char *port_empty[] = { "--imap-port", "" };
	const char *port_huge[] = { "--imap-port", "99999999999999999999" };
	const char *weight[] = { "--weight", "1001" };
	const char *missing[] = { "backend", "add", "--weight" };
	const char *unknown[] = { "--frobnicate" };
	const char *unknown_port[] = { "--smtp-port", "25" };
	const char *empty_conf[] = { "-c", "" };

	(void)state;
	expect_error(port0, 2, "1..65535");
	expect_error(port_big, 2, "1..65535");
	expect_error(port_neg, 2, "1..65535");
	expect_error(port_txt, 2, "1..65535");
	expect_error(port_empty, 2, "1..65535");
	expect_error(port_huge, 2, "1..65535");
	expect_error(weight, 2, "0..1000");
	expect_error(missing, 3, "needs a value");
	expect_error(unknown, 1, "unknown option");
	expect_error(unknown_port, 2, "unknown option");
	expect_error(empty_conf, 2, "empty");
}

static void test_force_help_and_dashdash(void **state)
{
	const char *argv[] = { "backend", "remove", "--force", "-h", "--", "--odd-name" };
	struct hbctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, argv, 6), 0);
	assert_true(a.force);
	assert_true(a.help);
	assert_int_equal(a.word_count, 3);
	assert_string_equal(a.words[2], "--odd-name");
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_FORCE, err, 256), 0);
	assert_int_equal(hbctl_args_check(&a, 0, err, 256), -1);
	assert_non_null(strstr(err, "--force"));
}

static void test_too_many_words(void **state)
{
	const char *argv[HBCTL_MAX_WORDS + 1];
	struct hbctl_args a;
	char err[256] = "";

	(void)state;
	for (int i = 0; i <= HBCTL_MAX_WORDS; i++)
		argv[i] = "w";
	assert_int_equal(parse(&a, err, argv, HBCTL_MAX_WORDS), 0);
	expect_error(argv, HBCTL_MAX_WORDS + 1, "too many");
}

static void test_mailbox_options(void **state)
{
	const char *argv[] = { "user", "add", "a@b.example", "--password-file", "/tmp/pw",
			       "--quota", "2G" };
	const char *empty[] = { "user", "add", "a@b.example", "--quota", "" };
	const char *missing[] = { "user", "add", "a@b.example", "--password-file" };
	struct hbctl_args a;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&a, err, argv, 7), 0);
	assert_string_equal(a.password_file, "/tmp/pw");
	assert_string_equal(a.quota, "2G");
	assert_int_equal(a.word_count, 3);
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_PASSWORD_FILE | HBCTL_OPT_QUOTA, err, 256), 0);
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_QUOTA, err, 256), -1);
	assert_non_null(strstr(err, "--password-file"));
	assert_int_equal(hbctl_args_check(&a, 0, err, 256), -1);
	expect_error(empty, 5, "empty value");
	expect_error(missing, 4, "needs a value");
}

static void test_census_options(void **state)
{
	const char *argv[] = { "locks", "--mail-root", "/srv/a", "--warn-waiters", "3",
			       "--mail-root", "/srv/b", "--crit-age", "100000000",
			       "--prometheus", "/x.prom", "--proc-locks", "/p" };
	const char *bad_zero[] = { "locks", "--warn-locks", "0" };
	const char *bad_big[] = { "locks", "--crit-age", "100000001" };
	const char *bad_empty[] = { "locks", "--mail-root", "" };
	const char *missing[] = { "locks", "--crit-locks" };
	struct hbctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, argv, 13), 0);
	assert_int_equal(a.census.mail_root_count, 2);
	assert_string_equal(a.census.mail_roots[1], "/srv/b");
	assert_int_equal(a.census.warn_waiters, 3);
	assert_int_equal(a.census.crit_age, 100000000);
	assert_int_equal(a.census.set, (1U << 2) | (1U << 5));
	assert_string_equal(a.census.prometheus, "/x.prom");
	assert_string_equal(a.census.proc_locks, "/p");
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_CENSUS, err, sizeof(err)), 0);
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_FORCE, err, sizeof(err)), -1);
	assert_string_equal(err, "lock census options are only valid with hbctl locks");
	assert_int_equal(parse(&a, err, bad_zero, 3), -1);
	assert_string_equal(err, "--warn-locks: must be 1..100000000");
	assert_int_equal(parse(&a, err, bad_big, 3), -1);
	assert_int_equal(parse(&a, err, bad_empty, 3), -1);
	assert_string_equal(err, "--mail-root: empty value");
	assert_int_equal(parse(&a, err, missing, 2), -1);
	assert_string_equal(err, "--crit-locks needs a value");
}

static void test_census_publish(void **state)
{
	const char *argv[] = { "locks", "--publish", "mail-1.dc1", "--publish-ttl", "45",
			       "-c", "/etc/hb.conf" };
	const char *bad_name[] = { "locks", "--publish", "a/b" };
	const char *bad_ttl[] = { "locks", "--publish", "m1", "--publish-ttl", "0" };
	struct hbctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, argv, 7), 0);
	assert_string_equal(a.census.publish, "mail-1.dc1");
	assert_int_equal(a.census.publish_ttl, 45);
	assert_string_equal(a.config_path, "/etc/hb.conf");
	assert_int_equal(hbctl_args_check(&a, HBCTL_OPT_CENSUS, err, sizeof(err)), 0);
	assert_int_equal(parse(&a, err, bad_name, 3), -1);
	assert_string_equal(err, "--publish: invalid backend name");
	assert_int_equal(parse(&a, err, bad_ttl, 5), -1);
	assert_string_equal(err, "--publish-ttl: must be 1..100000000");
}

static void test_parse_uint(void **state)
{
	unsigned int v;

	(void)state;
	assert_int_equal(hbctl_parse_uint("0", 0, 1000, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hbctl_parse_uint("1000", 0, 1000, &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(hbctl_parse_uint("1001", 0, 1000, &v), -1);
	assert_int_equal(hbctl_parse_uint("+5", 0, 1000, &v), -1);
	assert_int_equal(hbctl_parse_uint(" 5", 0, 1000, &v), -1);
	assert_int_equal(hbctl_parse_uint("", 0, 1000, &v), -1);
	assert_int_equal(hbctl_parse_uint(NULL, 0, 1000, &v), -1);
	assert_int_equal(hbctl_parse_uint("4294967296", 0, 4294967295u, &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_and_words),
		cmocka_unit_test(test_add_options),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_force_help_and_dashdash),
		cmocka_unit_test(test_too_many_words),
		cmocka_unit_test(test_mailbox_options),
		cmocka_unit_test(test_census_options),
		cmocka_unit_test(test_census_publish),
		cmocka_unit_test(test_parse_uint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
