/* test-guard-lock.c - unit tests of guard-lock.c, the dotlock ownership and
 * age check behind hb_guard's fence: a lock file naming us and fresh is OK;
 * a missing one, one naming another process or host, and one whose mtime
 * is within the margin of the stale timeout are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "guard-lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static char dir[] = "/tmp/test-guard-lock.XXXXXX";
static char file[256], lockpath[300];

static void write_lock(const char *content, time_t age)
{
	FILE *f = fopen(lockpath, "w");
	struct utimbuf times;

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	times.actime = times.modtime = time(NULL) - age;
	assert_int_equal(utime(lockpath, &times), 0);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/dovecot.index.log", dir);
	snprintf(lockpath, sizeof(lockpath), "%s.lock", file);
	guard_lock_owner_init("1234", "node-a.example");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(lockpath);
	return rmdir(dir);
}

static enum guard_lock_state check(unsigned int margin, long *age)
{
	struct guard_dotlock lock;

	assert_true(guard_dotlock_init(&lock, file, ".lock", 180));
	assert_string_equal(lock.path, lockpath);
	return guard_dotlock_check(&lock, margin, age);
}

static void test_ours_and_fresh(void **state)
{
	long age;

	(void)state;
	write_lock("1234:node-a.example\n", 5);
	assert_int_equal(check(30, &age), GUARD_LOCK_OK);
	assert_true(age >= 5 && age < 10);
	write_lock("1234:node-a.example", 0); /* no newline */
	assert_int_equal(check(30, &age), GUARD_LOCK_OK);
}

static void test_missing(void **state)
{
	long age;

	(void)state;
	unlink(lockpath);
	assert_int_equal(check(30, &age), GUARD_LOCK_MISSING);
}

static void test_foreign(void **state)
{
	long age;

	(void)state;
	write_lock("1235:node-a.example\n", 0);
	assert_int_equal(check(30, &age), GUARD_LOCK_FOREIGN);
	write_lock("1234:node-b.example\n", 0);
	assert_int_equal(check(30, &age), GUARD_LOCK_FOREIGN);
	write_lock("1234:node-a.example.evil\n", 0);
	assert_int_equal(check(30, &age), GUARD_LOCK_FOREIGN);
	write_lock("", 0);
	assert_int_equal(check(30, &age), GUARD_LOCK_FOREIGN);
}

static void test_expiring(void **state)
{
	long age;

	(void)state;
	write_lock("1234:node-a.example\n", 149);
	assert_int_equal(check(30, &age), GUARD_LOCK_OK);
	write_lock("1234:node-a.example\n", 151);
	assert_int_equal(check(30, &age), GUARD_LOCK_EXPIRING);
	/* a margin beyond the timeout is halved, never "always expired" */
	write_lock("1234:node-a.example\n", 10);
	assert_int_equal(check(500, &age), GUARD_LOCK_OK);
	write_lock("1234:node-a.example\n", 95);
	assert_int_equal(check(500, &age), GUARD_LOCK_EXPIRING);
}

static void test_path_too_long(void **state)
{
	struct guard_dotlock lock;
	char *longname = malloc(GUARD_PATH_MAX + 10);

	(void)state;
	memset(longname, 'a', GUARD_PATH_MAX + 9);
	longname[GUARD_PATH_MAX + 9] = '\0';
	assert_false(guard_dotlock_init(&lock, longname, ".lock", 180));
	free(longname);
	assert_string_not_equal(guard_lock_state_reason(GUARD_LOCK_FOREIGN),
				"unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours_and_fresh),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_expiring),
		cmocka_unit_test(test_path_too_long),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
