/* test-route-cache.c - cmocka tests of the passdb module's answer cache
 * (route-cache.c): hits and misses per service and user, expiry at the
 * deadline, replacement, the entry bound, many users, and forgetting every
 * answer naming one backend (a health event).  Needs no Dovecot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "route-cache.h"

static const struct route_cache_answer b1 = { "b1", "127.0.0.2", "143" };
static const struct route_cache_answer b2 = { "b2", "127.0.0.3", "1143" };

static bool get_backend(struct route_cache *c, const char *field, const char *user,
			long long now, const char *expect)
{
	struct route_cache_answer a;

	if (!route_cache_get(c, field, user, now, &a))
		return false;
	assert_string_equal(a.backend, expect);
	return true;
}

static void test_hit_only_for_the_same_service_and_user(void **state)
{
	struct route_cache *c = route_cache_create(100);
	struct route_cache_answer a;

	route_cache_put(c, "imap_port", "u@d", &b1, 2000, 1000);
	assert_true(route_cache_get(c, "imap_port", "u@d", 1500, &a));
	assert_string_equal(a.backend, "b1");
	assert_string_equal(a.host, "127.0.0.2");
	assert_string_equal(a.port, "143");
	assert_false(route_cache_get(c, "pop3_port", "u@d", 1500, &a));
	assert_false(route_cache_get(c, "imap_port", "v@d", 1500, &a));
	assert_false(route_cache_get(c, "imap_port", "u@d2", 1500, &a));
	/* the separator cannot be confused: "imap_port\tu" vs "imap\tport..." */
	assert_false(route_cache_get(c, "imap", "port\tu@d", 1500, &a));
	route_cache_destroy(&c);
	assert_null(c);
}

static void test_answer_expires_at_its_deadline(void **state)
{
	struct route_cache *c = route_cache_create(100);

	route_cache_put(c, "imap_port", "u@d", &b1, 2000, 1000);
	assert_true(get_backend(c, "imap_port", "u@d", 1999, "b1"));
	assert_false(get_backend(c, "imap_port", "u@d", 2000, "b1"));
	assert_int_equal(route_cache_count(c), 0);
	/* a deadline already past stores nothing */
	route_cache_put(c, "imap_port", "u@d", &b1, 3000, 3000);
	assert_int_equal(route_cache_count(c), 0);
	route_cache_destroy(&c);
}

static void test_new_answer_replaces_the_old(void **state)
{
	struct route_cache *c = route_cache_create(100);

	route_cache_put(c, "imap_port", "u@d", &b1, 2000, 1000);
	route_cache_put(c, "imap_port", "u@d", &b2, 2500, 1100);
	assert_int_equal(route_cache_count(c), 1);
	assert_true(get_backend(c, "imap_port", "u@d", 2200, "b2"));
	/* and a stale answer arriving late removes a fresher one: never kept
	   past the older deadline */
	route_cache_put(c, "imap_port", "u@d", &b1, 1200, 2300);
	assert_int_equal(route_cache_count(c), 0);
	route_cache_destroy(&c);
}

static void test_shorter_ttl_behind_a_longer_one(void **state)
{
	struct route_cache *c = route_cache_create(100);

	/* the directors lowered route_cache_ttl between the two answers */
	route_cache_put(c, "imap_port", "a@d", &b1, 5000, 1000);
	route_cache_put(c, "imap_port", "b@d", &b2, 1500, 1100);
	assert_false(get_backend(c, "imap_port", "b@d", 1600, "b2"));
	assert_true(get_backend(c, "imap_port", "a@d", 1600, "b1"));
	assert_int_equal(route_cache_count(c), 1);
	route_cache_destroy(&c);
}

static void test_bounded_oldest_goes_first(void **state)
{
	struct route_cache *c = route_cache_create(3);

	route_cache_put(c, "imap_port", "1", &b1, 9000, 1000);
	route_cache_put(c, "imap_port", "2", &b1, 9000, 1000);
	route_cache_put(c, "imap_port", "3", &b1, 9000, 1000);
	route_cache_put(c, "imap_port", "4", &b2, 9000, 1000);
	assert_int_equal(route_cache_count(c), 3);
	assert_false(get_backend(c, "imap_port", "1", 1000, "b1"));
	assert_true(get_backend(c, "imap_port", "2", 1000, "b1"));
	assert_true(get_backend(c, "imap_port", "4", 1000, "b2"));
	route_cache_clear(c);
	assert_int_equal(route_cache_count(c), 0);
	assert_false(get_backend(c, "imap_port", "4", 1000, "b2"));
	route_cache_destroy(&c);
}

static void test_many_users(void **state)
{
	struct route_cache *c = route_cache_create(50000);
	char user[32];

	for (int i = 0; i < 40000; i++) {
		snprintf(user, sizeof(user), "u%d@example.com", i);
		route_cache_put(c, "imap_port", user, i % 2 ? &b2 : &b1, 10000 + i, 1000);
	}
	assert_int_equal(route_cache_count(c), 40000);
	for (int i = 0; i < 40000; i += 7) {
		snprintf(user, sizeof(user), "u%d@example.com", i);
		assert_true(get_backend(c, "imap_port", user, 2000, i % 2 ? "b2" : "b1"));
	}
	/* the first half expires, the rest stays */
	assert_false(get_backend(c, "imap_port", "u0@example.com", 30000, "b1"));
	assert_int_equal(route_cache_count(c), 19999);
	assert_true(get_backend(c, "imap_port", "u39999@example.com", 30000, "b2"));
	route_cache_destroy(&c);
}

static void test_forget_backend_drops_only_its_answers(void **state)
{
	static const struct route_cache_answer b10 = { "b10", "127.0.0.4", "143" };
	struct route_cache *c = route_cache_create(100);

	assert_int_equal(route_cache_forget_backend(c, "b1"), 0);
	route_cache_put(c, "imap_port", "u@d", &b1, 9000, 1000);
	route_cache_put(c, "pop3_port", "u@d", &b1, 9000, 1000);
	route_cache_put(c, "imap_port", "v@d", &b2, 9000, 1000);
	route_cache_put(c, "imap_port", "w@d", &b1, 9000, 1000);
	route_cache_put(c, "imap_port", "x@d", &b10, 9000, 1000);
	/* the exact name only: neither a prefix nor another backend */
	assert_int_equal(route_cache_forget_backend(c, "b"), 0);
	assert_int_equal(route_cache_forget_backend(c, "b1 "), 0);
	assert_int_equal(route_cache_forget_backend(c, "b1"), 3);
	assert_int_equal(route_cache_count(c), 2);
	assert_false(get_backend(c, "imap_port", "u@d", 2000, "b1"));
	assert_false(get_backend(c, "pop3_port", "u@d", 2000, "b1"));
	assert_false(get_backend(c, "imap_port", "w@d", 2000, "b1"));
	assert_true(get_backend(c, "imap_port", "v@d", 2000, "b2"));
	assert_true(get_backend(c, "imap_port", "x@d", 2000, "b10"));
	assert_int_equal(route_cache_forget_backend(c, "b1"), 0);
	/* new answers for the backend are kept again */
	route_cache_put(c, "imap_port", "u@d", &b1, 9000, 2000);
	assert_true(get_backend(c, "imap_port", "u@d", 2000, "b1"));
	assert_int_equal(route_cache_forget_backend(c, "b2"), 1);
	assert_int_equal(route_cache_forget_backend(c, "b10"), 1);
	assert_int_equal(route_cache_forget_backend(c, "b1"), 1);
	assert_int_equal(route_cache_count(c), 0);
	route_cache_destroy(&c);
}

static void test_forget_backend_keeps_the_order_and_bound(void **state)
{
	struct route_cache *c = route_cache_create(3);

	/* oldest and newest entries go, the middle one stays */
	route_cache_put(c, "imap_port", "1", &b1, 3000, 1000);
	route_cache_put(c, "imap_port", "2", &b2, 5000, 1000);
	route_cache_put(c, "imap_port", "3", &b1, 9000, 1000);
	assert_int_equal(route_cache_forget_backend(c, "b1"), 2);
	route_cache_put(c, "imap_port", "4", &b1, 9000, 1000);
	route_cache_put(c, "imap_port", "5", &b1, 9000, 1000);
	assert_int_equal(route_cache_count(c), 3);
	/* full: the oldest ("2") goes first */
	route_cache_put(c, "imap_port", "6", &b1, 9000, 1000);
	assert_false(get_backend(c, "imap_port", "2", 1000, "b2"));
	assert_true(get_backend(c, "imap_port", "4", 1000, "b1"));
	assert_true(get_backend(c, "imap_port", "6", 1000, "b1"));
	/* and expiry from the front still works */
	assert_false(get_backend(c, "imap_port", "4", 9000, "b1"));
	assert_int_equal(route_cache_count(c), 0);
	route_cache_destroy(&c);
}

static void test_forget_backend_among_many(void **state)
{
	struct route_cache *c = route_cache_create(50000);
	char user[32];

	for (int i = 0; i < 40000; i++) {
		snprintf(user, sizeof(user), "u%d@example.com", i);
		route_cache_put(c, "imap_port", user, i % 2 ? &b2 : &b1, 10000 + i, 1000);
	}
	assert_int_equal(route_cache_forget_backend(c, "b2"), 20000);
	assert_int_equal(route_cache_count(c), 20000);
	for (int i = 0; i < 40000; i += 7) {
		snprintf(user, sizeof(user), "u%d@example.com", i);
		assert_true(get_backend(c, "imap_port", user, 2000, "b1") == (i % 2 == 0));
	}
	route_cache_destroy(&c);
}

static void test_clock_moves_forward(void **state)
{
	long long a = route_cache_now_ms(), b = route_cache_now_ms();

	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_only_for_the_same_service_and_user),
		cmocka_unit_test(test_answer_expires_at_its_deadline),
		cmocka_unit_test(test_new_answer_replaces_the_old),
		cmocka_unit_test(test_shorter_ttl_behind_a_longer_one),
		cmocka_unit_test(test_bounded_oldest_goes_first),
		cmocka_unit_test(test_many_users),
		cmocka_unit_test(test_forget_backend_drops_only_its_answers),
		cmocka_unit_test(test_forget_backend_keeps_the_order_and_bound),
		cmocka_unit_test(test_forget_backend_among_many),
		cmocka_unit_test(test_clock_moves_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
