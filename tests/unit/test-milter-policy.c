/* test-milter-policy.c - unit tests of milter/policy-cache.c's
 * policy_from_replies(): the effective policy the milter applies is
 * min(domain value or default, operator cap), a corrupt stored value never
 * lifts a cap, a missing hash is "not hosted", and malformed replies are
 * refused.  Replies are parsed from RESP text by hiredis' own reader, so no
 * Redis server is needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "policy-cache.h"

/* An HGETALL-like reply of N field/value pairs given as strings. */
static redisReply *hash_reply(unsigned int n, ...)
{
	redisReader *reader = redisReaderCreate();
	char buf[4096];
	size_t used;
	void *reply = NULL;
	va_list ap;

	used = (size_t)snprintf(buf, sizeof(buf), "*%u\r\n", 2 * n);
	va_start(ap, n);
	for (unsigned int i = 0; i < 2 * n; i++) {
		const char *s = va_arg(ap, const char *);
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "$%zu\r\n%s\r\n", strlen(s), s);
	}
	va_end(ap);
	assert_int_equal(redisReaderFeed(reader, buf, used), REDIS_OK);
	assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_OK);
	assert_non_null(reply);
	redisReaderFree(reader);
	return reply;
}

static void test_defaults_of_a_hosted_domain(void **state)
{
	redisReply *d = hash_reply(1, "state", "active"), *c = hash_reply(0);
	struct domain_policy p;
	unsigned int corrupt = 9;

	assert_int_equal(policy_from_replies(d, d, c, &p, &corrupt), 0);
	assert_true(p.hosted && !p.suspended && p.unauth_reject);
	assert_int_equal(corrupt, 0);
	assert_true(p.max_msg_size == 25LL * 1024 * 1024);
	assert_true(p.max_rcpt == 100);
	assert_true(p.user_msgs.count == 200 && p.user_msgs.seconds == 3600);
	assert_true(p.domain_rcpts.count == 10000 && p.domain_rcpts.seconds == 3600);
	freeReplyObject(d);
	freeReplyObject(c);
}

static void test_cap_bounds_the_domain_value(void **state)
{
	redisReply *d = hash_reply(4, "state", "active", "max_rcpt", "500", "user_msgs", "50/60",
				   "unauth_sender", "accept");
	redisReply *c = hash_reply(3, "max_rcpt", "20", "user_msgs", "unlimited",
				   "unauth_sender", "reject");
	struct domain_policy p;
	unsigned int corrupt;

	assert_int_equal(policy_from_replies(d, d, c, &p, &corrupt), 0);
	assert_true(p.max_rcpt == 20);				/* cap wins */
	assert_true(p.user_msgs.count == 50 && p.user_msgs.seconds == 60);	/* value wins */
	assert_true(p.unauth_reject);				/* reject is stricter */
	assert_int_equal(corrupt, 0);
	freeReplyObject(d);
	freeReplyObject(c);
}

static void test_corrupt_values_never_lift_a_cap(void **state)
{
	redisReply *d = hash_reply(4, "state", "active", "max_rcpt", "lots",
				   "max_msg_size", "-5", "user_rcpts", "200/h");
	redisReply *c = hash_reply(1, "max_rcpt", "7");
	struct domain_policy p;
	unsigned int corrupt;

	assert_int_equal(policy_from_replies(d, d, c, &p, &corrupt), 0);
	assert_true(p.max_rcpt == 7);
	assert_true(p.max_msg_size == 25LL * 1024 * 1024);	/* the default */
	assert_true(p.user_rcpts.count == 1000);		/* "200/h" is not canonical */
	assert_int_equal(corrupt, 3);
	freeReplyObject(d);
	freeReplyObject(c);
}

static void test_unlimited_and_zero(void **state)
{
	redisReply *d = hash_reply(3, "state", "active", "max_msg_size", "unlimited",
				   "domain_msgs", "0/1");
	redisReply *c = hash_reply(0);
	struct domain_policy p;
	unsigned int corrupt;

	assert_int_equal(policy_from_replies(d, d, c, &p, &corrupt), 0);
	assert_true(p.max_msg_size == -1);
	assert_true(p.domain_msgs.count == 0);
	freeReplyObject(d);
	freeReplyObject(c);
}

static void test_not_hosted_and_suspended(void **state)
{
	redisReply *none = hash_reply(0), *susp = hash_reply(1, "state", "suspended");
	struct domain_policy p;
	unsigned int corrupt;

	assert_int_equal(policy_from_replies(none, none, none, &p, &corrupt), 0);
	assert_false(p.hosted);
	assert_int_equal(policy_from_replies(susp, susp, none, &p, &corrupt), 0);
	assert_true(p.hosted && p.suspended);
	freeReplyObject(none);
	freeReplyObject(susp);
}

static void test_malformed_replies(void **state)
{
	redisReply err = { .type = REDIS_REPLY_ERROR, .str = "NOPERM", .len = 6 };
	redisReply nil = { .type = REDIS_REPLY_NIL };
	redisReply *ok = hash_reply(1, "state", "active");
	struct domain_policy p;
	unsigned int corrupt;

	assert_int_equal(policy_from_replies(&err, &err, ok, &p, &corrupt), -1);
	assert_int_equal(policy_from_replies(ok, ok, &nil, &p, &corrupt), -1);
	assert_int_equal(policy_from_replies(NULL, NULL, ok, &p, &corrupt), -1);
	freeReplyObject(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_of_a_hosted_domain),
		cmocka_unit_test(test_cap_bounds_the_domain_value),
		cmocka_unit_test(test_corrupt_values_never_lift_a_cap),
		cmocka_unit_test(test_unlimited_and_zero),
		cmocka_unit_test(test_not_hosted_and_suspended),
		cmocka_unit_test(test_malformed_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
