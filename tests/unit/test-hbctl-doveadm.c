/* test-hbctl-doveadm.c - hbctl's doveadm HTTP API client pieces: request
 * body, reply parsing (including Dovecot 2.3.19's malformed-but-valid "who"
 * shape), HTTP response splitting with every malformed case, base64, and an
 * unreachable backend on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "doveadm.h"
#include "hb-settings.h"
#include "doveadm-http.h"
#include "hb-base64.h"

static void test_request(void **state)
{
	char *req = hbctl_doveadm_request("kick", "u\"1@example.org");

	(void)state;
	assert_string_equal(req, "[[\"kick\",{\"mask\":[\"u\\\"1@example.org\"]},\"hbctl\"]]");
	free(req);
}

static int parse(const char *cmd, const char *body, unsigned int *count, char *err)
{
	return hbctl_doveadm_parse_reply(cmd, body, strlen(body), count, err, 256);
}

static void test_replies(void **state)
{
	unsigned int n = 99;
	char err[256];

	(void)state;
	/* Real Dovecot 2.3.19.1 replies, captured here. */
	assert_int_equal(parse("who", "[[\"doveadmResponse\",[],\"t1\"]]", &n, err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("who", "[[\"doveadmResponse\",[{\"username\":\"a@x\",\"connections\":\"2\","
			       "\"service\":\"imap\",\"pids\":\"(1 2)\",\"ips\":\"(127.0.0.1)\"}],"
			       "{\"username\":\"b@x\",\"connections\":\"1\",\"service\":\"pop3\","
			       "\"pids\":\"(3)\",\"ips\":\"(127.0.0.1)\"},\"t1\"]]", &n, err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(parse("who", "[[\"doveadmResponse\",[{\"username\":\"a@x\",\"service\":"
			       "\"imap\",\"pid\":\"8451\",\"ip\":\"127.0.0.1\"},{\"username\":\"a@x\"}],"
			       "\"t1\"]]", &n, err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse("who", "[[\"doveadmResponse\",[{\"connections\":\"junk\"},"
			       "{\"connections\":4}],\"t\"]]", &n, err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(parse("kick", "[[\"doveadmResponse\",[{\"result\":\"a@x\"}],\"t2\"]]", &n, err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(parse("kick", "[[\"error\",{\"type\":\"exitCode\", \"exitCode\":68},\"t2\"]]", &n, err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("kick", "[[\"error\",{\"type\":\"exitCode\", \"exitCode\":75},\"t2\"]]", &n, err), -1);
	assert_non_null(strstr(err, "75"));
	assert_int_equal(parse("who", "[[\"error\",{\"type\":\"unknownCommand\"},\"t\"]]", &n, err), -1);
	assert_non_null(strstr(err, "unknownCommand"));
}

static void test_bad_replies(void **state)
{
	static const char *const bad[] = {
		"", "{}", "[]", "[[]]", "[\"doveadmResponse\"]", "[[\"doveadmResponse\"]]",
		"[[1,[],\"t\"]]", "[[\"other\",[],\"t\"]]", "[[\"doveadmResponse\",[],\"t\"]", "<html>",
	};
	unsigned int n;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse("who", bad[i], &n, err) == 0)
			fail_msg("accepted bad reply: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_base64(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(hb_base64_encode((const unsigned char *)"", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	hb_base64_encode((const unsigned char *)"f", 1, out, sizeof(out));
	assert_string_equal(out, "Zg==");
	hb_base64_encode((const unsigned char *)"fo", 2, out, sizeof(out));
	assert_string_equal(out, "Zm8=");
	hb_base64_encode((const unsigned char *)"foobar", 6, out, sizeof(out));
	assert_string_equal(out, "Zm9vYmFy");
	hb_base64_encode((const unsigned char *)"secretkey123", 12, out, sizeof(out));
	assert_string_equal(out, "c2VjcmV0a2V5MTIz");
	hb_base64_encode((const unsigned char *)"\xff\xfe", 2, out, sizeof(out));
	assert_string_equal(out, "//4=");
	assert_int_equal(hb_base64_encode((const unsigned char *)"foobar", 6, out, 8), 0);
}

static int http(const char *raw, unsigned int *status, char **body, char *err)
{
	size_t len;

	return hbctl_http_parse_response(raw, strlen(raw), status, body, &len, err, 256);
}

static void test_http_ok(void **state)
{
	unsigned int status;
	char *body, err[256];

	(void)state;
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
			      &status, &body, err), 0);
	assert_int_equal(status, 200);
	assert_string_equal(body, "hello");
	free(body);
	assert_int_equal(http("HTTP/1.1 200 OK\r\ntransfer-encoding:  chunked \r\n\r\n"
			      "3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\n\r\n", &status, &body, err), 0);
	assert_string_equal(body, "hello");
	free(body);
	assert_int_equal(http("HTTP/1.0 401 Authentication required\r\nContent-Length: 0\r\n\r\n",
			      &status, &body, err), 0);
	assert_int_equal(status, 401);
	assert_string_equal(body, "");
	free(body);
	assert_int_equal(http("HTTP/1.1 200\r\n\r\nuntil close", &status, &body, err), 0);
	assert_string_equal(body, "until close");
	free(body);
}

static void test_http_bad(void **state)
{
	static const char *const bad[] = {
		"", "garbage\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
	};
	unsigned int status;
	char *body, err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		body = NULL;
		if (http(bad[i], &status, &body, err) == 0)
			fail_msg("accepted bad HTTP response #%zu", i);
		assert_null(body);
		assert_true(err[0] != '\0');
	}
}

static void test_unreachable(void **state)
{
	struct hb_settings set = { .doveadm_tls = (char *)"no", .doveadm_ca_file = (char *)"" };
	struct hbctl_doveadm da = { .host = "127.0.0.1", .port = 1, .api_key = "k",
				    .timeout_ms = 1000, .set = &set };
	unsigned int n;
	char err[256];

	(void)state;
	assert_int_equal(hbctl_doveadm_who(&da, "*", &n, err, sizeof(err)), HBCTL_HTTP_UNREACHABLE);
	assert_non_null(strstr(err, "connect"));
	da.host = "mail.example.org";	/* never resolved */
	assert_int_equal(hbctl_doveadm_kick(&da, "*", &n, err, sizeof(err)), HBCTL_HTTP_UNREACHABLE);
	assert_non_null(strstr(err, "not an IP"));
}

/* TLS without a CA file, or no settings at all: refused before connecting. */
static void test_tls_needs_ca(void **state)
{
	struct hb_settings set = { .doveadm_tls = (char *)"yes", .doveadm_ca_file = (char *)"" };
	struct hbctl_doveadm da = { .host = "127.0.0.1", .port = 1, .api_key = "k",
				    .timeout_ms = 1000, .set = &set };
	unsigned int n;
	char err[256];

	(void)state;
	assert_int_equal(hbctl_doveadm_who(&da, "*", &n, err, sizeof(err)), HBCTL_HTTP_FAILED);
	assert_non_null(strstr(err, "doveadm_ca_file"));
	set.doveadm_ca_file = (char *)"/nonexistent/ca.pem";
	assert_int_equal(hbctl_doveadm_who(&da, "*", &n, err, sizeof(err)), HBCTL_HTTP_UNREACHABLE);
	da.set = NULL;
	assert_int_equal(hbctl_doveadm_kick(&da, "*", &n, err, sizeof(err)), HBCTL_HTTP_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_http_ok),
		cmocka_unit_test(test_http_bad),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_tls_needs_ca),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
