/* test-hb-route-scripts.c - cmocka tests of the passdb fast path's script
 * route_known against the directors' route script (lib/hb-scripts.c), on a
 * real redis-server of its own (tests/unit/redis-fixture.c).  The property
 * that matters: route_known answers OK exactly when route answers OK with
 * the same backend (and refreshes the assignment the same way); in every
 * other state it sends the login to a director. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb-scripts.h"
#include "redis-fixture.h"
#include "redis-fixture-cmd.h"

#define USER "ann@example.com"

struct route_test {
	struct redis_fixture fx;
	redisContext *ctx;
};

static int setup(void **state)
{
	struct route_test *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->ctx = redis_fixture_start_connected(&t->fx)) == NULL) {
		free(t);
		return -1;
	}
	/* b1 up and assigned, b2 up as the only other candidate */
	const char *routing[] = { "HSET", "hb:routing", "user_expire", "900",
				  "recipient_delimiter", "+" };
	const char *b1[] = { "HSET", "hb:backend:b1", "host", "127.0.0.2", "imap_port", "143",
			     "pop3_port", "0", "weight", "100", "state", "up", "health", "ok" };
	const char *b2[] = { "HSET", "hb:backend:b2", "host", "127.0.0.3", "imap_port", "143",
			     "weight", "100", "state", "up", "health", "ok" };
	const char *assign[] = { "SET", "hb:user:" USER, "b1", "EX", "100" };
	FX_RUN(t->ctx, routing);
	FX_RUN(t->ctx, b1);
	FX_RUN(t->ctx, b2);
	FX_RUN(t->ctx, assign);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct route_test *t = *state;

	if (t == NULL)
		return 0;
	redisFree(t->ctx);
	redis_fixture_stop(&t->fx);
	free(t);
	return 0;
}

/* route_known's answer as "WORD NAME HOST PORT" (missing parts left out) */
static void known(struct route_test *t, const char *field, const char *delim,
		  char *out, size_t size)
{
	const char *argv[] = { "EVAL", hb_script_route_known, "0", "hb:", USER, field,
			       "1700000000", delim };
	redisReply *r = fx_cmd(t->ctx, 8, argv);

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	out[0] = '\0';
	for (size_t i = 0; i < r->elements; i++) {
		assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i > 0 ? " " : "",
			 r->element[i]->str);
	}
	freeReplyObject(r);
}

/* the director's route script with candidates b2, b1: "WORD NAME ..." */
static void route(struct route_test *t, char *out, size_t size)
{
	const char *argv[] = { "EVAL", hb_script_route, "0", "hb:", USER, "1700000000",
			       "1700000000000", "900", "b2", "b1" };
	redisReply *r = fx_cmd(t->ctx, 10, argv);

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	snprintf(out, size, "%s %s", r->element[0]->str,
		 r->elements > 1 ? r->element[1]->str : "");
	freeReplyObject(r);
}

static long long ttl(struct route_test *t)
{
	const char *argv[] = { "TTL", "hb:user:" USER };
	redisReply *r = fx_cmd(t->ctx, 2, argv);
	long long v = r->integer;

	freeReplyObject(r);
	return v;
}

static void set_field(struct route_test *t, const char *field, const char *value)
{
	const char *argv[] = { "HSET", "hb:backend:b1", field, value };

	FX_RUN(t->ctx, argv);
}

/* route_known only reads: the assignment's idle expiry is left as it was
 * (only the directors' route script restarts it), and the answer may be
 * cached no longer than the assignment has left. */
static void test_live_assignment_is_answered_without_refreshing_it(void **state)
{
	struct route_test *t = *state;
	char out[256];

	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "OK b1 127.0.0.2 143 0");
	assert_true(ttl(t) <= 100 && ttl(t) > 0);
	const char *cache[] = { "HSET", "hb:routing", "route_cache_ttl_ms", "200000" };
	FX_RUN(t->ctx, cache);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_true(strncmp(out, "OK b1 127.0.0.2 143 ", 20) == 0);
	assert_true(atoll(out + 20) > 0 && atoll(out + 20) <= 100000);
	const char *nocache[] = { "HDEL", "hb:routing", "route_cache_ttl_ms" };
	FX_RUN(t->ctx, nocache);
	route(t, out, sizeof(out));
	assert_string_equal(out, "OK b1");
	assert_true(ttl(t) > 800);

	set_field(t, "state", "draining");
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "OK b1 127.0.0.2 143 0");
	route(t, out, sizeof(out));
	assert_string_equal(out, "OK b1");
	set_field(t, "state", "up");

	/* a degraded backend keeps its users, on both paths */
	set_field(t, "degraded", "1");
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "OK b1 127.0.0.2 143 0");
	route(t, out, sizeof(out));
	assert_string_equal(out, "OK b1");
	set_field(t, "degraded", "0");
}

static void test_answer_carries_the_directors_cache_ttl(void **state)
{
	struct route_test *t = *state;
	const char *put[] = { "HSET", "hb:routing", "route_cache_ttl_ms", "2500" };
	const char *drop[] = { "HDEL", "hb:routing", "route_cache_ttl_ms" };
	char out[256];

	FX_RUN(t->ctx, put);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "OK b1 127.0.0.2 143 2500");
	FX_RUN(t->ctx, drop);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "OK b1 127.0.0.2 143 0");
}

static void test_unusable_backend_goes_to_a_director(void **state)
{
	struct route_test *t = *state;
	const char *const states[][2] = {
		{ "state", "down" }, { "state", "maintenance" }, { "health", "failed" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		set_field(t, states[i][0], states[i][1]);
		known(t, "imap_port", "+", out, sizeof(out));
		assert_string_equal(out, "ASK backend not usable");
		set_field(t, "state", "up");
		set_field(t, "health", "ok");
	}
	const char *del[] = { "RENAME", "hb:backend:b1", "hb:gone" };
	const char *back[] = { "RENAME", "hb:gone", "hb:backend:b1" };
	FX_RUN(t->ctx, del);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "ASK backend not usable");
	FX_RUN(t->ctx, back);
}

static void test_no_port_for_the_service_goes_to_a_director(void **state)
{
	struct route_test *t = *state;
	char out[256];

	known(t, "pop3_port", "+", out, sizeof(out));
	assert_string_equal(out, "ASK no port for the service");
	known(t, "lmtp_port", "+", out, sizeof(out));
	assert_string_equal(out, "ASK no port for the service");
}

static void test_move_and_missing_assignment_go_to_a_director(void **state)
{
	struct route_test *t = *state;
	const char *hold[] = { "SET", "hb:move:" USER, "b2", "EX", "30" };
	const char *unhold[] = { "DEL", "hb:move:" USER };
	const char *drop[] = { "DEL", "hb:user:" USER };
	char out[256];

	FX_RUN(t->ctx, hold);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "ASK moving");
	route(t, out, sizeof(out));
	assert_string_equal(out, "WAIT moving");
	FX_RUN(t->ctx, unhold);

	FX_RUN(t->ctx, drop);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "ASK not assigned");
	route(t, out, sizeof(out));                 /* the director assigns: b2 first */
	assert_string_equal(out, "NEW b2");
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "OK b2 127.0.0.3 143 0");
	const char *reset[] = { "SET", "hb:user:" USER, "b1", "EX", "100" };
	FX_RUN(t->ctx, reset);
}

static void test_settings_must_match_the_directors(void **state)
{
	struct route_test *t = *state;
	const char *drop[] = { "DEL", "hb:routing" };
	const char *put[] = { "HSET", "hb:routing", "user_expire", "900",
			      "recipient_delimiter", "+" };
	char out[256];

	known(t, "imap_port", "", out, sizeof(out));
	assert_string_equal(out, "DELIM +");
	known(t, "imap_port", "-", out, sizeof(out));
	assert_string_equal(out, "DELIM +");
	FX_RUN(t->ctx, drop);
	known(t, "imap_port", "+", out, sizeof(out));
	assert_string_equal(out, "ASK no director has published its settings");
	FX_RUN(t->ctx, put);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_assignment_is_answered_without_refreshing_it),
		cmocka_unit_test(test_answer_carries_the_directors_cache_ttl),
		cmocka_unit_test(test_unusable_backend_goes_to_a_director),
		cmocka_unit_test(test_no_port_for_the_service_goes_to_a_director),
		cmocka_unit_test(test_move_and_missing_assignment_go_to_a_director),
		cmocka_unit_test(test_settings_must_match_the_directors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
