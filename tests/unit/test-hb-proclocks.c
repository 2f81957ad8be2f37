/* test-hb-proclocks.c - cmocka tests of lib/hb-proclocks.c: a /proc/locks
 * recorded on this project's Debian 12 machine (plus the rarer classes:
 * OFD, leases, delegations, a pid outside the namespace, the largest
 * values) parses field by field; every kind of malformed line is refused
 * with its line number and a reason, never half-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hb-proclocks.h"

#define MAX_LOCKS 16

struct collected {
	struct hb_plock locks[MAX_LOCKS];
	size_t count;
	int stop_at;	/* fn fails at this count (0: never) */
};

static int collect(const struct hb_plock *lock, void *ctx, char *error,
		   size_t error_size)
{
	struct collected *c = ctx;

	if (c->stop_at != 0 && (int)c->count + 1 == c->stop_at) {
		snprintf(error, error_size, "stopped by the callback");
		return -1;
	}
	assert_true(c->count < MAX_LOCKS);
	c->locks[c->count++] = *lock;
	return 0;
}

static int read_text(const char *text, struct collected *c, char *error,
		     size_t size)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = hb_plocks_read(f, collect, c, error, size);
	fclose(f);
	return ret;
}

static void test_recorded_sample(void **state)
{
	struct collected c = { .count = 0 };
	char error[128] = "";
	FILE *f = fopen(SAMPLES_DIR "/proc-locks-dovecot.txt", "r");
	const struct hb_plock *l = c.locks;

	(void)state;
	assert_non_null(f);
	assert_int_equal(hb_plocks_read(f, collect, &c, error, sizeof(error)), 0);
	fclose(f);
	assert_int_equal(c.count, 10);

	/* 1: POSIX  ADVISORY  WRITE 26098 fe:00:10954693 5 14 */
	assert_int_equal(l[0].id, 1);
	assert_false(l[0].waiter);
	assert_int_equal(l[0].cls, HB_PLOCK_POSIX);
	assert_false(l[0].mandatory);
	assert_true(l[0].write);
	assert_int_equal(l[0].pid, 26098);
	assert_int_equal(l[0].dev_major, 0xfe);
	assert_int_equal(l[0].dev_minor, 0);
	assert_int_equal(l[0].ino, 10954693);
	assert_int_equal(l[0].start, 5);
	assert_int_equal(l[0].end, 14);
	/* its waiter */
	assert_int_equal(l[1].id, 1);
	assert_true(l[1].waiter);
	assert_int_equal(l[1].pid, 26146);
	assert_int_equal(l[1].ino, 10954693);
	/* flock to EOF, and its waiter */
	assert_int_equal(l[2].cls, HB_PLOCK_FLOCK);
	assert_int_equal(l[2].end, UINT64_MAX);
	assert_true(l[3].waiter);
	assert_int_equal(l[3].cls, HB_PLOCK_FLOCK);
	/* OFD: no owning process */
	assert_int_equal(l[4].cls, HB_PLOCK_OFD);
	assert_int_equal(l[4].pid, -1);
	assert_false(l[4].write);
	/* leases */
	assert_int_equal(l[5].cls, HB_PLOCK_LEASE);
	assert_int_equal(l[6].cls, HB_PLOCK_LEASE);
	assert_false(l[6].write);
	/* a holder outside our pid namespace; major 0x103 */
	assert_int_equal(l[7].pid, 0);
	assert_int_equal(l[7].dev_major, 0x103);
	assert_int_equal(l[7].dev_minor, 2);
	assert_int_equal(l[7].end, 0);
	assert_int_equal(l[8].cls, HB_PLOCK_DELEG);
	assert_int_equal(l[8].ino, 1234567890123ULL);
	/* the empty line was skipped; the largest values */
	assert_int_equal(l[9].id, 8);
	assert_true(l[9].mandatory);
	assert_int_equal(l[9].pid, 4194304);
	assert_int_equal(l[9].dev_major, 0xfff);
	assert_int_equal(l[9].dev_minor, 0xfffff);
	assert_int_equal(l[9].ino, UINT64_MAX);
	assert_int_equal(l[9].end, UINT64_MAX);
	assert_string_equal(hb_plock_class_name(l[4].cls), "OFDLCK");
}

static void expect_refused(const char *line, const char *reason_part)
{
	struct hb_plock lock;
	const char *reason = NULL;

	if (hb_plock_parse(line, &lock, &reason) == 0)
		fail_msg("accepted: '%s'", line);
	assert_non_null(reason);
	if (strstr(reason, reason_part) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", line, reason, reason_part);
}

static void test_malformed_lines(void **state)
{
	(void)state;
	expect_refused("", "not 8 fields");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:1 0", "not 8 fields");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF extra", "not 8 fields");
	expect_refused("1: -> POSIX ADVISORY WRITE 1 fe:00:1 0", "not 8 fields");
	expect_refused("x: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF", "lock id");
	expect_refused("1 POSIX ADVISORY WRITE 1 fe:00:1 0 EOF", "lock id");
	expect_refused(": POSIX ADVISORY WRITE 1 fe:00:1 0 EOF", "lock id");
	expect_refused("-1: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF", "lock id");
	expect_refused("1: posix ADVISORY WRITE 1 fe:00:1 0 EOF", "lock class");
	expect_refused("1: POSIX SOMETIMES WRITE 1 fe:00:1 0 EOF", "lock mode");
	expect_refused("1: POSIX ADVISORY WRITES 1 fe:00:1 0 EOF", "access");
	expect_refused("1: POSIX ADVISORY WRITE x1 fe:00:1 0 EOF", "bad pid");
	expect_refused("1: POSIX ADVISORY WRITE -2 fe:00:1 0 EOF", "bad pid");
	expect_refused("1: POSIX ADVISORY WRITE +5 fe:00:1 0 EOF", "bad pid");
	expect_refused("1: POSIX ADVISORY WRITE 4194305 fe:00:1 0 EOF", "bad pid");
	expect_refused("1: POSIX ADVISORY WRITE 99999999999999999999 fe:00:1 0 EOF", "bad pid");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00 0 EOF", "device:inode");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:x 0 EOF", "device:inode");
	expect_refused("1: POSIX ADVISORY WRITE 1 zz:00:1 0 EOF", "device:inode");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe::1 0 EOF", "device:inode");
	expect_refused("1: POSIX ADVISORY WRITE 1 1000:00:1 0 EOF", "device:inode");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:18446744073709551616 0 EOF",
		       "device:inode");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:1 -1 EOF", "byte range");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:1 0 eof", "byte range");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:1 9 5", "byte range");
	expect_refused("1: POSIX ADVISORY WRITE 1 fe:00:1 0x10 EOF", "byte range");
}

static void test_overlong_line(void **state)
{
	char line[HB_PROCLOCKS_LINE_MAX + 64];
	char text[sizeof(line) + 128];
	struct collected c = { .count = 0 };
	char error[128] = "";

	(void)state;
	memset(line, 'A', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	expect_refused(line, "too long");
	snprintf(text, sizeof(text), "1: FLOCK ADVISORY WRITE 7 fe:00:1 0 EOF\n%s\n", line);
	assert_int_equal(read_text(text, &c, error, sizeof(error)), -1);
	assert_string_equal(error, "line 2: line too long");
	assert_int_equal(c.count, 1);
}

static void test_read_reports_line_number(void **state)
{
	struct collected c = { .count = 0 };
	char error[128] = "";

	(void)state;
	assert_int_equal(read_text("1: FLOCK ADVISORY WRITE 7 fe:00:1 0 EOF\n"
				   "\n"
				   "2: FLOCK ADVISORY WRITE 7 fe:00:1 0\n",
				   &c, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "line 3: not 8 fields"));
	assert_int_equal(c.count, 1);
}

static void test_last_line_without_newline_and_empty_table(void **state)
{
	struct collected c = { .count = 0 };
	char error[128] = "";

	(void)state;
	assert_int_equal(read_text("", &c, error, sizeof(error)), 0);
	assert_int_equal(c.count, 0);
	assert_int_equal(read_text("3: POSIX ADVISORY READ 9 08:01:2 0 EOF",
				   &c, error, sizeof(error)), 0);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.locks[0].pid, 9);
}

static void test_callback_failure_stops_reading(void **state)
{
	struct collected c = { .count = 0, .stop_at = 2 };
	char error[128] = "";

	(void)state;
	assert_int_equal(read_text("1: FLOCK ADVISORY WRITE 7 fe:00:1 0 EOF\n"
				   "2: FLOCK ADVISORY WRITE 8 fe:00:2 0 EOF\n"
				   "3: FLOCK ADVISORY WRITE 9 fe:00:3 0 EOF\n",
				   &c, error, sizeof(error)), -1);
	assert_string_equal(error, "stopped by the callback");
	assert_int_equal(c.count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_sample),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_read_reports_line_number),
		cmocka_unit_test(test_last_line_without_newline_and_empty_table),
		cmocka_unit_test(test_callback_failure_stops_reading),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
