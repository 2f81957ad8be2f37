/* test-admind-route.c - admind's request-target parser (admin/route.c) and
 * header checks (admin/headers.c): every endpoint is found with its parts,
 * and every malformed, encoded or smuggling target is refused with the
 * right status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"

static int parse(enum admind_method m, const char *uri, struct admind_route *r,
		 struct admind_error *err)
{
	memset(err, 0, sizeof(*err));
	return admind_route_parse(m, uri, r, err);
}

static void test_endpoints(void **state)
{
	static const struct {
		enum admind_method m;
		const char *uri;
		enum admind_endpoint ep;
		const char *domain, *local, *sender;
	} cases[] = {
		{ ADMIND_POST, "/v1/login", ADMIND_EP_LOGIN, NULL, NULL, NULL },
		{ ADMIND_POST, "/v1/logout", ADMIND_EP_LOGOUT, NULL, NULL, NULL },
		{ ADMIND_POST, "/v1/password", ADMIND_EP_PASSWORD, NULL, NULL, NULL },
		{ ADMIND_GET, "/v1/session", ADMIND_EP_SESSION, NULL, NULL, NULL },
		{ ADMIND_GET, "/v1/domains", ADMIND_EP_DOMAIN_LIST, NULL, NULL, NULL },
		{ ADMIND_GET, "/v1/domains/a.example", ADMIND_EP_DOMAIN_SHOW, "a.example", NULL, NULL },
		{ ADMIND_GET, "/v1/domains/a.example/policy", ADMIND_EP_POLICY_SHOW, "a.example", NULL, NULL },
		{ ADMIND_PUT, "/v1/domains/a.example/policy", ADMIND_EP_POLICY_SET, "a.example", NULL, NULL },
		{ ADMIND_GET, "/v1/domains/a.example/users", ADMIND_EP_USER_LIST, "a.example", NULL, NULL },
		{ ADMIND_POST, "/v1/domains/a.example/users", ADMIND_EP_USER_ADD, "a.example", NULL, NULL },
		{ ADMIND_DELETE, "/v1/domains/a.example/users/ann", ADMIND_EP_USER_REMOVE, "a.example", "ann", NULL },
		{ ADMIND_POST, "/v1/domains/a.example/users/ann/suspend", ADMIND_EP_USER_SUSPEND, "a.example", "ann", NULL },
		{ ADMIND_POST, "/v1/domains/a.example/users/ann/resume", ADMIND_EP_USER_RESUME, "a.example", "ann", NULL },
		{ ADMIND_GET, "/v1/domains/a.example/aliases", ADMIND_EP_ALIAS_LIST, "a.example", NULL, NULL },
		{ ADMIND_POST, "/v1/domains/a.example/aliases", ADMIND_EP_ALIAS_ADD, "a.example", NULL, NULL },
		{ ADMIND_DELETE, "/v1/domains/a.example/aliases/info", ADMIND_EP_ALIAS_REMOVE, "a.example", "info", NULL },
		{ ADMIND_GET, "/v1/domains/a.example/senders/ann", ADMIND_EP_SENDER_LIST, "a.example", "ann", NULL },
		{ ADMIND_POST, "/v1/domains/a.example/senders/ann", ADMIND_EP_SENDER_ALLOW, "a.example", "ann", NULL },
		{ ADMIND_DELETE, "/v1/domains/a.example/senders/ann/@b.example", ADMIND_EP_SENDER_DENY, "a.example", "ann", "@b.example" },
		{ ADMIND_GET, "/v1/domains/a.example/audit", ADMIND_EP_AUDIT, "a.example", NULL, NULL },
		{ ADMIND_GET, "/v1/domains/b%C3%BCcher.example", ADMIND_EP_DOMAIN_SHOW, "b\xc3\xbc" "cher.example", NULL, NULL },
		{ ADMIND_GET, "/v1/domains/A.EXAMPLE./users", ADMIND_EP_USER_LIST, "A.EXAMPLE.", NULL, NULL },
		{ ADMIND_GET, "/v1/domains/a%2Eexample", ADMIND_EP_DOMAIN_SHOW, "a.example", NULL, NULL },
	};
	struct admind_route r;
	struct admind_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].m, cases[i].uri, &r, &err), 0);
		assert_int_equal(r.endpoint, cases[i].ep);
		if (cases[i].domain == NULL) assert_null(r.domain);
		else assert_string_equal(r.domain, cases[i].domain);
		if (cases[i].local == NULL) assert_null(r.local);
		else assert_string_equal(r.local, cases[i].local);
		if (cases[i].sender == NULL) assert_null(r.sender);
		else assert_string_equal(r.sender, cases[i].sender);
	}
}

static void test_audit_query(void **state)
{
	struct admind_route r;
	struct admind_error err;

	(void)state;
	assert_int_equal(parse(ADMIND_GET, "/v1/domains/a.example/audit", &r, &err), 0);
	assert_int_equal(r.audit_count, ADMIND_AUDIT_DEFAULT);
	assert_int_equal(parse(ADMIND_GET, "/v1/domains/a.example/audit?n=10000", &r, &err), 0);
	assert_int_equal(r.audit_count, 10000);
	static const char *const bad[] = {
		"/v1/domains/a.example/audit?n=0", "/v1/domains/a.example/audit?n=10001",
		"/v1/domains/a.example/audit?n=", "/v1/domains/a.example/audit?n=5&x=1",
		"/v1/domains/a.example/audit?", "/v1/domains/a.example/audit?m=5",
		"/v1/domains/a.example/audit?n=-5", "/v1/domains/a.example/audit?n=99999999999",
		"/v1/domains/a.example/users?n=5", "/v1/domains?domain=b.example",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(ADMIND_GET, bad[i], &r, &err), -1);
		assert_int_equal(err.status, 400);
		assert_string_equal(err.code, "bad_path");
	}
}

static void test_refused_targets(void **state)
{
	static const struct { const char *uri; int status; } cases[] = {
		{ "", 400 }, { "v1/domains", 400 }, { "http://x/v1/domains", 400 },
		{ "/v1/domains/a.example/../b.example", 400 }, { "/v1/domains/..", 400 },
		{ "/v1/domains/.", 400 }, { "/v1/./domains", 400 },
		{ "/v1/domains/%2e%2e/b.example/users", 400 }, { "/v1/domains/%2E/users", 400 },
		{ "/v1/domains/a.example%2Fusers", 400 }, { "/v1/domains/a.example%2fusers", 400 },
		{ "/v1/domains/a.example%5Cusers", 400 }, { "/v1/domains/%252e%252e/users", 400 },
		{ "/v1/domains/a.example%00", 400 }, { "/v1/domains/a.example%0a", 400 },
		{ "/v1/domains/a.example%7F", 400 }, { "/v1/domains/a.example%", 400 },
		{ "/v1/domains/a.example%2", 400 }, { "/v1/domains/a.example%zz", 400 },
		{ "/v1/domains/%C3%28.example", 400 }, { "/v1/domains/%ED%A0%80.example", 400 },
		{ "/v1/domains/%C0%AE%C0%AE", 400 },
		{ "/v1/domains//users", 400 }, { "/v1/domains/a.example/", 400 }, { "//v1/domains", 400 },
		{ "/v1/domains/a.example#frag", 400 }, { "/v1/domains/a example", 400 },
		{ "/v1/domains/a\\example", 400 }, { "/v1/domains/\xc3\xbc.example", 400 },
		{ "/v1/domains/a.example/users/ann/x/y/z/w", 404 }, { "/v2/domains", 404 },
		{ "/V1/domains", 404 }, { "/v1/domain", 404 }, { "/v1/domains/a.example/caps", 404 },
		{ "/v1/admins", 404 }, { "/v1/domains/a.example/admins", 404 }, { "/", 400 },
	};
	struct admind_route r;
	struct admind_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(ADMIND_GET, cases[i].uri, &r, &err) != -1 || err.status != cases[i].status)
			fail_msg("%s: got %d, want %d", cases[i].uri, err.status, cases[i].status);
	}
}

static void test_long_target(void **state)
{
	char uri[ADMIND_URI_MAX + 10];
	struct admind_route r;
	struct admind_error err;

	(void)state;
	memset(uri, 'a', sizeof(uri) - 1);
	uri[sizeof(uri) - 1] = '\0';
	memcpy(uri, "/v1/domains/", 12);
	assert_int_equal(parse(ADMIND_GET, uri, &r, &err), -1);
	assert_int_equal(err.status, 400);
	uri[ADMIND_URI_MAX] = '\0';
	assert_int_equal(parse(ADMIND_GET, uri, &r, &err), 0);
	assert_int_equal(strlen(r.domain), ADMIND_URI_MAX - 12);
}

static void test_methods(void **state)
{
	struct admind_route r;
	struct admind_error err;

	(void)state;
	assert_int_equal(parse(ADMIND_GET, "/v1/login", &r, &err), -1);
	assert_int_equal(err.status, 405);
	assert_int_equal(parse(ADMIND_DELETE, "/v1/domains/a.example", &r, &err), -1);
	assert_int_equal(err.status, 405);
	assert_int_equal(parse(ADMIND_POST, "/v1/domains", &r, &err), -1);
	assert_int_equal(err.status, 405);
	assert_int_equal(parse(ADMIND_OTHER, "/v1/domains/a.example/users", &r, &err), -1);
	assert_int_equal(err.status, 405);
	assert_int_equal(parse(ADMIND_PUT, "/v1/domains/a.example/audit", &r, &err), -1);
	assert_int_equal(err.status, 405);
}

static void test_headers(void **state)
{
	char token[ADMIND_TOKEN_HEX + 1];
	const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char value[100];

	(void)state;
	assert_true(admind_content_type_ok("application/json"));
	assert_true(admind_content_type_ok("Application/JSON; charset=UTF-8"));
	assert_true(admind_content_type_ok(" application/json ;charset=utf-8 "));
	assert_false(admind_content_type_ok(NULL));
	assert_false(admind_content_type_ok("text/plain"));
	assert_false(admind_content_type_ok("application/jsonx"));
	assert_false(admind_content_type_ok("application/json; charset=latin1"));
	assert_false(admind_content_type_ok("application/json; charset=utf-8; x=y"));
	assert_false(admind_content_type_ok("application/x-www-form-urlencoded"));
	snprintf(value, sizeof(value), "Bearer %s", hex);
	assert_int_equal(admind_bearer_parse(value, token), 0);
	assert_string_equal(token, hex);
	static const char *const bad[] = {
		"bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"Bearer  0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"Bearer 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		"Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
		"Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
		"Basic YWxpY2U6eA==", "Bearer", "", NULL,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(admind_bearer_parse(bad[i], token), -1);
	assert_true(admind_admin_name_ok("alice"));
	assert_true(admind_admin_name_ok("a.b_c-9"));
	assert_false(admind_admin_name_ok(""));
	assert_false(admind_admin_name_ok("Alice"));
	assert_false(admind_admin_name_ok("a b"));
	assert_false(admind_admin_name_ok("a:b"));
	assert_false(admind_admin_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

/* What reaches the log of a target: printable ASCII as is, the rest and
 * '\\' as \xNN, cut after ADMIND_LOG_TARGET_MAX bytes with "...". */
static void test_target_escape(void **state)
{
	char out[ADMIND_LOG_TARGET_MAX * 4 + 8], big[ADMIND_LOG_TARGET_MAX + 50], tiny[8];

	(void)state;
	admind_target_escape("/v1/domains/a.example", out, sizeof(out));
	assert_string_equal(out, "/v1/domains/a.example");
	admind_target_escape("/v1/\x1b[2J\x07 \\\x7f\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "/v1/\\x1b[2J\\x07\\x20\\x5c\\x7f\\xc3\\xa9");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	admind_target_escape(big, out, sizeof(out));
	assert_int_equal(strlen(out), ADMIND_LOG_TARGET_MAX + 3);
	assert_string_equal(out + ADMIND_LOG_TARGET_MAX, "...");
	admind_target_escape("\x1b\x1b\x1b", tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_null(strchr(tiny, '\x1b'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_audit_query),
		cmocka_unit_test(test_refused_targets),
		cmocka_unit_test(test_long_target),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_target_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
