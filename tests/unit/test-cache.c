/* test-cache.c - cmocka tests of director/cache.c, the degraded-mode user ->
 * backend cache: put/get, overwrite, colliding puts replace older entries so
 * memory stays bounded by the configured size, and size 0 disables it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "hb-backend.h"

static void test_put_get(void **state)
{
	struct user_cache *cache = user_cache_create(1000);

	assert_non_null(cache);
	assert_int_equal(user_cache_count(cache), 0);
	assert_null(user_cache_get(cache, "u1@example.com"));
	user_cache_put(cache, "u1@example.com", "mail1");
	user_cache_put(cache, "u2@example.com", "mail2");
	assert_string_equal(user_cache_get(cache, "u1@example.com"), "mail1");
	assert_string_equal(user_cache_get(cache, "u2@example.com"), "mail2");
	assert_null(user_cache_get(cache, "u3@example.com"));
	assert_null(user_cache_get(cache, "U1@example.com"));
	assert_null(user_cache_get(cache, ""));
	assert_int_equal(user_cache_count(cache), 2);
	user_cache_destroy(&cache);
	assert_null(cache);
}

static void test_overwrite(void **state)
{
	struct user_cache *cache = user_cache_create(16);

	user_cache_put(cache, "u@d", "mail1");
	user_cache_put(cache, "u@d", "mail2");
	assert_string_equal(user_cache_get(cache, "u@d"), "mail2");
	assert_int_equal(user_cache_count(cache), 1);
	user_cache_put(cache, "u@d", "mail1");
	assert_string_equal(user_cache_get(cache, "u@d"), "mail1");
	assert_int_equal(user_cache_count(cache), 1);
	user_cache_destroy(&cache);
}

static void test_long_backend_name_truncated(void **state)
{
	struct user_cache *cache = user_cache_create(4);
	char name[200];

	memset(name, 'b', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	user_cache_put(cache, "u@d", name);
	assert_int_equal(strlen(user_cache_get(cache, "u@d")), HB_BACKEND_NAME_MAX);
	user_cache_destroy(&cache);
}

/* Fill a cache of SIZE with USERS distinct users: the count never exceeds the
 * slots (SIZE rounded up to a power of two), the last user put is always
 * found, and every hit returns that user's own backend. */
static void check_bounded(size_t size, unsigned int users)
{
	struct user_cache *cache = user_cache_create(size);
	size_t slots = 1, hits = 0;
	char user[64], backend[32];

	assert_non_null(cache);
	while (slots < size)
		slots <<= 1;
	for (unsigned int i = 0; i < users; i++) {
		snprintf(user, sizeof(user), "u%u@example.com", i);
		snprintf(backend, sizeof(backend), "b%u", i);
		user_cache_put(cache, user, backend);
		assert_string_equal(user_cache_get(cache, user), backend);
		assert_true(user_cache_count(cache) <= slots);
	}
	for (unsigned int i = 0; i < users; i++) {
		const char *got;

		snprintf(user, sizeof(user), "u%u@example.com", i);
		snprintf(backend, sizeof(backend), "b%u", i);
		got = user_cache_get(cache, user);
		if (got != NULL) {
			assert_string_equal(got, backend);
			hits++;
		}
	}
	assert_true(hits <= slots);
	assert_int_equal(hits, user_cache_count(cache));
	user_cache_destroy(&cache);
}

static void test_collisions_bounded(void **state)
{
	check_bounded(1, 1000);
	check_bounded(2, 1000);
	check_bounded(5, 5000);     /* 8 slots */
	check_bounded(1000, 50000); /* 1024 slots */
}

static void test_single_slot_replaces(void **state)
{
	struct user_cache *cache = user_cache_create(1);

	user_cache_put(cache, "a@d", "mail1");
	user_cache_put(cache, "b@d", "mail2");
	assert_null(user_cache_get(cache, "a@d"));
	assert_string_equal(user_cache_get(cache, "b@d"), "mail2");
	assert_int_equal(user_cache_count(cache), 1);
	user_cache_destroy(&cache);
}

static void test_size_zero_disables(void **state)
{
	struct user_cache *cache = user_cache_create(0);

	assert_non_null(cache);
	user_cache_put(cache, "u@d", "mail1");
	assert_null(user_cache_get(cache, "u@d"));
	assert_int_equal(user_cache_count(cache), 0);
	user_cache_destroy(&cache);
	assert_null(cache);
}

static void test_destroy_null(void **state)
{
	struct user_cache *cache = NULL;

	user_cache_destroy(&cache);
	assert_null(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_long_backend_name_truncated),
		cmocka_unit_test(test_collisions_bounded),
		cmocka_unit_test(test_single_slot_replaces),
		cmocka_unit_test(test_size_zero_disables),
		cmocka_unit_test(test_destroy_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
