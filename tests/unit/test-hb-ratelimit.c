/* test-hb-ratelimit.c - cmocka tests of lib/hb-scripts-policy.c against a real
 * redis-server of its own (tests/unit/redis-fixture.c): the GCRA burst, retry
 * and recovery, costs, all-or-nothing over several keys, TTLs, malformed
 * arguments, malformed replies, key names, and exactness with 4 concurrent
 * clients (docs/DOMAINS.md, 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb-scripts-policy.h"
#include "redis-fixture.h"

#define CHILDREN 4
#define CHILD_REQUESTS 200

struct rl_test {
	struct redis_fixture fx;
	redisContext *ctx;
	char sha[41];
};

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static redisReply *cmd(redisContext *ctx, int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);

	assert_non_null(r);
	return r;
}

static int group_setup(void **state)
{
	struct rl_test *t = calloc(1, sizeof(*t));
	char err[256];
	const char *load[] = { "SCRIPT", "LOAD", hb_script_ratelimit };
	redisReply *r;

	if (t == NULL)
		return -1;
	if (redis_fixture_start(&t->fx, err, sizeof(err)) < 0) {
		fprintf(stderr, "redis fixture: %s\n", err);
		free(t);
		return -1;
	}
	t->ctx = redis_fixture_connect(&t->fx);
	r = t->ctx == NULL ? NULL : redisCommandArgv(t->ctx, 3, load, NULL);
	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
		fprintf(stderr, "SCRIPT LOAD failed: %s\n", r != NULL ? r->str : "no reply");
		if (r != NULL)
			freeReplyObject(r);
		if (t->ctx != NULL)
			redisFree(t->ctx);
		redis_fixture_stop(&t->fx);
		free(t);
		return -1;
	}
	memcpy(t->sha, r->str, 40);
	freeReplyObject(r);
	*state = t;
	return 0;
}

static int group_teardown(void **state)
{
	struct rl_test *t = *state;

	redisFree(t->ctx);
	redis_fixture_stop(&t->fx);
	free(t);
	return 0;
}

/* Each test starts from an empty database. */
static int flush(void **state)
{
	struct rl_test *t = *state;
	const char *argv[] = { "FLUSHALL" };

	freeReplyObject(cmd(t->ctx, 1, argv));
	return 0;
}

/* Run the script over CHECKS with SHA (NULL: EVAL); returns the parser's
 * result and sets the outputs (index/retry 0 when allowed). */
static int run(redisContext *ctx, const char *sha, const struct hb_ratelimit_check *checks,
	       unsigned int n, int *allowed, unsigned int *index, long long *retry)
{
	const char *argv[HB_RATELIMIT_ARGV_MAX];
	size_t argvlen[HB_RATELIMIT_ARGV_MAX];
	char numbuf[HB_RATELIMIT_NUMBUF_SIZE];
	unsigned int argc;
	const char *error;
	redisReply *r;
	int ret;

	assert_int_equal(hb_ratelimit_argv(sha, checks, n, argv, argvlen, numbuf,
					   sizeof(numbuf), &argc, &error), 0);
	r = redisCommandArgv(ctx, (int)argc, argv, argvlen);
	if (r == NULL)
		return -2;
	*index = 0;
	*retry = 0;
	ret = hb_ratelimit_parse_reply(r, allowed, index, retry, &error);
	freeReplyObject(r);
	return ret;
}

static void expect_allowed(struct rl_test *t, const struct hb_ratelimit_check *c, unsigned int n)
{
	int allowed = -1;
	unsigned int index;
	long long retry;

	assert_int_equal(run(t->ctx, t->sha, c, n, &allowed, &index, &retry), 0);
	assert_int_equal(allowed, 1);
}

/* Expects a refusal by key INDEX and returns its retry_ms. */
static long long expect_refused(struct rl_test *t, const struct hb_ratelimit_check *c,
				unsigned int n, unsigned int index)
{
	int allowed = -1;
	unsigned int got_index;
	long long retry;

	assert_int_equal(run(t->ctx, t->sha, c, n, &allowed, &got_index, &retry), 0);
	assert_int_equal(allowed, 0);
	assert_int_equal(got_index, index);
	return retry;
}

static char *get_value(struct rl_test *t, const char *key)
{
	const char *argv[] = { "GET", key };
	redisReply *r = cmd(t->ctx, 2, argv);
	char *v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;

	freeReplyObject(r);
	return v;
}

static long long pttl(struct rl_test *t, const char *key)
{
	const char *argv[] = { "PTTL", key };
	redisReply *r = cmd(t->ctx, 2, argv);
	long long v;

	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* COUNT 4 per 2 s (T = 500 ms): 4 at once, then refused with a retry within
 * T; after that retry exactly one more passes. */
static void test_burst_retry_recover(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check c = { "hb:rl:user_msgs:a@x.example", 4, 2, 1 };
	long long retry;

	for (int i = 0; i < 4; i++)
		expect_allowed(t, &c, 1);
	retry = expect_refused(t, &c, 1, 1);
	assert_true(retry > 0 && retry <= 500);
	retry = expect_refused(t, &c, 1, 1);
	assert_true(retry > 0 && retry <= 500);
	sleep_ms(retry + 30);
	expect_allowed(t, &c, 1);
	retry = expect_refused(t, &c, 1, 1);
	assert_true(retry > 400 && retry <= 500);
}

/* A cost of n consumes n units: 3 + 3 + 4 of 10 pass, then nothing. */
static void test_cost(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check c = { "hb:rl:user_rcpts:a@x.example", 10, 3600, 3 };
	long long ttl, retry;

	expect_allowed(t, &c, 1);
	/* 3 units of T = 360 s each are booked */
	ttl = pttl(t, c.key);
	assert_true(ttl > 3 * 360000 - 2000 && ttl <= 3 * 360000);
	expect_allowed(t, &c, 1);
	c.cost = 5;
	retry = expect_refused(t, &c, 1, 1);
	assert_true(retry > 360000 - 2000 && retry <= 360000);
	c.cost = 4;
	expect_allowed(t, &c, 1);
	c.cost = 1;
	retry = expect_refused(t, &c, 1, 1);
	assert_true(retry > 360000 - 2000 && retry <= 360000);
}

/* A cost above COUNT can never pass: {0, i, -1}, and nothing is stored. */
static void test_cost_above_count(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check c[2] = {
		{ "hb:rl:user_rcpts:a@x.example", 100, 3600, 11 },
		{ "hb:rl:domain_rcpts:x.example", 10, 3600, 11 },
	};

	assert_int_equal(expect_refused(t, c, 2, 2), -1);
	assert_null(get_value(t, c[0].key));
	assert_null(get_value(t, c[1].key));
	c[1].cost = 10;
	c[0].cost = 10;
	expect_allowed(t, c, 2);
}

/* Refused by the second key: the first key's state stays exactly as it was. */
static void test_two_keys_all_or_nothing(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check c[2] = {
		{ "hb:rl:user_msgs:a@x.example", 100, 3600, 1 },
		{ "hb:rl:domain_msgs:x.example", 2, 3600, 1 },
	};
	char *before, *after, *second;

	expect_allowed(t, c, 2);
	expect_allowed(t, c, 2);
	before = get_value(t, c[0].key);
	second = get_value(t, c[1].key);
	assert_non_null(before);
	assert_non_null(second);
	assert_true(expect_refused(t, c, 2, 2) > 0);
	after = get_value(t, c[0].key);
	assert_string_equal(before, after);
	free(after);
	after = get_value(t, c[1].key);
	assert_string_equal(second, after);
	free(after);
	/* the other order: refused by the first, the second stays too */
	struct hb_ratelimit_check rev[2] = { c[1], c[0] };
	assert_true(expect_refused(t, rev, 2, 1) > 0);
	after = get_value(t, c[0].key);
	assert_string_equal(before, after);
	free(after);
	free(before);
	free(second);
}

/* The state is "ms.uuu" with a TTL of at most the period, also when COUNT
 * does not divide the period. */
static void test_ttl_and_value(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check c = { "hb:rl:domain_msgs:x.example", 7, 3600, 7 };
	char *v;
	long long ttl;

	expect_allowed(t, &c, 1);
	ttl = pttl(t, c.key);
	assert_true(ttl > 3600000 - 2000 && ttl <= 3600000);
	v = get_value(t, c.key);
	assert_non_null(v);
	assert_int_equal(strspn(v, "0123456789"), strlen(v) - 4);
	assert_int_equal(v[strlen(v) - 4], '.');
	free(v);
	c.cost = 1;
	assert_true(expect_refused(t, &c, 1, 1) > 0);

	struct hb_ratelimit_check d = { "hb:rl:user_msgs:b@x.example", 4, 2, 1 };
	expect_allowed(t, &d, 1);
	ttl = pttl(t, d.key);
	assert_true(ttl > 0 && ttl <= 500);
}

/* Raw EVALSHA with argv the builder would never produce: an error reply that
 * the parser turns into -1 with the script's reason, and no key written. */
static void expect_script_error(struct rl_test *t, int argc, const char **argv,
				const char *reason)
{
	const char *full[16] = { "EVALSHA", t->sha };
	redisReply *r;
	const char *error = NULL;
	int allowed = -1;
	unsigned int index = 0;
	long long retry = 0;

	assert_true(argc <= 14);
	memcpy(full + 2, argv, sizeof(*argv) * (size_t)argc);
	r = cmd(t->ctx, argc + 2, full);
	assert_int_equal(hb_ratelimit_parse_reply(r, &allowed, &index, &retry, &error), -1);
	assert_non_null(error);
	if (strstr(error, reason) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", error, reason);
	assert_int_equal(allowed, -1);
	freeReplyObject(r);
	assert_null(get_value(t, "k1"));
}

static void test_malformed_args(void **state)
{
	struct rl_test *t = *state;
	const char *bad_values[] = {
		"0", "-1", "abc", "1.5", " 4", "4 ", "4x", "", "+4", "04", "1e3",
		"0x10", "1000000000000000", "99999999999999999999",
	};

	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		const char *a1[] = { "1", "k1", bad_values[i], "60", "1" };
		const char *a2[] = { "1", "k1", "4", bad_values[i], "1" };
		const char *a3[] = { "1", "k1", "4", "60", bad_values[i] };
		expect_script_error(t, 5, a1, "COUNT of key 1");
		expect_script_error(t, 5, a2, "PERIOD of key 1");
		expect_script_error(t, 5, a3, "COST of key 1");
	}
	const char *period_big[] = { "1", "k1", "4", "1000000001", "1" };
	expect_script_error(t, 5, period_big, "PERIOD of key 1");
	/* the bounds of every stored rate (lib/hb-units.h): a day, 10^9 */
	const char *period_day[] = { "1", "k1", "4", "86401", "1" };
	expect_script_error(t, 5, period_day, "PERIOD of key 1");
	const char *count_big[] = { "1", "k1", "1000000001", "60", "1" };
	expect_script_error(t, 5, count_big, "COUNT of key 1");
	const char *cost_big[] = { "1", "k1", "4", "60", "1000000001" };
	expect_script_error(t, 5, cost_big, "COST of key 1");
	const char *second_bad[] = { "2", "k1", "k2", "4", "60", "1", "4", "x", "1" };
	expect_script_error(t, 9, second_bad, "PERIOD of key 2");
	const char *missing[] = { "1", "k1", "4", "60" };
	expect_script_error(t, 4, missing, "need COUNT PERIOD COST");
	const char *extra[] = { "1", "k1", "4", "60", "1", "1" };
	expect_script_error(t, 6, extra, "need COUNT PERIOD COST");
	const char *none[] = { "0" };
	expect_script_error(t, 1, none, "no keys");
	const char *twice[] = { "2", "k1", "k1", "4", "60", "1", "4", "60", "1" };
	expect_script_error(t, 9, twice, "key 2 repeats key 1");
}

/* A stored state the script did not write never fails a request (that
 * would answer 451 to every message of the login, or with milter_fail =
 * accept skip all its limits): it counts as a quiet subject, so at most one
 * burst of COUNT passes, and the next allowed request replaces it. */
static void test_corrupt_state(void **state)
{
	struct rl_test *t = *state;
	const char *bad_states[] = { "garbage", "12.5x", "1.2345", "12345678901234", "-5", "",
				     "9999999999999.999" /* the year 2286: beyond any window */ };
	struct hb_ratelimit_check c = { "hb:rl:user_msgs:c@x.example", 4, 60, 1 };

	for (size_t i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
		const char *set[] = { "SET", c.key, bad_states[i] };
		freeReplyObject(cmd(t->ctx, 3, set));
		for (int n = 0; n < 4; n++)
			expect_allowed(t, &c, 1);
		assert_true(expect_refused(t, &c, 1, 1) > 0);
		assert_true(pttl(t, c.key) > 0 && pttl(t, c.key) <= 60000);
	}
	/* a key of another type is not ours either */
	const char *del[] = { "DEL", c.key }, *hset[] = { "HSET", c.key, "a", "b" };
	freeReplyObject(cmd(t->ctx, 2, del));
	freeReplyObject(cmd(t->ctx, 4, hset));
	expect_allowed(t, &c, 1);
	/* a well-formed state without decimals is read */
	const char *set[] = { "SET", c.key, "1000" };
	freeReplyObject(cmd(t->ctx, 3, set));
	expect_allowed(t, &c, 1);
}

/* The largest limits of any stored rate compute exactly: 10^9 per second
 * and 1 per day, and COST = COUNT at the top. */
static void test_bounds(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check big = { "hb:rl:user_rcpts:b@x.example", HB_RATELIMIT_MAX_COUNT,
					  1, HB_RATELIMIT_MAX_COUNT };
	struct hb_ratelimit_check day = { "hb:rl:user_msgs:b@x.example", 1,
					  HB_RATELIMIT_MAX_PERIOD, 1 };
	long long retry;

	expect_allowed(t, &big, 1);
	big.cost = 1000000;	/* one second's worth: refused right after the burst */
	assert_true(expect_refused(t, &big, 1, 1) > 0);
	expect_allowed(t, &day, 1);
	retry = expect_refused(t, &day, 1, 1);
	assert_true(retry > 86400000LL - 2000 && retry <= 86400000LL);
	assert_true(pttl(t, day.key) > 86400000LL - 2000 && pttl(t, day.key) <= 86400000LL);
}

/* EVAL with the script text works too; an unknown SHA is an error reply. */
static void test_eval_and_noscript(void **state)
{
	struct rl_test *t = *state;
	struct hb_ratelimit_check c = { "hb:rl:user_msgs:e@x.example", 1, 60, 1 };
	int allowed = -1;
	unsigned int index;
	long long retry;

	assert_int_equal(run(t->ctx, NULL, &c, 1, &allowed, &index, &retry), 0);
	assert_int_equal(allowed, 1);
	assert_int_equal(run(t->ctx, NULL, &c, 1, &allowed, &index, &retry), 0);
	assert_int_equal(allowed, 0);
	assert_int_equal(index, 1);
	assert_int_equal(run(t->ctx, "0000000000000000000000000000000000000000", &c, 1,
			     &allowed, &index, &retry), -1);
}

static void child_run(const struct redis_fixture *fx, const char *sha, int go_fd, int out_fd)
{
	struct hb_ratelimit_check c = { "hb:rl:domain_msgs:conc.example", 50, 3600, 1 };
	redisContext *ctx = redis_fixture_connect(fx);
	int result = 0, allowed;
	unsigned int index;
	long long retry;
	char go;

	if (ctx == NULL || read(go_fd, &go, 1) < 0)
		result = -1;
	for (int i = 0; i < CHILD_REQUESTS && result >= 0; i++) {
		if (run(ctx, sha, &c, 1, &allowed, &index, &retry) != 0)
			result = -1;
		else
			result += allowed;
	}
	if (write(out_fd, &result, sizeof(result)) != sizeof(result))
		_exit(2);
	if (ctx != NULL)
		redisFree(ctx);
	_exit(0);
}

/* 4 processes, 800 requests against COUNT 50 per hour: exactly 50 pass. */
static void test_concurrent_exact(void **state)
{
	struct rl_test *t = *state;
	int go[2], out[2], sum = 0, status, v;
	pid_t pids[CHILDREN];

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(out), 0);
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			/* the parent's connection is not ours to use */
			redisFree(t->ctx);
			t->ctx = NULL;
			close(go[1]);
			close(out[0]);
			child_run(&t->fx, t->sha, go[0], out[1]);
		}
	}
	close(go[0]);
	close(out[1]);
	close(go[1]); /* all children start at once: read() returns 0 */
	for (int i = 0; i < CHILDREN; i++) {
		assert_int_equal(read(out[0], &v, sizeof(v)), sizeof(v));
		assert_true(v >= 0);
		sum += v;
	}
	close(out[0]);
	for (int i = 0; i < CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(sum, 50);
}

static void test_argv(void **state)
{
	struct hb_ratelimit_check c[2] = {
		{ "hb:rl:user_msgs:a@x.example", 200, 3600, 1 },
		{ "hb:rl:domain_rcpts:x.example", 10000, 86400, 25 },
	};
	const char *argv[HB_RATELIMIT_ARGV_MAX];
	size_t argvlen[HB_RATELIMIT_ARGV_MAX];
	char numbuf[HB_RATELIMIT_NUMBUF_SIZE];
	const char *expected[] = { "EVALSHA", "abc", "2", c[0].key, c[1].key,
				   "200", "3600", "1", "10000", "86400", "25" };
	unsigned int argc = 0;
	const char *error = NULL;

	(void)state;
	assert_int_equal(hb_ratelimit_argv("abc", c, 2, argv, argvlen, numbuf, sizeof(numbuf),
					   &argc, &error), 0);
	assert_int_equal(argc, 11);
	for (unsigned int i = 0; i < argc; i++) {
		assert_string_equal(argv[i], expected[i]);
		assert_int_equal(argvlen[i], strlen(expected[i]));
	}
	assert_int_equal(hb_ratelimit_argv(NULL, c, 1, argv, argvlen, numbuf, sizeof(numbuf),
					   &argc, &error), 0);
	assert_int_equal(argc, 7);
	assert_string_equal(argv[0], "EVAL");
	assert_ptr_equal(argv[1], hb_script_ratelimit);
	assert_int_equal(argvlen[1], strlen(hb_script_ratelimit));

	/* the largest call fits the documented sizes */
	struct hb_ratelimit_check many[HB_RATELIMIT_MAX_CHECKS];
	for (int i = 0; i < HB_RATELIMIT_MAX_CHECKS; i++)
		many[i] = (struct hb_ratelimit_check){ "k", HB_RATELIMIT_MAX_COUNT,
			HB_RATELIMIT_MAX_PERIOD, HB_RATELIMIT_MAX_COUNT };
	assert_int_equal(hb_ratelimit_argv("abc", many, HB_RATELIMIT_MAX_CHECKS, argv, argvlen,
					   numbuf, sizeof(numbuf), &argc, &error), 0);
	assert_int_equal(argc, HB_RATELIMIT_ARGV_MAX);
	assert_string_equal(argv[HB_RATELIMIT_ARGV_MAX - 1], "1000000000");
}

static void expect_argv_error(const struct hb_ratelimit_check *c, unsigned int n,
			      size_t numbuf_size)
{
	const char *argv[HB_RATELIMIT_ARGV_MAX];
	size_t argvlen[HB_RATELIMIT_ARGV_MAX];
	char numbuf[HB_RATELIMIT_NUMBUF_SIZE];
	unsigned int argc = 12345;
	const char *error = NULL;

	assert_int_equal(hb_ratelimit_argv("abc", c, n, argv, argvlen, numbuf, numbuf_size,
					   &argc, &error), -1);
	assert_non_null(error);
	assert_int_equal(argc, 12345);
}

static void test_argv_errors(void **state)
{
	struct hb_ratelimit_check ok = { "k", 4, 60, 1 };
	struct hb_ratelimit_check nine[9];
	const struct hb_ratelimit_check bad[] = {
		{ NULL, 4, 60, 1 }, { "", 4, 60, 1 }, { "k", 0, 60, 1 }, { "k", -4, 60, 1 },
		{ "k", 4, 0, 1 }, { "k", 4, -60, 1 }, { "k", 4, 60, 0 }, { "k", 4, 60, -1 },
		{ "k", HB_RATELIMIT_MAX_COUNT + 1, 60, 1 }, { "k", 4, HB_RATELIMIT_MAX_PERIOD + 1, 1 },
		{ "k", 4, 60, HB_RATELIMIT_MAX_COUNT + 1 },
	};

	(void)state;
	for (int i = 0; i < 9; i++)
		nine[i] = ok;
	expect_argv_error(&ok, 0, HB_RATELIMIT_NUMBUF_SIZE);
	expect_argv_error(nine, 9, HB_RATELIMIT_NUMBUF_SIZE);
	expect_argv_error(NULL, 1, HB_RATELIMIT_NUMBUF_SIZE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hb_ratelimit_check two[2] = { ok, bad[i] };
		expect_argv_error(&bad[i], 1, HB_RATELIMIT_NUMBUF_SIZE);
		expect_argv_error(two, 2, HB_RATELIMIT_NUMBUF_SIZE);
	}
	/* "1\0" "4\0" "60\0" "1\0" needs 9 bytes */
	expect_argv_error(&ok, 1, 8);
	expect_argv_error(&ok, 1, 0);
	const char *argv[HB_RATELIMIT_ARGV_MAX];
	size_t argvlen[HB_RATELIMIT_ARGV_MAX];
	char numbuf[9];
	unsigned int argc;
	const char *error;
	assert_int_equal(hb_ratelimit_argv("abc", &ok, 1, argv, argvlen, numbuf, sizeof(numbuf),
					   &argc, &error), 0);
}

static int parse(const redisReply *r, int *allowed, unsigned int *index, long long *retry)
{
	const char *error = NULL;
	int ret = hb_ratelimit_parse_reply(r, allowed, index, retry, &error);

	if (ret < 0)
		assert_non_null(error);
	return ret;
}

static void test_parse_reply(void **state)
{
	redisReply i0 = { .type = REDIS_REPLY_INTEGER, .integer = 0 };
	redisReply i1 = { .type = REDIS_REPLY_INTEGER, .integer = 1 };
	redisReply i2 = { .type = REDIS_REPLY_INTEGER, .integer = 2 };
	redisReply i9 = { .type = REDIS_REPLY_INTEGER, .integer = 9 };
	redisReply ineg = { .type = REDIS_REPLY_INTEGER, .integer = -1 };
	redisReply ineg2 = { .type = REDIS_REPLY_INTEGER, .integer = -2 };
	redisReply i500 = { .type = REDIS_REPLY_INTEGER, .integer = 500 };
	redisReply s1 = { .type = REDIS_REPLY_STRING, .str = (char *)"1", .len = 1 };
	redisReply nil = { .type = REDIS_REPLY_NIL };
	redisReply err = { .type = REDIS_REPLY_ERROR, .str = (char *)"ERR boom", .len = 8 };
	redisReply *e[3];
	redisReply arr = { .type = REDIS_REPLY_ARRAY, .element = e };
	int allowed = -1;
	unsigned int index = 0;
	long long retry = 0;
	const char *error = NULL;

	(void)state;
	assert_int_equal(parse(NULL, &allowed, &index, &retry), -1);
	assert_int_equal(hb_ratelimit_parse_reply(&err, &allowed, &index, &retry, &error), -1);
	assert_string_equal(error, "ERR boom");
	assert_int_equal(parse(&i1, &allowed, &index, &retry), -1);
	assert_int_equal(parse(&s1, &allowed, &index, &retry), -1);
	assert_int_equal(parse(&nil, &allowed, &index, &retry), -1);
	/* {1} and the refusals that are well-formed */
	e[0] = &i1; arr.elements = 1;
	assert_int_equal(parse(&arr, &allowed, &index, &retry), 0);
	assert_int_equal(allowed, 1);
	e[0] = &i0; e[1] = &i2; e[2] = &i500; arr.elements = 3;
	assert_int_equal(parse(&arr, &allowed, &index, &retry), 0);
	assert_int_equal(allowed, 0);
	assert_int_equal(index, 2);
	assert_int_equal(retry, 500);
	e[2] = &ineg;
	assert_int_equal(parse(&arr, &allowed, &index, &retry), 0);
	assert_int_equal(retry, -1);
	/* wrong lengths */
	for (size_t n = 0; n <= 2; n += 2) {
		arr.elements = n;
		assert_int_equal(parse(&arr, &allowed, &index, &retry), -1);
	}
	/* wrong values and types */
	struct { redisReply *a, *b, *c; size_t n; } bad[] = {
		{ &i0, NULL, NULL, 1 }, { &i2, NULL, NULL, 1 }, { &s1, NULL, NULL, 1 },
		{ NULL, NULL, NULL, 1 }, { &nil, NULL, NULL, 1 },
		{ &i1, &i2, &i500, 3 }, { &s1, &i2, &i500, 3 }, { &i0, &s1, &i500, 3 },
		{ &i0, &i2, &s1, 3 }, { &i0, &i0, &i500, 3 }, { &i0, &ineg, &i500, 3 },
		{ &i0, &i9, &i500, 3 }, { &i0, &i2, &i0, 3 }, { &i0, &i2, &ineg2, 3 },
		{ &i0, NULL, &i500, 3 }, { &i0, &i2, NULL, 3 }, { &i0, &i2, &nil, 3 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e[0] = bad[i].a; e[1] = bad[i].b; e[2] = bad[i].c;
		arr.elements = bad[i].n;
		if (parse(&arr, &allowed, &index, &retry) != -1)
			fail_msg("bad reply %zu parsed", i);
	}
	/* a nested array where an integer belongs */
	e[0] = &arr; arr.elements = 1;
	assert_int_equal(parse(&arr, &allowed, &index, &retry), -1);
}

static void expect_key(const char *prefix, const char *kind, const char *subject,
		       const char *expected)
{
	char buf[512];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(hb_ratelimit_key(prefix, kind, subject, buf, sizeof(buf)),
			 strlen(expected));
	assert_string_equal(buf, expected);
}

static void expect_no_key(const char *prefix, const char *kind, const char *subject,
			  size_t size)
{
	char buf[512];

	assert_true(size <= sizeof(buf));
	assert_int_equal(hb_ratelimit_key(prefix, kind, subject, buf, size), 0);
}

static void test_key(void **state)
{
	char subject[HB_RATELIMIT_SUBJECT_MAX + 2];

	(void)state;
	expect_key("hb:", "user_msgs", "a@x.example", "hb:rl:user_msgs:a@x.example");
	expect_key("hb:", "user_rcpts", "a@x.example", "hb:rl:user_rcpts:a@x.example");
	expect_key("hb:", "domain_msgs", "x.example", "hb:rl:domain_msgs:x.example");
	expect_key("", "domain_rcpts", "x.example", "rl:domain_rcpts:x.example");
	expect_no_key("hb:", "users_msgs", "a@x.example", 512);
	expect_no_key("hb:", "", "a@x.example", 512);
	expect_no_key("hb:", "user_msgs", "", 512);
	expect_no_key("hb:", "user_msgs", "a\n@x.example", 512);
	expect_no_key("hb:", "user_msgs", "a\x7f@x.example", 512);
	expect_no_key("hb:", "user_msgs", "a\t@x.example", 512);
	expect_no_key("h\rb:", "user_msgs", "a@x.example", 512);
	expect_no_key(NULL, "user_msgs", "a@x.example", 512);
	expect_no_key("hb:", NULL, "a@x.example", 512);
	expect_no_key("hb:", "user_msgs", NULL, 512);
	/* exactly fitting, one byte short, and zero */
	expect_no_key("hb:", "user_msgs", "a@x.example", strlen("hb:rl:user_msgs:a@x.example"));
	expect_no_key("hb:", "user_msgs", "a@x.example", 0);
	char fit[28];
	assert_int_equal(hb_ratelimit_key("hb:", "user_msgs", "a@x.example", fit, sizeof(fit)), 27);
	/* UTF-8 is fine; 320 bytes pass, 321 do not */
	expect_key("hb:", "user_msgs", "j\xc3\xb6rg@x.example", "hb:rl:user_msgs:j\xc3\xb6rg@x.example");
	memset(subject, 'a', HB_RATELIMIT_SUBJECT_MAX);
	subject[HB_RATELIMIT_SUBJECT_MAX] = '\0';
	char buf[512];
	assert_int_equal(hb_ratelimit_key("hb:", "user_msgs", subject, buf, sizeof(buf)),
			 strlen("hb:rl:user_msgs:") + HB_RATELIMIT_SUBJECT_MAX);
	subject[HB_RATELIMIT_SUBJECT_MAX] = 'a';
	subject[HB_RATELIMIT_SUBJECT_MAX + 1] = '\0';
	expect_no_key("hb:", "user_msgs", subject, 512);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_argv_errors),
		cmocka_unit_test(test_parse_reply),
	};
	const struct CMUnitTest redis[] = {
		cmocka_unit_test_setup(test_burst_retry_recover, flush),
		cmocka_unit_test_setup(test_cost, flush),
		cmocka_unit_test_setup(test_cost_above_count, flush),
		cmocka_unit_test_setup(test_two_keys_all_or_nothing, flush),
		cmocka_unit_test_setup(test_ttl_and_value, flush),
		cmocka_unit_test_setup(test_malformed_args, flush),
		cmocka_unit_test_setup(test_corrupt_state, flush),
		cmocka_unit_test_setup(test_bounds, flush),
		cmocka_unit_test_setup(test_eval_and_noscript, flush),
		cmocka_unit_test_setup(test_concurrent_exact, flush),
	};
	int failed = cmocka_run_group_tests_name("pure", pure, NULL, NULL);

	failed += cmocka_run_group_tests_name("redis", redis, group_setup, group_teardown);
	return failed != 0;
}
