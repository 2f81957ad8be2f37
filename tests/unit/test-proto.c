/* test-proto.c - cmocka tests of director/proto.c, the lookup protocol parser
 * (docs/DESIGN.md, 3): LOOKUP and PING parse; every malformed line gives
 * ERROR (id "-" when unreadable); a valid request for a bad user or unknown
 * service gives FAIL with the request's id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto.h"

static enum proto_parse_result parse(const char *line, struct proto_request *req,
				     const char **reason)
{
	*reason = NULL;
	return proto_parse_request(line, "+", req, reason);
}

/* LINE must be answered ERROR with request id ID. */
static void expect_error(const char *line, const char *id)
{
	struct proto_request req;
	const char *reason;

	if (parse(line, &req, &reason) != PROTO_PARSE_ERROR)
		fail_msg("'%.80s' was not an ERROR", line);
	assert_non_null(reason);
	assert_string_equal(req.id, id);
}

/* LINE must be answered FAIL with request id ID. */
static void expect_fail(const char *line, const char *id)
{
	struct proto_request req;
	const char *reason;

	if (parse(line, &req, &reason) != PROTO_PARSE_FAIL)
		fail_msg("'%.80s' was not a FAIL", line);
	assert_non_null(reason);
	assert_string_equal(req.id, id);
}

static void test_lookup_ok(void **state)
{
	struct proto_request req;
	const char *reason;

	assert_int_equal(parse("LOOKUP\t1\timap\tUser+Tag@Example.com", &req, &reason),
			 PROTO_PARSE_OK);
	assert_int_equal(req.command, PROTO_LOOKUP);
	assert_string_equal(req.id, "1");
	assert_int_equal(req.service, HB_SERVICE_IMAP);
	assert_string_equal(req.user, "user@example.com");
}

static void test_lookup_every_service(void **state)
{
	static const char *const lines[] = {
		"LOOKUP\ta\timap\tu@d", "LOOKUP\ta\tpop3\tu@d", "LOOKUP\ta\tlmtp\tu@d",
		"LOOKUP\ta\tsubmission\tu@d", "LOOKUP\ta\tsieve\tu@d",
		"LOOKUP\ta\tdoveadm\tu@d",
	};
	static const enum hb_service services[] = {
		HB_SERVICE_IMAP, HB_SERVICE_POP3, HB_SERVICE_LMTP,
		HB_SERVICE_SUBMISSION, HB_SERVICE_SIEVE, HB_SERVICE_DOVEADM,
	};
	struct proto_request req;
	const char *reason;

	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(parse(lines[i], &req, &reason), PROTO_PARSE_OK);
		assert_int_equal(req.service, services[i]);
	}
}

static void test_lookup_delimiter_passed_on(void **state)
{
	struct proto_request req;
	const char *reason;

	assert_int_equal(proto_parse_request("LOOKUP\tx\timap\tu+t@d", NULL, &req, &reason),
			 PROTO_PARSE_OK);
	assert_string_equal(req.user, "u+t@d");
	assert_int_equal(proto_parse_request("LOOKUP\tx\timap\tu-t@d", "-", &req, &reason),
			 PROTO_PARSE_OK);
	assert_string_equal(req.user, "u@d");
}

static void test_ping_ok(void **state)
{
	struct proto_request req;
	const char *reason;

	assert_int_equal(parse("PING\tabc-1.2_3", &req, &reason), PROTO_PARSE_OK);
	assert_int_equal(req.command, PROTO_PING);
	assert_string_equal(req.id, "abc-1.2_3");
}

static void test_id_limits(void **state)
{
	struct proto_request req;
	const char *reason;

	/* 32 characters: the longest id */
	assert_int_equal(parse("PING\t12345678901234567890123456789012", &req, &reason),
			 PROTO_PARSE_OK);
	assert_string_equal(req.id, "12345678901234567890123456789012");
	expect_error("PING\t123456789012345678901234567890123", "-");
	expect_error("LOOKUP\t123456789012345678901234567890123\timap\tu@d", "-");
}

static void test_bad_id_chars(void **state)
{
	static const char *const lines[] = {
		"PING\t", "PING\ta b", "PING\ta:b", "PING\ta/b", "PING\ta@b",
		"PING\t\xc3\xa9", "PING\ta\rb", "PING\ta\r", "PING\t*",
		"LOOKUP\t\timap\tu@d", "LOOKUP\tid!\timap\tu@d",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		expect_error(lines[i], "-");
}

static void test_missing_fields(void **state)
{
	expect_error("LOOKUP", "-");
	expect_error("LOOKUP\t7", "7");
	expect_error("LOOKUP\t7\timap", "7");
	expect_error("PING", "-");
	/* LOOKUP with an empty user is a valid request for an invalid user */
	expect_fail("LOOKUP\t7\timap\t", "7");
	expect_fail("LOOKUP\t7\t\tu@d", "7");
}

static void test_extra_fields(void **state)
{
	expect_error("LOOKUP\t8\timap\tu@d\textra", "8");
	expect_error("LOOKUP\t8\timap\tu@d\t", "8");
	/* more fields than a request can have: not even the id is read */
	expect_error("LOOKUP\t8\timap\tu@d\tx\ty", "-");
	expect_error("LOOKUP\t8\timap\tu@d\t\t\t\t\t\t", "-");
	expect_error("PING\t9\textra", "9");
	expect_error("PING\t9\t", "9");
}

static void test_userdb(void **state)
{
	struct proto_request req;
	const char *reason;
	char line[400];

	assert_int_equal(parse("USERDB\t9\tAnna@Bücher.example", &req, &reason),
			 PROTO_PARSE_OK);
	assert_int_equal(req.command, PROTO_USERDB);
	assert_string_equal(req.id, "9");
	/* passed on as sent: userdb.c validates and normalises the address */
	assert_string_equal(req.user, "Anna@Bücher.example");
	expect_error("USERDB\t9", "9");
	expect_error("USERDB\t9\t", "9");
	expect_error("USERDB\t9\ta@b.example\textra", "9");
	memset(line, 0, sizeof(line));
	strcpy(line, "USERDB\t9\t");
	memset(line + strlen(line), 'u', 300);
	expect_fail(line, "9");
}

static void test_unknown_command(void **state)
{
	expect_error("lookup\t1\timap\tu@d", "1");
	expect_error("Ping\t1", "1");
	expect_error("QUIT\t1", "1");
	expect_error("LOOKUPX\t1\timap\tu@d", "1");
	expect_error(" LOOKUP\t1\timap\tu@d", "1");
	expect_error("\t1", "1");
	expect_error("GET / HTTP/1.0", "-");
}

static void test_unknown_service(void **state)
{
	expect_fail("LOOKUP\t2\tsmtp\tu@d", "2");
	expect_fail("LOOKUP\t2\tIMAP\tu@d", "2");
	expect_fail("LOOKUP\t2\timap \tu@d", "2");
}

static void test_bad_user(void **state)
{
	char line[600];

	expect_fail("LOOKUP\t3\timap\tu d", "3");
	expect_fail("LOOKUP\t3\timap\tu@d@e", "3");
	expect_fail("LOOKUP\t3\timap\t@d", "3");
	expect_fail("LOOKUP\t3\timap\tu\x01@d", "3");
	expect_fail("LOOKUP\t3\timap\tu@d\r", "3");
	expect_fail("LOOKUP\t3\timap\tu\xc0\xaf@d", "3");
	expect_fail("LOOKUP\t3\timap\tu\xed\xa0\x80@d", "3");
	/* 256-byte user */
	strcpy(line, "LOOKUP\t3\timap\t");
	memset(line + strlen(line), 'a', 256);
	line[14 + 256] = '\0';
	expect_fail(line, "3");
	/* 255-byte user is fine */
	line[14 + 255] = '\0';
	{
		struct proto_request req;
		const char *reason;

		assert_int_equal(parse(line, &req, &reason), PROTO_PARSE_OK);
		assert_int_equal(strlen(req.user), 255);
	}
}

static void test_empty_and_tabs(void **state)
{
	expect_error("", "-");
	expect_error("\t", "-");
	expect_error("\t\t", "-");
	expect_error("\t\t\t", "-");
	expect_error("\t\t\t\t", "-");
	expect_error("\t\t\t\t\t\t\t\t\t\t", "-");
	expect_error(" ", "-");
	expect_error("\r", "-");
}

/* A line of LEN bytes of FILL after PREFIX. */
static char *long_line(const char *prefix, char fill, size_t len)
{
	char *line = malloc(len + 1);
	size_t plen = strlen(prefix);

	assert_non_null(line);
	memset(line, fill, len);
	memcpy(line, prefix, plen < len ? plen : len);
	line[len] = '\0';
	return line;
}

static void test_long_lines(void **state)
{
	static const size_t lengths[] = { 1024, 1025, 1100, 2048, 65536, 1000000 };
	struct proto_request req;
	const char *reason;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		char *lookup = long_line("LOOKUP\t4\timap\t", 'a', lengths[i]);
		char *ping = long_line("PING\t", '5', lengths[i]);
		char *tabs = long_line("", '\t', lengths[i]);

		assert_int_not_equal(parse(lookup, &req, &reason), PROTO_PARSE_OK);
		expect_error(ping, "-");
		expect_error(tabs, "-");
		if (lengths[i] > HB_PROTO_MAX_LINE)
			expect_error(lookup, "-");
		free(lookup);
		free(ping);
		free(tabs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_ok),
		cmocka_unit_test(test_lookup_every_service),
		cmocka_unit_test(test_lookup_delimiter_passed_on),
		cmocka_unit_test(test_ping_ok),
		cmocka_unit_test(test_id_limits),
		cmocka_unit_test(test_bad_id_chars),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_extra_fields),
		cmocka_unit_test(test_userdb),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_unknown_service),
		cmocka_unit_test(test_bad_user),
		cmocka_unit_test(test_empty_and_tabs),
		cmocka_unit_test(test_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
