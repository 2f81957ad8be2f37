/* test-route-event.c - cmocka tests of the parser of the directors' health
 * events (route-event.c): "backend NAME" and "all", and every malformed or
 * unknown message (other words, case, missing or bad names, spaces, control
 * bytes and NULs, overlong input) ignored as UNKNOWN.  Needs no Dovecot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "route-event.h"

static enum route_event_kind parse(const char *msg, size_t len, struct route_event *ev)
{
	route_event_parse(msg, len, ev);
	return ev->kind;
}

static enum route_event_kind parse_str(const char *msg, struct route_event *ev)
{
	return parse(msg, strlen(msg), ev);
}

static void test_backend(void **state)
{
	struct route_event ev;

	assert_int_equal(parse_str("backend be1", &ev), ROUTE_EVENT_BACKEND);
	assert_string_equal(ev.backend, "be1");
	assert_int_equal(parse_str("backend mail-2.example_x", &ev), ROUTE_EVENT_BACKEND);
	assert_string_equal(ev.backend, "mail-2.example_x");
	/* only LEN bytes count: what follows is not read */
	assert_int_equal(parse("backend b1XYZ", 10, &ev), ROUTE_EVENT_BACKEND);
	assert_string_equal(ev.backend, "b1");
}

static void test_all(void **state)
{
	struct route_event ev;

	assert_int_equal(parse_str("all", &ev), ROUTE_EVENT_ALL);
	assert_string_equal(ev.backend, "");
	assert_int_equal(parse("allx", 3, &ev), ROUTE_EVENT_ALL);
}

static void test_unknown_kinds_are_ignored(void **state)
{
	static const char *const msgs[] = {
		"", "a", "al", "alll", "all ", " all", "ALL", "All", "all\n",
		"backend", "backend ", "backend  ", "Backend b1", "BACKEND b1",
		"backends b1", "backend\tb1", " backend b1", "backend  b1",
		"backend b1 ", "backend b1 b2", "backend b1\n", "backend b1\r",
		"backend b\x01", "backend b\x7f", "backend b\xc3\xa4",
		"user u@d", "move u@d b1", "epoch 7", "hello",
	};
	struct route_event ev;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		assert_int_equal(parse_str(msgs[i], &ev), ROUTE_EVENT_UNKNOWN);
		assert_string_equal(ev.backend, "");
	}
	assert_int_equal(parse(NULL, 0, &ev), ROUTE_EVENT_UNKNOWN);
}

static void test_nul_bytes(void **state)
{
	struct route_event ev;

	assert_int_equal(parse("backend b1\0x", 12, &ev), ROUTE_EVENT_UNKNOWN);
	assert_int_equal(parse("backend \0", 9, &ev), ROUTE_EVENT_UNKNOWN);
	assert_int_equal(parse("all\0", 4, &ev), ROUTE_EVENT_UNKNOWN);
	assert_int_equal(parse("\0all", 4, &ev), ROUTE_EVENT_UNKNOWN);
}

static void test_length_bound(void **state)
{
	char msg[ROUTE_EVENT_MAX_LEN + 2];
	struct route_event ev;
	size_t wlen = strlen(ROUTE_EVENT_BACKEND_WORD);

	memcpy(msg, ROUTE_EVENT_BACKEND_WORD, wlen);
	memset(msg + wlen, 'n', sizeof(msg) - wlen);
	/* the longest name a cached answer can hold */
	assert_int_equal(parse(msg, ROUTE_EVENT_MAX_LEN, &ev), ROUTE_EVENT_BACKEND);
	assert_int_equal(strlen(ev.backend), ROUTE_EVENT_MAX_NAME);
	/* one byte more is ignored */
	assert_int_equal(parse(msg, ROUTE_EVENT_MAX_LEN + 1, &ev), ROUTE_EVENT_UNKNOWN);
	assert_int_equal(parse(msg, (size_t)-1, &ev), ROUTE_EVENT_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_unknown_kinds_are_ignored),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_length_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
