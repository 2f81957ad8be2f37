/* test-guard-parse.c - unit tests of hb_guard's parsers, run against the
 * real libdovecot: the hb_guard_fsync words, and how a Dovecot log message
 * is classified as corruption and which file it names (guard-corruption.c
 * relies on Dovecot's wording, so the messages here are Dovecot 2.3's). */
#include "lib.h"
#include "guard-settings.h"
#include "guard-corruption.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void assert_fsync(const char *value, unsigned int bits)
{
	unsigned int got = 0xff;
	const char *error = NULL;

	assert_int_equal(guard_settings_parse_fsync(value, &got, &error), 0);
	assert_int_equal(got, bits);
}

static void assert_fsync_error(const char *value, const char *text)
{
	unsigned int got;
	const char *error = NULL;

	assert_int_equal(guard_settings_parse_fsync(value, &got, &error), -1);
	assert_non_null(strstr(error, text));
}

static void test_fsync_words(void **state)
{
	(void)state;
	assert_fsync("log dirs", GUARD_FSYNC_LOG | GUARD_FSYNC_DIRS);
	assert_fsync("dirs,log", GUARD_FSYNC_LOG | GUARD_FSYNC_DIRS);
	assert_fsync("  log  ", GUARD_FSYNC_LOG);
	assert_fsync("dirs", GUARD_FSYNC_DIRS);
	assert_fsync("none", 0);
	assert_fsync_error("sometimes", "unknown word 'sometimes'");
	assert_fsync_error("log Dirs", "unknown word 'Dirs'");
	assert_fsync_error("none log", "cannot be combined");
}

static void assert_kind(const char *message, const char *kind,
			const char *path)
{
	const char *got = guard_corruption_kind(message);

	if (kind == NULL)
		assert_null(got);
	else
		assert_string_equal(got, kind);
	got = guard_corruption_path(message);
	if (path == NULL)
		assert_null(got);
	else
		assert_string_equal(got, path);
}

static void test_corruption_messages(void **state)
{
	(void)state;
	assert_kind("Corrupted transaction log file /m/u/Maildir/dovecot.index.log "
		    "seq 2: record size too small (type=0x0, offset=1120, size=0)",
		    "log", "/m/u/Maildir/dovecot.index.log");
	assert_kind("Corrupted index file /m/u/Maildir/dovecot.index: "
		    "Header size mismatch", "index", "/m/u/Maildir/dovecot.index");
	assert_kind("Corrupted index cache file /m/u/Maildir/dovecot.index.cache: "
		    "file too small", "cache", "/m/u/Maildir/dovecot.index.cache");
	assert_kind("Fixed index file /m/u/Maildir/dovecot.index: log_file_seq 1 -> 2",
		    "index-fixed", "/m/u/Maildir/dovecot.index");
	assert_kind("Mailbox Archive: Broken file /m/u/Maildir/.Archive/dovecot-uidlist "
		    "line 3: UIDs not ordered (1 >= 1)", "uidlist",
		    "/m/u/Maildir/.Archive/dovecot-uidlist");
	assert_kind("Maildir uidlist dotlock overridden: /m/u/Maildir/dovecot-uidlist",
		    "uidlist-overridden", "/m/u/Maildir/dovecot-uidlist");
	/* not corruption, however it is worded */
	assert_kind("Login: user=<a>, method=PLAIN", NULL, NULL);
	assert_kind("Transaction log file /m/u/dovecot.index.log was locked for "
		    "40 seconds (syncing)", NULL, "/m/u/dovecot.index.log");
	/* a path inside a word is no path */
	assert_kind("Corrupted index file x/y: z", "index", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsync_words),
		cmocka_unit_test(test_corruption_messages),
	};
	int ret;

	lib_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	lib_deinit();
	return ret;
}
