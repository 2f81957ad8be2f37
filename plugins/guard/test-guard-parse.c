/* test-guard-parse.c - unit tests of hb_guard's parsers, run against the
 * real libdovecot: the hb_guard_fsync words, how a Dovecot log message
 * is classified as corruption and which file it names (guard-corruption.c
 * relies on Dovecot's wording, so the messages here are Dovecot 2.3's), and
 * the next UID the end of a dovecot-uidlist implies. */
#include "lib.h"
#include "guard-settings.h"
#include "guard-corruption.h"
#include "guard-uidlist-tail.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

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
	/* the cache is known by its event name: Dovecot 2.3.19 logs
	   "Deleting corrupted cache: REASON" with no file name */
	assert_kind("Deleting corrupted cache: File too small", NULL, NULL);
	assert_string_equal(guard_corruption_kind_of_event("mail_cache_corrupted"),
			    "cache");
	assert_null(guard_corruption_kind_of_event("mail_cache_purge_started"));
	assert_null(guard_corruption_kind_of_event(NULL));
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

#define UIDLIST_HDR "3 V1764982000 N7 G0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"

/* the next UID of TEXT, or 0 when it names none */
static uint32_t tail_next(const char *text, bool at_start)
{
	uint32_t next = 0;

	if (guard_uidlist_tail_parse(text, strlen(text), at_start, &next) == 0)
		return 0;
	assert_int_not_equal(next, 0);
	return next;
}

static void test_uidlist_tail(void **state)
{
	(void)state;
	/* records: the last UID + 1, whatever the header says */
	assert_int_equal(tail_next(UIDLIST_HDR "5 :a\n6 :b\n", TRUE), 7);
	assert_int_equal(tail_next(UIDLIST_HDR "5 :a\n9 G0f1e :b:2,S\n", TRUE),
			 10);
	assert_int_equal(tail_next("9 :b\n12 :c\n", FALSE), 13);
	/* only the header: its N */
	assert_int_equal(tail_next(UIDLIST_HDR, TRUE), 7);
	assert_int_equal(tail_next("3 V1 N42\n", TRUE), 42);
	assert_int_equal(tail_next("3 V1 N42", TRUE), 0);
	/* a killed writer's partial last line: its UID once it has one */
	assert_int_equal(tail_next(UIDLIST_HDR "5 :a\n8 :b", TRUE), 9);
	assert_int_equal(tail_next(UIDLIST_HDR "5 :a\n8", TRUE), 6);
	/* nothing to say */
	assert_int_equal(tail_next("", TRUE), 0);
	assert_int_equal(tail_next("only part of a long record\n", FALSE), 0);
	assert_int_equal(tail_next("3 V1 G00\n", TRUE), 0);
	assert_int_equal(tail_next(UIDLIST_HDR "x :a\n", TRUE), 0);
	assert_int_equal(tail_next(UIDLIST_HDR "99999999999 :a\n", TRUE), 0);
	assert_int_equal(tail_next(UIDLIST_HDR "4294967295 :a\n", TRUE), 0);
}

static void test_uidlist_tail_of_a_long_file(void **state)
{
	char path[] = "/tmp/test-guard-uidlist.XXXXXX";
	int fd = mkstemp(path);
	uint32_t next = 0, uid;
	FILE *f;

	(void)state;
	assert_true(fd != -1);
	f = fdopen(fd, "w+");
	fputs(UIDLIST_HDR, f);
	for (uid = 1; uid <= 5000; uid++)
		fprintf(f, "%u :1764982000.M%uP1.host,S=100:2,S\n", uid, uid);
	fflush(f);
	assert_int_equal(guard_uidlist_tail_read(fd, ftell(f), &next), 1);
	assert_int_equal(next, 5001);
	/* a size from before a later append reads only up to it */
	assert_int_equal(guard_uidlist_tail_read(fd, strlen(UIDLIST_HDR), &next),
			 1);
	assert_int_equal(next, 7);
	fclose(f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsync_words),
		cmocka_unit_test(test_corruption_messages),
		cmocka_unit_test(test_uidlist_tail),
		cmocka_unit_test(test_uidlist_tail_of_a_long_file),
	};
	int ret;

	lib_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	lib_deinit();
	return ret;
}
