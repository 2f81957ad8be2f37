/* test-hb-apikey-script.c - cmocka tests of the `apikey` script
 * (lib/hb-scripts.c) on a real redis-server of its own: a director's check
 * of its doveadm API key lands in the backend's doveadm_api* fields, never
 * creates a removed backend's hash, and a fresh refusal by one director is
 * not hidden by another director's "ok" until it is keep_s old. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hb-scripts.h"
#include "redis-fixture.h"
#include "redis-fixture-cmd.h"

#define KEY "hb:backend:b1"
#define KEEP "90"

struct apikey_test {
	struct redis_fixture fx;
	redisContext *ctx;
};

static int setup(void **state)
{
	struct apikey_test *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->ctx = redis_fixture_start_connected(&t->fx)) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct apikey_test *t = *state;

	redisFree(t->ctx);
	redis_fixture_stop(&t->fx);
	free(t);
	return 0;
}

static int reset(void **state)
{
	struct apikey_test *t = *state;
	const char *flush[] = { "FLUSHALL" };
	const char *b1[] = { "HSET", KEY, "host", "127.0.0.2", "doveadm_port", "8080" };

	FX_RUN(t->ctx, flush);
	FX_RUN(t->ctx, b1);
	return 0;
}

/* One report; returns the script's 1 (stored) or 0. */
static long long report(struct apikey_test *t, const char *key, const char *result,
			const char *now, const char *director)
{
	const char *argv[] = { "EVAL", hb_script_apikey, "1", key, result, now,
			       "why", director, KEEP };
	redisReply *r = fx_cmd(t->ctx, 9, argv);
	long long ret;

	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	ret = r->integer;
	freeReplyObject(r);
	return ret;
}

static void expect_field(struct apikey_test *t, const char *field, const char *value)
{
	const char *argv[] = { "HGET", KEY, field };
	redisReply *r = fx_cmd(t->ctx, 3, argv);

	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, value);
	freeReplyObject(r);
}

static void test_stores_fields(void **state)
{
	struct apikey_test *t = *state;

	assert_int_equal(report(t, KEY, "ok", "1000", "d1"), 1);
	expect_field(t, "doveadm_api", "ok");
	expect_field(t, "doveadm_api_time", "1000");
	expect_field(t, "doveadm_api_reason", "why");
	expect_field(t, "doveadm_api_by", "d1");
	expect_field(t, "host", "127.0.0.2");   /* the rest is untouched */
}

static void test_no_hash_for_removed_backend(void **state)
{
	struct apikey_test *t = *state;
	const char *exists[] = { "EXISTS", "hb:backend:gone" };
	redisReply *r;

	assert_int_equal(report(t, "hb:backend:gone", "refused", "1000", "d1"), 0);
	r = fx_cmd(t->ctx, 2, exists);
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
}

/* d2 refuses; d1's ok or unreachable waits until the refusal is KEEP old,
 * d2's own ok clears it at once, and a refusal always lands. */
static void test_refusal_is_sticky(void **state)
{
	struct apikey_test *t = *state;

	assert_int_equal(report(t, KEY, "refused", "1000", "d2"), 1);
	assert_int_equal(report(t, KEY, "ok", "1001", "d1"), 0);
	assert_int_equal(report(t, KEY, "unreachable", "1089", "d1"), 0);
	expect_field(t, "doveadm_api", "refused");
	expect_field(t, "doveadm_api_by", "d2");
	assert_int_equal(report(t, KEY, "ok", "1090", "d1"), 1);
	expect_field(t, "doveadm_api", "ok");

	assert_int_equal(report(t, KEY, "refused", "1100", "d2"), 1);
	assert_int_equal(report(t, KEY, "refused", "1101", "d1"), 1);
	expect_field(t, "doveadm_api_by", "d1");
	assert_int_equal(report(t, KEY, "ok", "1102", "d1"), 1);
	expect_field(t, "doveadm_api", "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stores_fields, reset),
		cmocka_unit_test_setup(test_no_hash_for_removed_backend, reset),
		cmocka_unit_test_setup(test_refusal_is_sticky, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
