/* test-admind-limiter.c - admind's failed-login table (admin/limiter.c):
 * lock-outs start at the threshold and double up to the maximum, are per
 * key, end in time, old failures are forgotten, and a full table stays
 * bounded while still locking the key being attacked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "limiter.h"

static void test_lock_ms(void **state)
{
	(void)state;
	assert_int_equal(admind_lock_ms(0, 3, 1000, 60000), 0);
	assert_int_equal(admind_lock_ms(2, 3, 1000, 60000), 0);
	assert_int_equal(admind_lock_ms(3, 3, 1000, 60000), 1000);
	assert_int_equal(admind_lock_ms(4, 3, 1000, 60000), 2000);
	assert_int_equal(admind_lock_ms(8, 3, 1000, 60000), 32000);
	assert_int_equal(admind_lock_ms(9, 3, 1000, 60000), 60000);
	assert_int_equal(admind_lock_ms(1000000, 3, 1000, 60000), 60000);
}

static void test_lock_and_expire(void **state)
{
	struct admind_limiter *lim = admind_limiter_create();
	long long now = 1000000;

	(void)state;
	assert_int_equal(admind_limiter_fail(lim, "a:1.2.3.4", now, 2, 1000, 8000), 0);
	assert_int_equal(admind_limiter_locked(lim, "a:1.2.3.4", now), 0);
	assert_int_equal(admind_limiter_fail(lim, "a:1.2.3.4", now, 2, 1000, 8000), now + 1000);
	assert_int_equal(admind_limiter_locked(lim, "a:1.2.3.4", now + 999), now + 1000);
	assert_int_equal(admind_limiter_locked(lim, "a:1.2.3.5", now), 0);
	assert_int_equal(admind_limiter_locked(lim, "a:1.2.3.4", now + 1000), 0);
	assert_int_equal(admind_limiter_fail(lim, "a:1.2.3.4", now + 1000, 2, 1000, 8000), now + 3000);
	/* quiet for longer than the maximum: forgotten */
	assert_int_equal(admind_limiter_fail(lim, "a:1.2.3.4", now + 20000, 2, 1000, 8000), 0);
	admind_limiter_clear(lim, "a:1.2.3.4");
	assert_int_equal(admind_limiter_fail(lim, "a:1.2.3.4", now, 1, 1000, 8000), now + 1000);
	admind_limiter_destroy(&lim);
	assert_null(lim);
}

static void test_full_table(void **state)
{
	struct admind_limiter *lim = admind_limiter_create();
	char key[ADMIND_LIMITER_KEY_MAX];

	(void)state;
	for (int i = 0; i < ADMIND_LIMITER_SLOTS * 4; i++) {
		snprintf(key, sizeof(key), "n:spray%d", i);
		admind_limiter_fail(lim, key, 1000 + i, 5, 1000, 8000);
	}
	for (int i = 0; i < 3; i++)
		admind_limiter_fail(lim, "n:victim", 100000, 3, 1000, 8000);
	assert_int_equal(admind_limiter_locked(lim, "n:victim", 100000), 101000);
	admind_limiter_destroy(&lim);
}

/* A name's failures: counted, forgotten after the window, cleared; never a lock. */
static void test_name_failures(void **state)
{
	struct admind_limiter *lim = admind_limiter_create();

	(void)state;
	assert_int_equal(admind_limiter_failures(lim, "n:bob", 1000, 60000), 0);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(admind_limiter_count(lim, "n:bob", 1000 + i, 60000), i);
	assert_int_equal(admind_limiter_failures(lim, "n:bob", 2000, 60000), 4);
	assert_int_equal(admind_limiter_locked(lim, "n:bob", 2000), 0);
	/* quiet for longer than the window: forgotten, and counting starts anew */
	assert_int_equal(admind_limiter_failures(lim, "n:bob", 1004 + 60001, 60000), 0);
	assert_int_equal(admind_limiter_count(lim, "n:bob", 1004 + 60001, 60000), 1);
	admind_limiter_clear(lim, "n:bob");
	assert_int_equal(admind_limiter_failures(lim, "n:bob", 70000, 60000), 0);
	admind_limiter_destroy(&lim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_ms),
		cmocka_unit_test(test_name_failures),
		cmocka_unit_test(test_lock_and_expire),
		cmocka_unit_test(test_full_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
