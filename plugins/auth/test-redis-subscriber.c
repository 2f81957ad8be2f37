/* test-redis-subscriber.c - cmocka tests of the passdb module's two Redis
 * connections on Dovecot's ioloop (redis-conn.c, redis-subscriber.c,
 * redis-client.c) against a redis-server of their own
 * (tests/unit/redis-fixture.c): the subscription is confirmed and hands over
 * every message of its channel only; a killed subscription is reported lost
 * and comes back by its timer; a SUBSCRIBE the ACLs refuse is logged once
 * and retried until allowed; calls get replies and reconnect after the
 * back-off; destroying in any state frees everything (ASan/LeakSanitizer). */
#include "lib.h"
#include "ioloop.h"
#include "redis-client.h"
#include "redis-subscriber.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "redis-fixture.h"
#include "redis-fixture-cmd.h"

#define CHANNEL "hb:events"
#define WAIT_MSECS 8000

struct test_ctx {
	struct redis_fixture fx;
	redisContext *ctx;
	struct ioloop *ioloop;
	struct redis_client_settings set;
	unsigned int ups, downs, messages;
	char last_msg[32];
	size_t last_len;
	bool timed_out;
};

/* what the module logged, counted by the handlers below */
static unsigned int logged_refusals, logged_outages, logged_ends;

static void count_line(const char *line)
{
	if (strstr(line, "refused SUBSCRIBE " CHANNEL) != NULL &&
	    strstr(line, "add \"&" CHANNEL " +subscribe\"") != NULL)
		logged_refusals++;
	else if (strstr(line, " unusable: ") != NULL)
		logged_outages++;
	else if (strstr(line, " usable again") != NULL)
		logged_ends++;
}

static void test_log_handler(const struct failure_context *fctx ATTR_UNUSED,
			     const char *format, va_list args)
{
	T_BEGIN {
		count_line(t_strdup_vprintf(format, args));
	} T_END;
}

/* subscriber callbacks */

static void on_state(bool subscribed, void *context)
{
	struct test_ctx *t = context;

	if (subscribed)
		t->ups++;
	else
		t->downs++;
	io_loop_stop(t->ioloop);
}

static void on_message(const char *msg, size_t len, void *context)
{
	struct test_ctx *t = context;

	t->messages++;
	t->last_len = I_MIN(len, sizeof(t->last_msg));
	memcpy(t->last_msg, msg, t->last_len);
	io_loop_stop(t->ioloop);
}

static const struct redis_subscriber_callbacks callbacks = {
	.state = on_state,
	.message = on_message,
};

/* the ioloop */

static void on_wait_timeout(struct test_ctx *t)
{
	t->timed_out = TRUE;
	io_loop_stop(t->ioloop);
}

/* Run the ioloop until *COUNTER reaches WANT or MSECS pass; TRUE if reached. */
static bool run_until(struct test_ctx *t, const unsigned int *counter,
		      unsigned int want, unsigned int msecs)
{
	struct timeout *to = timeout_add(msecs, on_wait_timeout, t);

	t->timed_out = FALSE;
	while (*counter < want && !t->timed_out)
		io_loop_run(t->ioloop);
	timeout_remove(&to);
	return *counter >= want;
}

static void run_for(struct test_ctx *t, unsigned int msecs)
{
	static const unsigned int never = 0;

	(void)run_until(t, &never, 1, msecs);
}

static void redis_run(struct test_ctx *t, const char *a0, const char *a1, const char *a2,
	       const char *a3, const char *a4)
{
	const char *argv[] = { a0, a1, a2, a3, a4 };
	int argc = 0;

	/* the arguments end at the first NULL */
	while (argc < 5 && argv[argc] != NULL)
		argc++;
	fx_run(t->ctx, argc, argv);
}

/* the tests */

static void test_subscribes_and_hands_over_messages(void **state)
{
	struct test_ctx *t = *state;
	struct redis_subscriber *sub;
	redisReply *r;

	t->ups = t->downs = t->messages = 0;
	sub = redis_subscriber_create(&t->set, CHANNEL, &callbacks, t);
	assert_false(redis_subscriber_is_subscribed(sub));
	assert_true(run_until(t, &t->ups, 1, WAIT_MSECS));
	assert_true(redis_subscriber_is_subscribed(sub));

	redis_run(t, "PUBLISH", CHANNEL, "backend be1", NULL, NULL);
	assert_true(run_until(t, &t->messages, 1, WAIT_MSECS));
	assert_int_equal(t->last_len, 11);
	assert_memory_equal(t->last_msg, "backend be1", 11);
	/* any bytes, NUL included; another channel's messages never come */
	redis_run(t, "PUBLISH", "hb:other", "x", NULL, NULL);
	r = redisCommand(t->ctx, "PUBLISH %s %b", CHANNEL, "a\0b", (size_t)3);
	assert_non_null(r);
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
	assert_true(run_until(t, &t->messages, 2, WAIT_MSECS));
	run_for(t, 100);
	assert_int_equal(t->messages, 2);
	assert_int_equal(t->last_len, 3);
	assert_memory_equal(t->last_msg, "a\0b", 3);
	assert_int_equal(t->downs, 0);
	redis_subscriber_destroy(&sub);
	assert_null(sub);
	/* no callback after destroy */
	assert_int_equal(t->downs, 0);
}

static void test_lost_subscription_comes_back(void **state)
{
	struct test_ctx *t = *state;
	struct redis_subscriber *sub;

	t->ups = t->downs = t->messages = 0;
	logged_outages = logged_ends = 0;
	sub = redis_subscriber_create(&t->set, CHANNEL, &callbacks, t);
	assert_true(run_until(t, &t->ups, 1, WAIT_MSECS));
	redis_run(t, "CLIENT", "KILL", "TYPE", "pubsub", NULL);
	assert_true(run_until(t, &t->downs, 1, WAIT_MSECS));
	assert_false(redis_subscriber_is_subscribed(sub));
	assert_int_equal(logged_outages, 1);
	/* back by its timer after a second, with nothing else running */
	assert_true(run_until(t, &t->ups, 2, WAIT_MSECS));
	assert_true(redis_subscriber_is_subscribed(sub));
	assert_int_equal(logged_ends, 1);
	redis_run(t, "PUBLISH", CHANNEL, "all", NULL, NULL);
	assert_true(run_until(t, &t->messages, 1, WAIT_MSECS));
	assert_memory_equal(t->last_msg, "all", 3);
	assert_int_equal(t->downs, 1);
	assert_int_equal(logged_outages, 1);
	redis_subscriber_destroy(&sub);
}

static void test_refused_subscribe_is_logged_once(void **state)
{
	struct test_ctx *t = *state;
	struct redis_subscriber *sub;

	t->ups = t->downs = 0;
	logged_refusals = logged_outages = logged_ends = 0;
	redis_run(t, "ACL", "SETUSER", "default", "resetchannels", NULL);
	sub = redis_subscriber_create(&t->set, CHANNEL, &callbacks, t);
	assert_false(run_until(t, &t->ups, 1, 1600));	/* attempts at 0 and 1 s */
	assert_false(redis_subscriber_is_subscribed(sub));
	assert_int_equal(logged_refusals, 1);
	assert_int_equal(logged_outages, 0);
	assert_int_equal(t->downs, 0);		/* it never was subscribed */
	redis_run(t, "ACL", "SETUSER", "default", "allchannels", NULL);
	assert_true(run_until(t, &t->ups, 1, WAIT_MSECS));	/* at 3 s */
	assert_int_equal(logged_refusals, 1);
	assert_int_equal(logged_ends, 1);
	redis_subscriber_destroy(&sub);
}

static void test_destroy_in_every_state(void **state)
{
	struct test_ctx *t = *state;
	struct redis_client_settings nowhere = t->set;
	struct redis_subscriber *sub;

	/* connecting */
	sub = redis_subscriber_create(&t->set, CHANNEL, &callbacks, t);
	redis_subscriber_destroy(&sub);
	/* waiting for the next attempt */
	nowhere.socket_path = "/nonexistent/redis.sock";
	sub = redis_subscriber_create(&nowhere, CHANNEL, &callbacks, t);
	run_for(t, 50);
	assert_false(redis_subscriber_is_subscribed(sub));
	redis_subscriber_destroy(&sub);
	/* subscribed, with a message on its way */
	t->ups = 0;
	sub = redis_subscriber_create(&t->set, CHANNEL, &callbacks, t);
	assert_true(run_until(t, &t->ups, 1, WAIT_MSECS));
	redis_run(t, "PUBLISH", CHANNEL, "all", NULL, NULL);
	redis_subscriber_destroy(&sub);
	run_for(t, 50);
}

/* redis-client.c over the same glue */

struct call_result {
	struct test_ctx *t;
	unsigned int done;
	char text[64];
};

static void on_call(const redisReply *reply, const char *error, void *context)
{
	struct call_result *res = context;

	i_strocpy(res->text, error != NULL ? error :
		  reply->type == REDIS_REPLY_STATUS ? reply->str : "?",
		  sizeof(res->text));
	res->done++;
	io_loop_stop(res->t->ioloop);
}

static void call_ping(struct test_ctx *t, struct redis_client *client,
		      struct call_result *res)
{
	const char *argv[] = { "PING" }, *error;

	i_zero(res);
	res->t = t;
	assert_int_equal(redis_client_call(client, 1, argv, on_call, res, &error), 0);
	assert_true(run_until(t, &res->done, 1, WAIT_MSECS));
}

static void test_client_calls_and_reconnects(void **state)
{
	struct test_ctx *t = *state;
	struct redis_client *client = redis_client_create(&t->set);
	struct call_result res;
	const char *argv[] = { "PING" }, *error;

	call_ping(t, client, &res);
	assert_string_equal(res.text, "PONG");
	/* SKIPME: the fixture's own connection stays */
	redis_run(t, "CLIENT", "KILL", "TYPE", "normal", NULL);
	run_for(t, 100);
	/* lost: refused at once until the back-off has passed */
	i_zero(&res);
	assert_int_equal(redis_client_call(client, 1, argv, on_call, &res, &error), -1);
	assert_non_null(strstr(error, "next attempt"));
	run_for(t, 1100);
	call_ping(t, client, &res);
	assert_string_equal(res.text, "PONG");
	/* a call in flight at destroy gets its callback */
	i_zero(&res);
	res.t = t;
	assert_int_equal(redis_client_call(client, 1, argv, on_call, &res, &error), 0);
	redis_client_destroy(&client);
	assert_int_equal(res.done, 1);
	assert_string_equal(res.text, "Redis connection lost");
}

static int setup(void **state)
{
	struct test_ctx *t = i_new(struct test_ctx, 1);

	if ((t->ctx = redis_fixture_start_connected(&t->fx)) == NULL) {
		i_free(t);
		return -1;
	}
	t->ioloop = io_loop_create();
	t->set.socket_path = t->fx.socket;
	t->set.host = "";
	t->set.user = "";
	t->set.timeout_msecs = 2000;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct test_ctx *t = *state;

	io_loop_destroy(&t->ioloop);
	redisFree(t->ctx);
	redis_fixture_stop(&t->fx);
	i_free(t);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subscribes_and_hands_over_messages),
		cmocka_unit_test(test_lost_subscription_comes_back),
		cmocka_unit_test(test_refused_subscribe_is_logged_once),
		cmocka_unit_test(test_destroy_in_every_state),
		cmocka_unit_test(test_client_calls_and_reconnects),
	};
	int ret;

	lib_init();
	i_set_error_handler(test_log_handler);
	i_set_info_handler(test_log_handler);
	ret = cmocka_run_group_tests(tests, setup, teardown);
	lib_deinit();
	return ret;
}
