/* test-hb-backend.c - cmocka tests of lib/hb-backend.c: service, state and
 * health names round-trip, the effective-state table of docs/DESIGN.md (1),
 * name and host validation, and hb_backend_from_fields() on good and
 * malformed Redis hashes (the doveadm_api report fields included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hb-backend.h"

static void test_service_names(void **state)
{
	static const char *const names[HB_SERVICE_COUNT] = {
		"imap", "pop3", "lmtp", "submission", "sieve", "doveadm"
	};
	static const char *const fields[HB_SERVICE_COUNT] = {
		"imap_port", "pop3_port", "lmtp_port", "submission_port",
		"sieve_port", "doveadm_port"
	};
	enum hb_service service;

	for (int i = 0; i < HB_SERVICE_COUNT; i++) {
		assert_string_equal(hb_service_name((enum hb_service)i), names[i]);
		assert_string_equal(hb_service_port_field((enum hb_service)i), fields[i]);
		assert_int_equal(hb_service_parse(names[i], &service), 0);
		assert_int_equal(service, i);
	}
	assert_string_equal(hb_service_name(HB_SERVICE_COUNT), "?");
	assert_string_equal(hb_service_port_field(HB_SERVICE_COUNT), "?");
}

static void test_service_unknown(void **state)
{
	static const char *const bad[] = {
		"", "IMAP", "imaps", "imap ", " imap", "smtp", "http", "pop", "lmtp\n",
	};
	enum hb_service service = HB_SERVICE_LMTP;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hb_service_parse(bad[i], &service), -1);
	assert_int_equal(service, HB_SERVICE_LMTP); /* untouched */
}

static void test_state_names(void **state)
{
	static const char *const names[] = { "up", "down", "draining", "maintenance" };
	static const enum hb_state states[] = {
		HB_STATE_UP, HB_STATE_DOWN, HB_STATE_DRAINING, HB_STATE_MAINTENANCE
	};
	enum hb_state parsed;

	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(hb_state_name(states[i]), names[i]);
		assert_int_equal(hb_state_parse(names[i], &parsed), 0);
		assert_int_equal(parsed, states[i]);
	}
	/* degraded is a name, never an admin state someone may set */
	assert_string_equal(hb_state_name(HB_STATE_DEGRADED), "degraded");
	assert_int_equal(hb_state_parse("degraded", &parsed), -1);
	assert_string_equal(hb_state_name((enum hb_state)5), "?");
	assert_string_equal(hb_state_name((enum hb_state)-1), "?");
	parsed = HB_STATE_DRAINING;
	assert_int_equal(hb_state_parse("", &parsed), -1);
	assert_int_equal(hb_state_parse("UP", &parsed), -1);
	assert_int_equal(hb_state_parse("drain", &parsed), -1);
	assert_int_equal(hb_state_parse("unknown", &parsed), -1);
	assert_int_equal(parsed, HB_STATE_DRAINING);
}

static void test_health_names(void **state)
{
	static const char *const names[] = { "unknown", "ok", "failed" };
	static const enum hb_health healths[] = {
		HB_HEALTH_UNKNOWN, HB_HEALTH_OK, HB_HEALTH_FAILED
	};
	enum hb_health parsed;

	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(hb_health_name(healths[i]), names[i]);
		assert_int_equal(hb_health_parse(names[i], &parsed), 0);
		assert_int_equal(parsed, healths[i]);
	}
	assert_string_equal(hb_health_name((enum hb_health)3), "?");
	parsed = HB_HEALTH_OK;
	assert_int_equal(hb_health_parse("", &parsed), -1);
	assert_int_equal(hb_health_parse("OK", &parsed), -1);
	assert_int_equal(hb_health_parse("fail", &parsed), -1);
	assert_int_equal(parsed, HB_HEALTH_OK);
}

/* docs/DESIGN.md (1): up/draining + failed health = down; else the admin state. */
static void test_effective_state_table(void **state)
{
	static const struct {
		enum hb_state admin;
		enum hb_health health;
		enum hb_state effective;
		int keeps, takes;
	} table[] = {
		{ HB_STATE_UP, HB_HEALTH_UNKNOWN, HB_STATE_UP, 1, 1 },
		{ HB_STATE_UP, HB_HEALTH_OK, HB_STATE_UP, 1, 1 },
		{ HB_STATE_UP, HB_HEALTH_FAILED, HB_STATE_DOWN, 0, 0 },
		{ HB_STATE_DRAINING, HB_HEALTH_UNKNOWN, HB_STATE_DRAINING, 1, 0 },
		{ HB_STATE_DRAINING, HB_HEALTH_OK, HB_STATE_DRAINING, 1, 0 },
		{ HB_STATE_DRAINING, HB_HEALTH_FAILED, HB_STATE_DOWN, 0, 0 },
		{ HB_STATE_DOWN, HB_HEALTH_UNKNOWN, HB_STATE_DOWN, 0, 0 },
		{ HB_STATE_DOWN, HB_HEALTH_OK, HB_STATE_DOWN, 0, 0 },
		{ HB_STATE_DOWN, HB_HEALTH_FAILED, HB_STATE_DOWN, 0, 0 },
		{ HB_STATE_MAINTENANCE, HB_HEALTH_UNKNOWN, HB_STATE_MAINTENANCE, 0, 0 },
		{ HB_STATE_MAINTENANCE, HB_HEALTH_OK, HB_STATE_MAINTENANCE, 0, 0 },
		{ HB_STATE_MAINTENANCE, HB_HEALTH_FAILED, HB_STATE_MAINTENANCE, 0, 0 },
	};
	/* the same with degraded set: only an up, not failed backend changes */
	static const struct {
		enum hb_state admin;
		enum hb_health health;
		enum hb_state effective;
		int keeps, takes, takes_last;
	} degraded[] = {
		{ HB_STATE_UP, HB_HEALTH_OK, HB_STATE_DEGRADED, 1, 0, 1 },
		{ HB_STATE_UP, HB_HEALTH_UNKNOWN, HB_STATE_DEGRADED, 1, 0, 1 },
		{ HB_STATE_UP, HB_HEALTH_FAILED, HB_STATE_DOWN, 0, 0, 0 },
		{ HB_STATE_DRAINING, HB_HEALTH_OK, HB_STATE_DRAINING, 1, 0, 0 },
		{ HB_STATE_DOWN, HB_HEALTH_OK, HB_STATE_DOWN, 0, 0, 0 },
		{ HB_STATE_MAINTENANCE, HB_HEALTH_OK, HB_STATE_MAINTENANCE, 0, 0, 0 },
	};
	struct hb_backend b;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.state = table[i].admin;
		b.health = table[i].health;
		b.weight = 100;
		if (hb_backend_effective(&b) != table[i].effective ||
		    !hb_backend_keeps_users(&b) != !table[i].keeps ||
		    !hb_backend_takes_users(&b) != !table[i].takes)
			fail_msg("admin %s + health %s: effective %s keeps %d takes %d",
				 hb_state_name(table[i].admin), hb_health_name(table[i].health),
				 hb_state_name(hb_backend_effective(&b)),
				 hb_backend_keeps_users(&b), hb_backend_takes_users(&b));
		assert_false(hb_backend_takes_users_last(&b));
	}
	for (size_t i = 0; i < sizeof(degraded) / sizeof(degraded[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.state = degraded[i].admin;
		b.health = degraded[i].health;
		b.weight = 100;
		b.degraded = 1;
		if (hb_backend_effective(&b) != degraded[i].effective ||
		    !hb_backend_keeps_users(&b) != !degraded[i].keeps ||
		    !hb_backend_takes_users(&b) != !degraded[i].takes ||
		    !hb_backend_takes_users_last(&b) != !degraded[i].takes_last)
			fail_msg("degraded admin %s + health %s: effective %s",
				 hb_state_name(degraded[i].admin), hb_health_name(degraded[i].health),
				 hb_state_name(hb_backend_effective(&b)));
		b.weight = 0;
		assert_false(hb_backend_takes_users_last(&b));
	}
}

static void test_weight_zero_takes_no_users(void **state)
{
	struct hb_backend b;

	memset(&b, 0, sizeof(b));
	b.state = HB_STATE_UP;
	b.health = HB_HEALTH_OK;
	b.weight = 0;
	assert_int_equal(hb_backend_effective(&b), HB_STATE_UP);
	assert_true(hb_backend_keeps_users(&b));
	assert_false(hb_backend_takes_users(&b));
	b.weight = 1;
	assert_true(hb_backend_takes_users(&b));
}

static void test_name_valid(void **state)
{
	static const char *const good[] = {
		"a", "imap1", "mail-01.dc1", "B_2", "0",
		"1234567890123456789012345678901234567890123456789012345678901234",
	};
	static const char *const bad[] = {
		"", "a b", "a\tb", "a:b", "a/b", "a@b", "backend\n", "caf\xc3\xa9",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (hb_backend_name_valid(good[i]) != 0)
			fail_msg("name '%s' refused", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hb_backend_name_valid(bad[i]) == 0)
			fail_msg("name '%s' accepted", bad[i]);
	}
}

static void test_host_valid(void **state)
{
	static const char *const good[] = {
		"127.0.0.1", "10.1.2.3", "0.0.0.0", "255.255.255.255",
		"::1", "::", "fe80::1", "2001:db8::10", "2001:db8:0:0:0:0:0:1",
		"::ffff:127.0.0.1",
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	};
	static const char *const bad[] = {
		"", "localhost", "mail.example.com", "example", "256.0.0.1",
		"127.0.0", "127.0.0.1.1", "127.0.0.1:143", "[::1]", "::1%lo",
		"fe80::1%eth0", " 127.0.0.1", "127.0.0.1 ", "1.2.3.4/24", "2001:db8:::1",
		"127.0.0.0000000000000000000000000000000000000000000000000000000000001",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (hb_backend_host_valid(good[i]) != 0)
			fail_msg("host '%s' refused", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hb_backend_host_valid(bad[i]) == 0)
			fail_msg("host '%s' accepted", bad[i]);
	}
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_from_fields_good(void **state)
{
	const char *const fields[] = {
		"host", "127.0.0.11",
		"imap_port", "10143", "pop3_port", "10110", "lmtp_port", "10024",
		"submission_port", "10587", "sieve_port", "4190", "doveadm_port", "0",
		"weight", "250", "state", "draining", "health", "failed",
		"health_time", "1700000000", "health_reason", "connect: refused",
		"health_fails", "3", "health_oks", "0", "fence_until", "1700000000123",
		"degraded", "1", "degraded_since", "1700000001",
		"degraded_reason", "lock pressure warn",
		"some_future_field", "ignored",
	};
	struct hb_backend b;
	char err[256] = "";

	if (hb_backend_from_fields(&b, "mail1", fields, COUNT(fields), err, sizeof(err)) < 0)
		fail_msg("refused: %s", err);
	assert_string_equal(b.name, "mail1");
	assert_string_equal(b.host, "127.0.0.11");
	assert_int_equal(b.ports[HB_SERVICE_IMAP], 10143);
	assert_int_equal(b.ports[HB_SERVICE_POP3], 10110);
	assert_int_equal(b.ports[HB_SERVICE_LMTP], 10024);
	assert_int_equal(b.ports[HB_SERVICE_SUBMISSION], 10587);
	assert_int_equal(b.ports[HB_SERVICE_SIEVE], 4190);
	assert_int_equal(b.ports[HB_SERVICE_DOVEADM], 0);
	assert_int_equal(b.weight, 250);
	assert_int_equal(b.state, HB_STATE_DRAINING);
	assert_int_equal(b.health, HB_HEALTH_FAILED);
	assert_int_equal(b.health_time, 1700000000LL);
	assert_string_equal(b.health_reason, "connect: refused");
	assert_int_equal(b.health_fails, 3);
	assert_int_equal(b.health_oks, 0);
	assert_int_equal(b.fence_until_ms, 1700000000123LL);
	assert_int_equal(b.degraded, 1);
	assert_int_equal(b.degraded_since, 1700000001LL);
	assert_string_equal(b.degraded_reason, "lock pressure warn");
	assert_int_equal(hb_backend_effective(&b), HB_STATE_DOWN);
}

/* The API key report of director/apikey.c is read; odd values of it never
 * cost the backend its place in the table. */
static void test_from_fields_doveadm_api(void **state)
{
	const char *const good[] = {
		"host", "127.0.0.1", "doveadm_api", "refused", "doveadm_api_time", "1700000002",
		"doveadm_api_reason", "key refused (HTTP 401)", "doveadm_api_by", "d1:42",
	};
	const char *const odd[] = {
		"host", "127.0.0.1", "doveadm_api", "maybe", "doveadm_api_time", "x",
		"doveadm_api_extra", "ignored",
	};
	static const char *const names[] = { "unknown", "ok", "refused", "unreachable", "error" };
	struct hb_backend b;
	char err[256] = "";

	assert_int_equal(hb_backend_from_fields(&b, "m", good, COUNT(good), err, sizeof(err)), 0);
	assert_int_equal(b.doveadm_api, HB_DOVEADM_API_REFUSED);
	assert_int_equal(b.doveadm_api_time, 1700000002LL);
	assert_string_equal(b.doveadm_api_reason, "key refused (HTTP 401)");
	assert_string_equal(b.doveadm_api_by, "d1:42");
	assert_int_equal(hb_backend_from_fields(&b, "m", odd, COUNT(odd), err, sizeof(err)), 0);
	assert_int_equal(b.doveadm_api, HB_DOVEADM_API_UNKNOWN);
	assert_int_equal(b.doveadm_api_time, 0);
	for (int i = 0; i < 5; i++)
		assert_string_equal(hb_doveadm_api_name((enum hb_doveadm_api)i), names[i]);
	assert_string_equal(hb_doveadm_api_name((enum hb_doveadm_api)5), "?");
}

static void test_from_fields_minimal(void **state)
{
	const char *const fields[] = { "host", "::1", "health_oks", "7" };
	struct hb_backend b;
	char err[256] = "";

	assert_int_equal(hb_backend_from_fields(&b, "m", fields, COUNT(fields), err,
						sizeof(err)), 0);
	assert_string_equal(b.host, "::1");
	assert_int_equal(b.health_oks, 7);
	assert_int_equal(b.health_fails, 0);
	assert_int_equal(b.state, HB_STATE_UP);
	assert_int_equal(b.health, HB_HEALTH_UNKNOWN);
	assert_int_equal(b.ports[HB_SERVICE_IMAP], 0);
	assert_int_equal(b.fence_until_ms, 0);
}

static void test_from_fields_long_reason(void **state)
{
	char reason[1000];
	const char *fields[] = { "host", "127.0.0.1", "health_reason", reason };
	struct hb_backend b;
	char err[256];

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(hb_backend_from_fields(&b, "m", fields, COUNT(fields), err,
						sizeof(err)), 0);
	assert_int_equal(strlen(b.health_reason), HB_REASON_MAX);
}

/* FIELD=VALUE (plus a valid host unless FIELD is host) must be refused with
 * an error naming the backend. */
static void expect_bad_field(const char *field, const char *value)
{
	const char *fields[] = { "host", "127.0.0.1", field, value };
	struct hb_backend b;
	char err[256] = "";

	if (hb_backend_from_fields(&b, "bad1", fields, 4, err, sizeof(err)) == 0)
		fail_msg("%s='%s' accepted", field, value);
	assert_non_null(strstr(err, "bad1"));
}

static void test_from_fields_malformed(void **state)
{
	expect_bad_field("imap_port", "");
	expect_bad_field("imap_port", "65536");
	expect_bad_field("imap_port", "-1");
	expect_bad_field("imap_port", "+143");
	expect_bad_field("imap_port", " 143");
	expect_bad_field("imap_port", "143 ");
	expect_bad_field("imap_port", "14a3");
	expect_bad_field("imap_port", "99999999999999999999999");
	expect_bad_field("lmtp_port", "0x18");
	expect_bad_field("doveadm_port", "http");
	expect_bad_field("weight", "1001");
	expect_bad_field("weight", "-5");
	expect_bad_field("weight", "");
	expect_bad_field("weight", "1.5");
	expect_bad_field("state", "");
	expect_bad_field("state", "UP");
	expect_bad_field("state", "offline");
	expect_bad_field("health", "good");
	expect_bad_field("health_time", "yesterday");
	expect_bad_field("health_fails", "-1");
	expect_bad_field("health_oks", "2147483648");
	expect_bad_field("fence_until", "soon");
	expect_bad_field("degraded", "2");
	expect_bad_field("degraded", "yes");
	expect_bad_field("degraded_since", "-1");
	expect_bad_field("host", "mail.example.com");
	expect_bad_field("host", "");
}

static void test_from_fields_limits(void **state)
{
	const char *const fields[] = { "host", "10.0.0.1", "imap_port", "65535",
				       "weight", "1000" };
	const char *const zero[] = { "host", "10.0.0.1", "weight", "0" };
	struct hb_backend b;
	char err[256];

	assert_int_equal(hb_backend_from_fields(&b, "m", fields, COUNT(fields), err,
						sizeof(err)), 0);
	assert_int_equal(b.ports[HB_SERVICE_IMAP], 65535);
	assert_int_equal(b.weight, 1000);
	assert_int_equal(hb_backend_from_fields(&b, "m", zero, COUNT(zero), err,
						sizeof(err)), 0);
	assert_int_equal(b.weight, 0);
	assert_false(hb_backend_takes_users(&b));
}

static void test_from_fields_missing_host(void **state)
{
	const char *const fields[] = { "imap_port", "143", "weight", "100" };
	struct hb_backend b;
	char err[256] = "";

	assert_int_equal(hb_backend_from_fields(&b, "nohost", fields, COUNT(fields), err,
						sizeof(err)), -1);
	assert_non_null(strstr(err, "host"));
	assert_int_equal(hb_backend_from_fields(&b, "nohost", NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "host"));
}

static void test_from_fields_bad_name(void **state)
{
	const char *const fields[] = { "host", "127.0.0.1" };
	struct hb_backend b;
	char err[256] = "";

	assert_int_equal(hb_backend_from_fields(&b, "", fields, 2, err, sizeof(err)), -1);
	assert_int_equal(hb_backend_from_fields(&b, "has space", fields, 2, err,
						sizeof(err)), -1);
	assert_non_null(strstr(err, "name"));
}

static void test_from_fields_odd_count(void **state)
{
	/* a trailing field without a value is ignored, never read past the end */
	const char *const fields[] = { "host", "127.0.0.1", "weight" };
	struct hb_backend b;
	char err[256];

	assert_int_equal(hb_backend_from_fields(&b, "m", fields, COUNT(fields), err,
						sizeof(err)), 0);
	assert_string_equal(b.host, "127.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_service_unknown),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_health_names),
		cmocka_unit_test(test_effective_state_table),
		cmocka_unit_test(test_weight_zero_takes_no_users),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_host_valid),
		cmocka_unit_test(test_from_fields_good),
		cmocka_unit_test(test_from_fields_doveadm_api),
		cmocka_unit_test(test_from_fields_minimal),
		cmocka_unit_test(test_from_fields_long_reason),
		cmocka_unit_test(test_from_fields_malformed),
		cmocka_unit_test(test_from_fields_limits),
		cmocka_unit_test(test_from_fields_missing_host),
		cmocka_unit_test(test_from_fields_bad_name),
		cmocka_unit_test(test_from_fields_odd_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
