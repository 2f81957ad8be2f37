/* test-ctl-parse.c - cmocka tests of the hb-crashfs control line parser:
 * every command in its valid forms and every malformed case gets an error,
 * never a half-filled command. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ctl-parse.h"

static void test_valid(void **state)
{
	struct cfs_cmd cmd;
	const char *error = NULL;

	assert_int_equal(cfs_cmd_parse("crash", &cmd, &error), 0);
	assert_int_equal(cmd.kind, CFS_CMD_CRASH);
	assert_int_equal(cmd.mode, CFS_CRASH_DROP);
	assert_int_equal(cfs_cmd_parse(" crash\tgarble\r", &cmd, &error), 0);
	assert_int_equal(cmd.mode, CFS_CRASH_GARBLE);
	assert_int_equal(cfs_cmd_parse("arm rename dovecot.index.tmp 1", &cmd, &error), 0);
	assert_int_equal(cmd.kind, CFS_CMD_ARM);
	assert_int_equal(cmd.op, CFS_OP_RENAME);
	assert_string_equal(cmd.glob, "dovecot.index.tmp");
	assert_int_equal(cmd.n, 1);
	assert_int_equal(cfs_cmd_parse("arm any * 1000000000 garble", &cmd, &error), 0);
	assert_int_equal(cmd.op, CFS_OP_ANY);
	assert_int_equal(cmd.n, 1000000000UL);
	assert_int_equal(cmd.mode, CFS_CRASH_GARBLE);
	assert_int_equal(cfs_cmd_parse("stats", &cmd, &error), 0);
	assert_int_equal(cmd.kind, CFS_CMD_STATS);
	assert_int_equal(cfs_cmd_parse("quit", &cmd, &error), 0);
	assert_int_equal(cmd.kind, CFS_CMD_QUIT);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "   ", "bogus", "CRASH", "crash sideways", "crash drop now",
		"arm", "arm write", "arm write x", "arm nosuch x 1", "arm write x 0",
		"arm write x -1", "arm write x 1x", "arm write x 01000000000",
		"arm write x 99999999999", "arm write x 1 burn", "arm write x 1 drop y",
		"stats please", "resume now", "sync\x01", "disarm\x1b[2J",
		"a b c d e f g",
	};
	struct cfs_cmd cmd;
	const char *error;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		assert_int_equal(cfs_cmd_parse(bad[i], &cmd, &error), -1);
		assert_non_null(error);
	}
}

static void test_bounds(void **state)
{
	char line[CFS_CTL_LINE_MAX + 2], glob[CFS_GLOB_MAX + 2];
	struct cfs_cmd cmd;
	const char *error;

	memset(glob, 'g', sizeof(glob) - 1);
	glob[CFS_GLOB_MAX] = '\0';
	snprintf(line, sizeof(line), "arm write %s 1", glob);
	assert_int_equal(cfs_cmd_parse(line, &cmd, &error), 0);
	glob[CFS_GLOB_MAX] = 'g';
	glob[CFS_GLOB_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "arm write %s 1", glob);
	assert_int_equal(cfs_cmd_parse(line, &cmd, &error), -1);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(cfs_cmd_parse(line, &cmd, &error), -1);
	assert_string_equal(error, "line too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
