/* test-director-reply.c - cmocka tests of the passdb module's director
 * protocol code (director-reply.c): request building and every malformed
 * reply we can think of.  Needs no Dovecot and no running service. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "director-reply.h"

static int parse(const char *text, const char *id, struct director_reply *r,
		 const char **error_r)
{
	static char line[DIRECTOR_PROTO_MAX_LINE * 2];

	assert_true(strlen(text) < sizeof(line));
	strcpy(line, text);
	return director_reply_parse(line, id, r, error_r);
}

static void test_build(void **state)
{
	char buf[DIRECTOR_PROTO_MAX_LINE + 2];
	const char *error;

	assert_int_equal(director_request_build(buf, sizeof(buf), "7", "imap",
						"u@example.com", &error), 28);
	assert_string_equal(buf, "LOOKUP\t7\timap\tu@example.com\n");
	assert_true(director_request_build(buf, sizeof(buf), "1",
					   "managesieve", "u", &error) > 0);
	assert_string_equal(buf, "LOOKUP\t1\tsieve\tu\n");
}

static void test_build_bad(void **state)
{
	char buf[DIRECTOR_PROTO_MAX_LINE + 2], user[300];
	const char *error;

	assert_int_equal(director_request_build(buf, sizeof(buf), "1", "imap",
						"a\tb", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf), "1", "imap",
						"a\nLOOKUP", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf), "1", "imap",
						"a b", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf), "1", "imap",
						"", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf), "1", "smtp",
						"u", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf), "1", NULL,
						"u", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf), "a b",
						"imap", "u", &error), -1);
	assert_int_equal(director_request_build(buf, sizeof(buf),
		"123456789012345678901234567890123", "imap", "u", &error), -1);
	memset(user, 'x', 256);
	user[256] = '\0';
	assert_int_equal(director_request_build(buf, sizeof(buf), "1", "imap",
						user, &error), -1);
	user[255] = '\0';
	assert_int_equal(director_request_build(buf, 16, "1", "imap", user,
						&error), -1);
}

static void test_ok(void **state)
{
	struct director_reply r;
	const char *error;

	assert_int_equal(parse("OK\t9\tb1\t127.0.0.2\t1143", "9", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_REPLY_OK);
	assert_string_equal(r.backend, "b1");
	assert_string_equal(r.host, "127.0.0.2");
	assert_string_equal(r.port, "1143");
	assert_int_equal(parse("OK\t9\tb1\t::1\t65535", "9", &r, &error), 0);
	assert_string_equal(r.host, "::1");
}

static void test_fail_types(void **state)
{
	struct director_reply r;
	const char *error;

	assert_int_equal(parse("TEMPFAIL\t3\tno usable backend", "3", &r,
			       &error), 0);
	assert_int_equal(r.type, DIRECTOR_REPLY_TEMPFAIL);
	assert_string_equal(r.reason, "no usable backend");
	assert_int_equal(parse("FAIL\t3\tbad user\twith tab", "3", &r,
			       &error), 0);
	assert_int_equal(r.type, DIRECTOR_REPLY_FAIL);
	assert_string_equal(r.reason, "bad user\twith tab");
	assert_int_equal(parse("FAIL\t3", "3", &r, &error), 0);
	assert_string_equal(r.reason, "");
	assert_int_equal(parse("ERROR\t-\tline too long", "3", &r, &error), 0);
	assert_int_equal(r.type, DIRECTOR_REPLY_ERROR);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "OK", "ok\t1\tb\t127.0.0.1\t143", "PONG\t1",
		"OK\t2\tb\t127.0.0.1\t143",	/* other id */
		"TEMPFAIL\t-\tx",		/* '-' only for ERROR */
		"OK\t1", "OK\t1\tb", "OK\t1\tb\t127.0.0.1",
		"OK\t1\tb\t127.0.0.1\t143\textra",
		"OK\t1\t\t127.0.0.1\t143",	/* empty backend */
		"OK\t1\tb\tmail.example.com\t143", /* not an IP */
		"OK\t1\tb\t127.0.0.1\t0", "OK\t1\tb\t127.0.0.1\t65536",
		"OK\t1\tb\t127.0.0.1\t-1", "OK\t1\tb\t127.0.0.1\t14x",
		"OK\t1\tb\t127.0.0.1\t0143", "OK\t1\tb\t127.0.0.1\t",
		"OK\t1\tb\t127.0.0.1 \t143", "OK\t1\tb\r\t127.0.0.1\t143",
		"TEMPFAIL\t1\tx\001y",
	};
	struct director_reply r;
	const char *error;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		if (parse(bad[i], "1", &r, &error) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(error);
	}
}

static void test_too_long(void **state)
{
	char line[DIRECTOR_PROTO_MAX_LINE + 20];
	struct director_reply r;
	const char *error;

	strcpy(line, "TEMPFAIL\t1\t");
	memset(line + 11, 'x', sizeof(line) - 12);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(director_reply_parse(line, "1", &r, &error), -1);
	line[DIRECTOR_PROTO_MAX_LINE] = '\0';
	assert_int_equal(director_reply_parse(line, "1", &r, &error), 0);
}

/* director-lookup.c matches replies to pipelined lookups by this id */
static void test_reply_id(void **state)
{
	char id[DIRECTOR_PROTO_MAX_ID + 1];
	char small[3];

	assert_int_equal(director_reply_id("OK\t17\tb1\t127.0.0.2\t143", id,
					   sizeof(id)), 0);
	assert_string_equal(id, "17");
	assert_int_equal(director_reply_id("TEMPFAIL\tab.C-9_", id,
					   sizeof(id)), 0);
	assert_string_equal(id, "ab.C-9_");
	assert_int_equal(director_reply_id("ERROR\t-\tline too long", id,
					   sizeof(id)), 0);
	assert_string_equal(id, "-");
	/* no id field, empty, invalid characters, too long */
	assert_int_equal(director_reply_id("OK", id, sizeof(id)), -1);
	assert_int_equal(director_reply_id("OK\t\tb1", id, sizeof(id)), -1);
	assert_int_equal(director_reply_id("OK\t1 2\tb1", id, sizeof(id)), -1);
	assert_int_equal(director_reply_id("OK\t--\tb1", id, sizeof(id)), 0);
	assert_int_equal(director_reply_id("OK\t1/2\tb1", id, sizeof(id)), -1);
	assert_int_equal(director_reply_id(
		"OK\t123456789012345678901234567890123\tb1", id, sizeof(id)), -1);
	assert_int_equal(director_reply_id(
		"OK\t12345678901234567890123456789012\tb1", id, sizeof(id)), 0);
	/* never more than the caller's buffer */
	assert_int_equal(director_reply_id("OK\t123\tb1", small,
					   sizeof(small)), -1);
	assert_int_equal(director_reply_id("OK\t12\tb1", small,
					   sizeof(small)), 0);
	assert_string_equal(small, "12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_bad),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_fail_types),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_reply_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
