/* test-director-userdb.c - cmocka tests of plugins/auth/director-userdb.c:
 * the USERDB request line and every reply the module must accept or refuse
 * (docs/DOMAINS.md, 6).  Needs no Dovecot and no running service. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "director-userdb.h"
#include "director-reply.h"

#define HASH "{SHA512-CRYPT}$6$salt$hash"

static int parse(const char *text, struct director_userdb_reply *r, const char **error_r)
{
	static char line[DIRECTOR_PROTO_MAX_LINE * 2];

	assert_true(strlen(text) < sizeof(line));
	strcpy(line, text);
	return director_userdb_parse(line, "5", r, error_r);
}

static void expect_bad(const char *text)
{
	struct director_userdb_reply r;
	const char *error = NULL;

	if (parse(text, &r, &error) != -1)
		fail_msg("accepted: %s", text);
	assert_non_null(error);
}

static void test_build(void **state)
{
	char buf[DIRECTOR_PROTO_MAX_LINE + 2];
	const char *error;

	assert_int_equal(director_userdb_request_build(buf, sizeof(buf), "5", "a@b.example",
						       &error), 21);
	assert_string_equal(buf, "USERDB\t5\ta@b.example\n");
	assert_int_equal(director_userdb_request_build(buf, sizeof(buf), "5", "a b", &error), -1);
	assert_int_equal(director_userdb_request_build(buf, sizeof(buf), "5", "a\tb", &error), -1);
	assert_int_equal(director_userdb_request_build(buf, sizeof(buf), "5", "", &error), -1);
	assert_int_equal(director_userdb_request_build(buf, sizeof(buf), "a b", "u", &error), -1);
	assert_int_equal(director_userdb_request_build(buf, 10, "5", "a@b.example", &error), -1);
}

static void test_user(void **state)
{
	struct director_userdb_reply r;
	const char *error;

	assert_int_equal(parse("USER\t5\tuser=a@b.example\tpassword=" HASH
			       "\tquota_rule=*:storage=1500B", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_USERDB_USER);
	assert_string_equal(r.user, "a@b.example");
	assert_string_equal(r.password, HASH);
	assert_string_equal(r.quota_rule, "*:storage=1500B");
	/* unlimited: no quota_rule; unknown fields are ignored */
	assert_int_equal(parse("USER\t5\tuser=a@b.example\tpassword=" HASH "\tnew=1", &r, &error), 0);
	assert_null(r.quota_rule);
}

static void test_other_types(void **state)
{
	struct director_userdb_reply r;
	const char *error;

	assert_int_equal(parse("NOUSER\t5", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_USERDB_NOUSER);
	assert_int_equal(parse("DISABLED\t5\tmailbox suspended", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_USERDB_DISABLED);
	assert_string_equal(r.reason, "mailbox suspended");
	assert_int_equal(parse("TEMPFAIL\t5\tRedis unavailable\tmore", &r, &error), 0);
	assert_string_equal(r.reason, "Redis unavailable\tmore");
	assert_int_equal(parse("FAIL\t5\tnot an address", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_USERDB_FAIL);
	assert_int_equal(parse("ERROR\t-\tline too long", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_USERDB_ERROR);
	assert_int_equal(parse("DISABLED\t5", &r, &error), 0);
	assert_string_equal(r.reason, "");
}

static void test_malformed(void **state)
{
	expect_bad("");
	expect_bad("USER");
	expect_bad("USER\t6\tuser=a@b.example\tpassword=" HASH);         /* other id */
	expect_bad("NOUSER\t-");                                          /* "-" only for ERROR */
	expect_bad("user\t5\tuser=a@b.example\tpassword=" HASH);
	expect_bad("USER\t5\tpassword=" HASH);                            /* no user */
	expect_bad("USER\t5\tuser=\tpassword=" HASH);
	expect_bad("USER\t5\tuser=a@b.example");                          /* no password */
	expect_bad("USER\t5\tuser=a@b.example\tpassword=plain");          /* no {SCHEME} */
	expect_bad("USER\t5\tuser=a@b.example\tpassword={SHA");
	expect_bad("USER\t5\tuser=a@b.example\tpassword=" HASH "\tuser=c@d.example");
	expect_bad("USER\t5\tuser=a@b.example\tpassword=" HASH "\tquota_rule=");
	expect_bad("USER\t5\tuser=a@b.example\tpassword=" HASH "\tnovalue");
	expect_bad("USER\t5\tuser=a@b.example\tpassword=" HASH "\t=x");
	expect_bad("USER\t5\tuser=a@b.example\rX\tpassword=" HASH);
	expect_bad("NOUSER\t5\textra");
	expect_bad("USER\t5\tuser=a@b.example\tpassword=" HASH
		   "\ta=1\tb=2\tc=3\td=4\te=5\tf=6\tg=7\th=8\ti=9\tj=10\tk=11\tl=12\tm=13");
}

static void test_too_long(void **state)
{
	char text[DIRECTOR_PROTO_MAX_LINE + 100];

	strcpy(text, "TEMPFAIL\t5\t");
	memset(text + strlen(text), 'x', DIRECTOR_PROTO_MAX_LINE);
	text[DIRECTOR_PROTO_MAX_LINE + 11] = '\0';
	expect_bad(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
