/* test-hb-degrade-scripts.c - cmocka tests of how a backend becomes degraded
 * and back (lib/hb-scripts.c: health, pressure, route), on a real
 * redis-server of its own (tests/unit/redis-fixture.c): lock pressure a node
 * published and slow probes count only after degrade_enter_count rounds in a
 * row, clear only after degrade_leave_count calm rounds, a degraded backend
 * keeps its users and gets new ones only when no backend is up.  Also the
 * verdicts of a health round (sick and slow degrade, never fail; dead and
 * silent fail at once, fence and publish, and leave `degraded` alone) and
 * the `reassign` script that moves a failed backend's users. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb-scripts.h"
#include "redis-fixture.h"
#include "redis-fixture-cmd.h"

#define ENTER "2"
#define LEAVE "3"

struct degrade_test {
	struct redis_fixture fx;
	redisContext *ctx;
};

static int setup(void **state)
{
	struct degrade_test *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->ctx = redis_fixture_start_connected(&t->fx)) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct degrade_test *t = *state;

	redisFree(t->ctx);
	redis_fixture_stop(&t->fx);
	free(t);
	return 0;
}

/* b1 and b2 up and healthy, nobody assigned, no pressure published */
static int reset(void **state)
{
	struct degrade_test *t = *state;
	const char *flush[] = { "FLUSHALL" };
	const char *b1[] = { "HSET", "hb:backend:b1", "host", "127.0.0.2", "imap_port", "143",
			     "weight", "100", "state", "up", "health", "ok" };
	const char *b2[] = { "HSET", "hb:backend:b2", "host", "127.0.0.3", "imap_port", "143",
			     "weight", "100", "state", "up", "health", "ok" };

	FX_RUN(t->ctx, flush);
	FX_RUN(t->ctx, b1);
	FX_RUN(t->ctx, b2);
	return 0;
}

/* one health round for b1 with verdict RESULT: "DEGRADED-STATE CHANGED
   REASON", and its health in HEALTH (when not NULL) */
static void verdict_round(struct degrade_test *t, const char *result, const char *reason,
			  const char *probe_ms, char *out, size_t size, char *health)
{
	const char *argv[] = { "EVAL", hb_script_health, "0", "hb:", "b1", result, reason,
			       "1700000000", "2", "0", "1700000000000", probe_ms, "1000",
			       ENTER, LEAVE, "hb:events" };
	redisReply *r = fx_cmd(t->ctx, 16, argv);

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 5);
	snprintf(out, size, "%s %lld %s", r->element[2]->str, r->element[3]->integer,
		 r->element[4]->str);
	if (health != NULL)
		snprintf(health, 16, "%s", r->element[0]->str);
	freeReplyObject(r);
}

static void health_round(struct degrade_test *t, const char *probe_ms, char *out, size_t size)
{
	verdict_round(t, "ok", "ok", probe_ms, out, size, NULL);
}

static void publish(struct degrade_test *t, const char *name, const char *level,
		    const char *ttl_ms, int expect_error)
{
	const char *argv[] = { "EVAL", hb_script_pressure, "0", "hb:", name, level,
			       "waiters 12 >= 10", "30", "12", "-1", "1700000000", ttl_ms };
	redisReply *r = fx_cmd(t->ctx, 12, argv);

	assert_int_equal(r->type == REDIS_REPLY_ERROR, expect_error);
	freeReplyObject(r);
}

static void hget(struct degrade_test *t, const char *key, const char *field,
		 char *out, size_t size)
{
	const char *argv[] = { "HGET", key, field };
	redisReply *r = fx_cmd(t->ctx, 3, argv);

	snprintf(out, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
	freeReplyObject(r);
}

/* the route script for USER with candidates b1, b2: "WORD NAME" */
static void route(struct degrade_test *t, const char *user, char *out, size_t size)
{
	const char *argv[] = { "EVAL", hb_script_route, "0", "hb:", user, "1700000000",
			       "1700000000000", "900", "b1", "b2" };
	redisReply *r = fx_cmd(t->ctx, 10, argv);

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	snprintf(out, size, "%s %s", r->element[0]->str,
		 r->elements > 1 ? r->element[1]->str : "");
	freeReplyObject(r);
}

static void test_pressure_degrades_after_enter_count_rounds(void **state)
{
	struct degrade_test *t = *state;
	char out[512], field[256];

	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "normal 0 ");
	publish(t, "b1", "warn", "60000", 0);
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "normal 0 lock pressure warn (waiters 12 >= 10)");
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "degraded 1 lock pressure warn (waiters 12 >= 10)");
	hget(t, "hb:backend:b1", "degraded_reason", field, sizeof(field));
	assert_string_equal(field, "lock pressure warn (waiters 12 >= 10)");
	hget(t, "hb:backend:b1", "degraded_since", field, sizeof(field));
	assert_string_equal(field, "1700000000");
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "degraded 0 lock pressure warn (waiters 12 >= 10)");
}

static void test_calm_rounds_clear_only_after_leave_count(void **state)
{
	struct degrade_test *t = *state;
	char out[512], field[256];

	publish(t, "b1", "crit", "60000", 0);
	health_round(t, "5", out, sizeof(out));
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "degraded 1 lock pressure crit (waiters 12 >= 10)");
	publish(t, "b1", "ok", "60000", 0);
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "degraded 0 ");
	health_round(t, "5", out, sizeof(out));
	/* one bad round in between starts the count again */
	publish(t, "b1", "warn", "60000", 0);
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "degraded 0 lock pressure warn (waiters 12 >= 10)");
	publish(t, "b1", "ok", "60000", 0);
	health_round(t, "5", out, sizeof(out));
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "degraded 0 ");
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "normal 1 ");
	hget(t, "hb:backend:b1", "degraded_reason", field, sizeof(field));
	assert_string_equal(field, "(nil)");
	hget(t, "hb:backend:b1", "degraded", field, sizeof(field));
	assert_string_equal(field, "0");
}

static void test_slow_probe_degrades_and_unknown_time_does_not(void **state)
{
	struct degrade_test *t = *state;
	char out[512];

	health_round(t, "1500", out, sizeof(out));
	assert_string_equal(out, "normal 0 probe took 1500 ms (limit 1000 ms)");
	health_round(t, "-1", out, sizeof(out));	/* no time: a calm round */
	health_round(t, "1500", out, sizeof(out));
	health_round(t, "1001", out, sizeof(out));
	assert_string_equal(out, "degraded 1 probe took 1001 ms (limit 1000 ms)");
	health_round(t, "1000", out, sizeof(out));
	assert_string_equal(out, "degraded 0 ");
}

static void test_expired_or_ok_pressure_is_no_signal(void **state)
{
	struct degrade_test *t = *state;
	char out[512];

	publish(t, "b1", "crit", "1", 0);
	usleep(20 * 1000);
	health_round(t, "5", out, sizeof(out));
	health_round(t, "5", out, sizeof(out));
	assert_string_equal(out, "normal 0 ");
	/* only a backend that exists can be published for */
	publish(t, "nosuch", "crit", "60000", 1);
}

static void test_degraded_keeps_users_and_takes_new_only_as_last_resort(void **state)
{
	struct degrade_test *t = *state;
	const char *degrade[] = { "HSET", "hb:backend:b1", "degraded", "1" };
	const char *b2_down[] = { "HSET", "hb:backend:b2", "health", "failed" };
	const char *assign[] = { "SET", "hb:user:old@x", "b1" };
	char out[256];

	FX_RUN(t->ctx, assign);
	FX_RUN(t->ctx, degrade);
	route(t, "old@x", out, sizeof(out));
	assert_string_equal(out, "OK b1");
	/* b1 is the first candidate, but degraded: the new user goes to b2 */
	route(t, "new@x", out, sizeof(out));
	assert_string_equal(out, "NEW b2");
	FX_RUN(t->ctx, b2_down);
	route(t, "newer@x", out, sizeof(out));
	assert_string_equal(out, "NEW b1");
}


/* sick and slow rounds are sickness: they degrade after ENTER rounds and
   keep health ok and its reason as it was */
static void test_sick_and_slow_degrade_but_never_fail(void **state)
{
	struct degrade_test *t = *state;
	char out[512], health[16], field[256];

	verdict_round(t, "slow", "no answer within 2000 ms", "2100", out, sizeof(out), health);
	assert_string_equal(out, "normal 0 no answer within 2000 ms");
	assert_string_equal(health, "ok");
	verdict_round(t, "sick", "IMAP: IMAP greeting: * BYE Connection queue full", "30",
		      out, sizeof(out), health);
	assert_string_equal(out, "degraded 1 IMAP: IMAP greeting: * BYE Connection queue full");
	assert_string_equal(health, "ok");
	for (int i = 0; i < 20; i++)
		verdict_round(t, "slow", "no answer within 2000 ms", "9000", out, sizeof(out), health);
	assert_string_equal(health, "ok");
	hget(t, "hb:backend:b1", "health_reason", field, sizeof(field));
	assert_string_equal(field, "(nil)");
}

static void subscribe(redisContext *sub)
{
	redisReply *r = redisCommand(sub, "SUBSCRIBE hb:events");

	assert_non_null(r);
	freeReplyObject(r);
}

/* the next message on SUB: "backend NAME" */
static void next_message(redisContext *sub, char *out, size_t size)
{
	void *reply = NULL;
	redisReply *r;

	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 3);
	snprintf(out, size, "%s", r->element[2]->str);
	freeReplyObject(r);
}

/* dead fails at once: fence, one message for the passdb caches, `degraded`
   untouched while failed (a dead backend never looks calm) */
static void test_dead_fails_at_once_fences_and_publishes(void **state)
{
	struct degrade_test *t = *state;
	const char *degrade[] = { "HSET", "hb:backend:b1", "degraded", "1", "degraded_reason", "slow" };
	const char *argv[] = { "EVAL", hb_script_health, "0", "hb:", "b1", "dead",
			       "IMAP: connection refused", "1700000000", "2", "5000",
			       "1700000000000", "-1", "1000", ENTER, LEAVE, "hb:events" };
	redisContext *sub = redis_fixture_connect(&t->fx);
	char out[512], health[16], field[256];
	redisReply *r;

	assert_non_null(sub);
	subscribe(sub);
	FX_RUN(t->ctx, degrade);
	r = fx_cmd(t->ctx, 16, argv);
	assert_string_equal(r->element[0]->str, "failed");
	assert_int_equal(r->element[1]->integer, 1);
	freeReplyObject(r);
	next_message(sub, out, sizeof(out));
	assert_string_equal(out, "backend b1");
	hget(t, "hb:backend:b1", "fence_until", field, sizeof(field));
	assert_string_equal(field, "1700000005000");
	hget(t, "hb:backend:b1", "health_reason", field, sizeof(field));
	assert_string_equal(field, "IMAP: connection refused");
	/* failed: its rounds change nothing about degraded, in either direction */
	for (int i = 0; i < 10; i++) {
		verdict_round(t, "dead", "IMAP: connection refused", "-1", out, sizeof(out), health);
		assert_string_equal(out, "degraded 0 slow");
		verdict_round(t, "slow", "no answer within 2000 ms", "3000", out, sizeof(out), health);
		assert_string_equal(health, "failed");
	}
	hget(t, "hb:backend:b1", "degraded", field, sizeof(field));
	assert_string_equal(field, "1");
	/* recovery takes ok_count oks in a row; a slow round starts it over */
	verdict_round(t, "ok", "ok", "5", out, sizeof(out), health);
	verdict_round(t, "slow", "no answer within 2000 ms", "3000", out, sizeof(out), health);
	verdict_round(t, "ok", "ok", "5", out, sizeof(out), health);
	assert_string_equal(health, "failed");
	verdict_round(t, "ok", "ok", "5", out, sizeof(out), health);
	assert_string_equal(health, "ok");
	redisFree(sub);
}

static void test_silent_fails_too(void **state)
{
	struct degrade_test *t = *state;
	char out[512], health[16];

	verdict_round(t, "silent", "no sign of life on any channel for 30 s", "-1", out,
		      sizeof(out), health);
	assert_string_equal(health, "failed");
}

/* the reassign script on user U of b1 with candidates b1, b2: "WORD NAME" */
static void reassign(struct degrade_test *t, const char *user, char *out, size_t size)
{
	const char *argv[] = { "EVAL", hb_script_reassign, "0", "hb:", user, "b1",
			       "1700000000000", "b1", "b2" };
	redisReply *r = fx_cmd(t->ctx, 9, argv);

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	snprintf(out, size, "%s %s", r->element[0]->str,
		 r->elements > 1 ? r->element[1]->str : "");
	freeReplyObject(r);
}

static void test_reassign_moves_only_live_users_of_an_unfenced_failed_backend(void **state)
{
	struct degrade_test *t = *state;
	const char *a1[] = { "SET", "hb:user:a@x", "b1", "PX", "600000" };
	const char *a2[] = { "ZADD", "hb:users:b1", "1699999000", "a@x", "1699999000", "gone@x",
			     "1699999000", "moving@x" };
	const char *m[] = { "SET", "hb:user:moving@x", "b1" };
	const char *hold[] = { "SET", "hb:move:moving@x", "b2" };
	const char *fence[] = { "HSET", "hb:backend:b1", "health", "failed",
				"fence_until", "1700000001000" };
	const char *unfence[] = { "HSET", "hb:backend:b1", "fence_until", "0" };
	const char *healthy[] = { "HSET", "hb:backend:b1", "health", "ok" };
	const char *b2_down[] = { "HSET", "hb:backend:b2", "state", "down" };
	char out[256];
	redisReply *r;

	FX_RUN(t->ctx, a1);
	FX_RUN(t->ctx, a2);
	FX_RUN(t->ctx, m);
	FX_RUN(t->ctx, hold);
	reassign(t, "a@x", out, sizeof(out));
	assert_string_equal(out, "KEEP ");	/* b1 is fine */
	FX_RUN(t->ctx, fence);
	reassign(t, "a@x", out, sizeof(out));
	assert_string_equal(out, "FENCED ");
	FX_RUN(t->ctx, unfence);
	FX_RUN(t->ctx, b2_down);
	reassign(t, "a@x", out, sizeof(out));
	assert_string_equal(out, "NONE ");
	b2_down[3] = "up";
	FX_RUN(t->ctx, b2_down);
	reassign(t, "moving@x", out, sizeof(out));
	assert_string_equal(out, "SKIP ");
	reassign(t, "gone@x", out, sizeof(out));
	assert_string_equal(out, "GONE ");
	reassign(t, "a@x", out, sizeof(out));
	assert_string_equal(out, "NEW b2");
	/* the idle time left and the score go along */
	const char *pttl[] = { "PTTL", "hb:user:a@x" };
	r = fx_cmd(t->ctx, 2, pttl);
	assert_true(r->integer > 590000 && r->integer <= 600000);
	freeReplyObject(r);
	const char *score[] = { "ZSCORE", "hb:users:b2", "a@x" };
	r = fx_cmd(t->ctx, 3, score);
	assert_string_equal(r->str, "1699999000");
	freeReplyObject(r);
	const char *card[] = { "ZCARD", "hb:users:b1" };
	r = fx_cmd(t->ctx, 2, card);
	assert_int_equal(r->integer, 1);	/* moving@x waits for its move */
	freeReplyObject(r);
	FX_RUN(t->ctx, healthy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pressure_degrades_after_enter_count_rounds, reset),
		cmocka_unit_test_setup(test_calm_rounds_clear_only_after_leave_count, reset),
		cmocka_unit_test_setup(test_slow_probe_degrades_and_unknown_time_does_not, reset),
		cmocka_unit_test_setup(test_expired_or_ok_pressure_is_no_signal, reset),
		cmocka_unit_test_setup(test_degraded_keeps_users_and_takes_new_only_as_last_resort,
				       reset),
		cmocka_unit_test_setup(test_sick_and_slow_degrade_but_never_fail, reset),
		cmocka_unit_test_setup(test_dead_fails_at_once_fences_and_publishes, reset),
		cmocka_unit_test_setup(test_silent_fails_too, reset),
		cmocka_unit_test_setup(test_reassign_moves_only_live_users_of_an_unfenced_failed_backend,
				       reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
