/* test-hb-hash.c - cmocka tests of lib/hb-hash.c: weighted rendezvous hashing
 * spreads 100 000 users within 5% of the weights, moves only the users that
 * must move when a backend comes or goes, is deterministic, and hb_hash64
 * keeps its pinned values (a changed hash would move every user). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb-hash.h"

#define USERS 100000
#define MAX_BACKENDS 8
#define TOLERANCE 0.05

static void user_name(unsigned int i, char *buf, size_t size)
{
	snprintf(buf, size, "u%u@example.com", i);
}

/* Index of the winning backend for USER. */
static size_t winner(const char *user, const char *const *names,
		     const unsigned int *weights, size_t count)
{
	size_t order[MAX_BACKENDS];

	hb_rendezvous_order(user, names, weights, count, order);
	return order[0];
}

/* WINNERS[i] = winning backend index of user i+1. */
static void assign_all(const char *const *names, const unsigned int *weights,
		       size_t count, unsigned char *winners)
{
	char user[64];

	for (unsigned int i = 0; i < USERS; i++) {
		user_name(i + 1, user, sizeof(user));
		winners[i] = (unsigned char)winner(user, names, weights, count);
	}
}

static void assert_within(double actual, double expected)
{
	double rel = fabs(actual - expected) / expected;

	if (rel > TOLERANCE)
		fail_msg("share %.4f differs from expected %.4f by %.1f%% (> 5%%)",
			 actual, expected, rel * 100);
}

static void check_distribution(const char *const *names, const unsigned int *weights,
			       size_t count)
{
	unsigned char *winners = malloc(USERS);
	unsigned int counts[MAX_BACKENDS] = { 0 };
	double total_weight = 0;

	assert_non_null(winners);
	assign_all(names, weights, count, winners);
	for (unsigned int i = 0; i < USERS; i++)
		counts[winners[i]]++;
	for (size_t i = 0; i < count; i++)
		total_weight += weights[i];
	for (size_t i = 0; i < count; i++)
		assert_within((double)counts[i] / USERS, weights[i] / total_weight);
	free(winners);
}

static void test_distribution_equal_3(void **state)
{
	const char *names[] = { "imap1", "imap2", "imap3" };
	const unsigned int weights[] = { 100, 100, 100 };

	check_distribution(names, weights, 3);
}

static void test_distribution_equal_5(void **state)
{
	const char *names[] = { "b1", "b2", "b3", "b4", "b5" };
	const unsigned int weights[] = { 1, 1, 1, 1, 1 };

	check_distribution(names, weights, 5);
}

static void test_distribution_unequal(void **state)
{
	const char *names[] = { "small", "medium", "large" };
	const unsigned int weights[] = { 100, 200, 300 };

	check_distribution(names, weights, 3);
}

static void test_distribution_unequal_wide(void **state)
{
	const char *names[] = { "a", "b", "c", "d" };
	const unsigned int weights[] = { 50, 1000, 250, 700 };

	check_distribution(names, weights, 4);
}

/* Adding backend NEW to the first COUNT backends: only users that now win on
 * the new backend move, and their share is its weight share. */
static void check_add(const char *const *names, const unsigned int *weights, size_t count)
{
	unsigned char *before = malloc(USERS), *after = malloc(USERS);
	unsigned int moved = 0;
	double total = 0;

	assert_non_null(before);
	assert_non_null(after);
	assign_all(names, weights, count, before);
	assign_all(names, weights, count + 1, after);
	for (unsigned int i = 0; i < USERS; i++) {
		if (before[i] == after[i])
			continue;
		if (after[i] != count)
			fail_msg("user u%u moved between old backends %s -> %s",
				 i + 1, names[before[i]], names[after[i]]);
		moved++;
	}
	for (size_t i = 0; i <= count; i++)
		total += weights[i];
	assert_within((double)moved / USERS, weights[count] / total);
	free(before);
	free(after);
}

static void test_add_backend_equal(void **state)
{
	const char *names[] = { "b1", "b2", "b3", "b4", "b5" };
	const unsigned int weights[] = { 100, 100, 100, 100, 100 };

	check_add(names, weights, 2); /* 2 -> 3: about 1/3 move */
	check_add(names, weights, 3); /* 3 -> 4: about 1/4 move */
	check_add(names, weights, 4); /* 4 -> 5: about 1/5 move */
}

static void test_add_backend_weighted(void **state)
{
	const char *names[] = { "small", "medium", "large", "new" };
	const unsigned int weights[] = { 100, 200, 300, 400 };

	check_add(names, weights, 3); /* 400/1000 of the users move */
}

/* Removing backend GONE: only its users move, and they spread over the rest. */
static void check_remove(const char *const *names, const unsigned int *weights,
			 size_t count, size_t gone)
{
	const char *rest_names[MAX_BACKENDS];
	unsigned int rest_weights[MAX_BACKENDS];
	size_t map[MAX_BACKENDS], n = 0;
	unsigned char *before = malloc(USERS), *after = malloc(USERS);

	assert_non_null(before);
	assert_non_null(after);
	for (size_t i = 0; i < count; i++) {
		if (i == gone)
			continue;
		rest_names[n] = names[i];
		rest_weights[n] = weights[i];
		map[n++] = i;
	}
	assign_all(names, weights, count, before);
	assign_all(rest_names, rest_weights, n, after);
	for (unsigned int i = 0; i < USERS; i++) {
		size_t now = map[after[i]];
		if (before[i] != gone && before[i] != now)
			fail_msg("user u%u of %s moved to %s", i + 1,
				 names[before[i]], names[now]);
	}
	free(before);
	free(after);
}

static void test_remove_backend(void **state)
{
	const char *names[] = { "b1", "b2", "b3", "b4", "b5" };
	const unsigned int equal[] = { 100, 100, 100, 100, 100 };
	const unsigned int weighted[] = { 10, 500, 200, 1000, 300 };

	for (size_t gone = 0; gone < 5; gone++) {
		check_remove(names, equal, 5, gone);
		check_remove(names, weighted, 5, gone);
	}
}

/* The winner is a function of the set of backends, not of their order. */
static void test_order_independent_of_input_order(void **state)
{
	const char *names[] = { "b1", "b2", "b3", "b4" };
	const char *reversed[] = { "b4", "b3", "b2", "b1" };
	const unsigned int weights[] = { 100, 200, 300, 400 };
	const unsigned int rweights[] = { 400, 300, 200, 100 };
	size_t order[4], rorder[4];
	char user[64];

	for (unsigned int i = 1; i <= 2000; i++) {
		user_name(i, user, sizeof(user));
		hb_rendezvous_order(user, names, weights, 4, order);
		hb_rendezvous_order(user, reversed, rweights, 4, rorder);
		for (size_t j = 0; j < 4; j++)
			assert_string_equal(names[order[j]], reversed[rorder[j]]);
	}
}

static void test_order_deterministic_and_sorted(void **state)
{
	const char *names[] = { "b1", "b2", "b3", "b4", "b5" };
	const unsigned int weights[] = { 100, 0, 300, 100, 7 };
	size_t order[5], again[5];
	char user[64];

	for (unsigned int i = 1; i <= 1000; i++) {
		user_name(i, user, sizeof(user));
		hb_rendezvous_order(user, names, weights, 5, order);
		hb_rendezvous_order(user, names, weights, 5, again);
		assert_memory_equal(order, again, sizeof(order));
		for (size_t j = 1; j < 5; j++) {
			assert_true(hb_rendezvous_score(user, names[order[j - 1]], weights[order[j - 1]]) >=
				    hb_rendezvous_score(user, names[order[j]], weights[order[j]]));
		}
		assert_int_equal(order[4], 1); /* weight 0 is always last */
	}
}

static void test_ties_broken_by_name(void **state)
{
	/* weight 0 scores -inf for all: the order is by name */
	const char *names[] = { "delta", "alpha", "charlie", "bravo" };
	const unsigned int weights[] = { 0, 0, 0, 0 };
	size_t order[4];

	hb_rendezvous_order("someone@example.com", names, weights, 4, order);
	assert_string_equal(names[order[0]], "alpha");
	assert_string_equal(names[order[1]], "bravo");
	assert_string_equal(names[order[2]], "charlie");
	assert_string_equal(names[order[3]], "delta");
}

static void test_weight_zero_never_wins(void **state)
{
	const char *names[] = { "zero1", "one", "zero2" };
	const unsigned int weights[] = { 0, 1, 0 };
	char user[64];

	assert_true(isinf(hb_rendezvous_score("u@d", "zero1", 0)));
	assert_true(hb_rendezvous_score("u@d", "zero1", 0) < 0);
	for (unsigned int i = 1; i <= 20000; i++) {
		user_name(i, user, sizeof(user));
		assert_int_equal(winner(user, names, weights, 3), 1);
	}
}

static void test_score_properties(void **state)
{
	char user[64];

	for (unsigned int i = 1; i <= 1000; i++) {
		double s100, s200;

		user_name(i, user, sizeof(user));
		s100 = hb_rendezvous_score(user, "b1", 100);
		s200 = hb_rendezvous_score(user, "b1", 200);
		assert_true(s100 > 0 && isfinite(s100));
		/* the score scales with the weight, nothing else changes */
		assert_true(s200 == 2 * s100);
		assert_true(hb_rendezvous_score(user, "b1", 100) == s100);
	}
}

/* More than 64 backends takes the heap path; the result is a permutation. */
static void test_many_backends(void **state)
{
	enum { N = 100 };
	char bufs[N][16];
	const char *names[N];
	unsigned int weights[N];
	size_t order[N];
	unsigned char seen[N] = { 0 };

	for (size_t i = 0; i < N; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "backend%zu", i);
		names[i] = bufs[i];
		weights[i] = (unsigned int)(i % 5) * 100;
	}
	hb_rendezvous_order("many@example.com", names, weights, N, order);
	for (size_t i = 0; i < N; i++) {
		assert_true(order[i] < N);
		assert_int_equal(seen[order[i]], 0);
		seen[order[i]] = 1;
	}
	for (size_t i = 1; i < N; i++) {
		assert_true(hb_rendezvous_score("many@example.com", names[order[i - 1]], weights[order[i - 1]]) >=
			    hb_rendezvous_score("many@example.com", names[order[i]], weights[order[i]]));
	}
	assert_int_not_equal(weights[order[0]], 0);
}

static void test_empty_order(void **state)
{
	size_t order[1] = { 42 };

	hb_rendezvous_order("u@d", NULL, NULL, 0, order);
	assert_int_equal(order[0], 42);
}

/* Pinned outputs (checked against an independent implementation of FNV-1a
 * with a splitmix64 finaliser).  If one changes, every user would move. */
static void test_hash64_pinned(void **state)
{
	assert_true(hb_hash64("", 0, 0) == 0xf52a15e9a9b5e89bULL);
	assert_true(hb_hash64("a", 1, 0) == 0x8097ca68b9cc797bULL);
	assert_true(hb_hash64("u1@example.com", 14, 0) == 0x41e390ee4e76acabULL);
	assert_true(hb_hash64("backend1", 8, 0) == 0x958f1d5573c3caf5ULL);
	assert_true(hb_hash64("hello", 5, 42) == 0x092a940ea56fa97aULL);
	assert_true(hb_hash64("u1@example.com", 14, hb_hash64("b1", 2, 0)) ==
		    0x6109f706fcff6a20ULL);
}

static void test_hash64_properties(void **state)
{
	const char data[] = "abc\0def";

	/* length and seed both matter, bytes after a NUL count */
	assert_true(hb_hash64(data, 3, 0) != hb_hash64(data, 7, 0));
	assert_true(hb_hash64(data, 7, 0) != hb_hash64("abc\0deg", 7, 0));
	assert_true(hb_hash64(data, 3, 0) != hb_hash64(data, 3, 1));
	assert_true(hb_hash64(data, 7, 5) == hb_hash64(data, 7, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distribution_equal_3),
		cmocka_unit_test(test_distribution_equal_5),
		cmocka_unit_test(test_distribution_unequal),
		cmocka_unit_test(test_distribution_unequal_wide),
		cmocka_unit_test(test_add_backend_equal),
		cmocka_unit_test(test_add_backend_weighted),
		cmocka_unit_test(test_remove_backend),
		cmocka_unit_test(test_order_independent_of_input_order),
		cmocka_unit_test(test_order_deterministic_and_sorted),
		cmocka_unit_test(test_ties_broken_by_name),
		cmocka_unit_test(test_weight_zero_never_wins),
		cmocka_unit_test(test_score_properties),
		cmocka_unit_test(test_many_backends),
		cmocka_unit_test(test_empty_order),
		cmocka_unit_test(test_hash64_pinned),
		cmocka_unit_test(test_hash64_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
