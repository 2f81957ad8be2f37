/* test-lock-census.c - cmocka tests of cli/lock-census.c without live
 * lockers: Dovecot's dotlock content and proctitle are read exactly (and
 * anything else refused), the verdict follows each threshold and its
 * default, a recorded table counts every line once (a line the kernel
 * repeated while it was read is dropped), locks on files no visible process
 * has open are not charged to a mail root, and dotlocks are found in a
 * mail root but never inside maildir cur/, new/ or tmp/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lock-census.h"

static void test_dotlock_content(void **state)
{
	char host[64];
	long pid = 0;

	(void)state;
	assert_int_equal(lock_census_parse_dotlock("1234:mx1.example", &pid, host, sizeof(host)), 0);
	assert_int_equal(pid, 1234);
	assert_string_equal(host, "mx1.example");
	assert_int_equal(lock_census_parse_dotlock("77:h\n", &pid, host, sizeof(host)), 0);
	assert_string_equal(host, "h");
	assert_int_equal(lock_census_parse_dotlock("", &pid, host, sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("0:h", &pid, host, sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("-5:h", &pid, host, sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("12", &pid, host, sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("12:", &pid, host, sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("12:a\nb", &pid, host, sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("99999999999999999999:h", &pid, host,
						   sizeof(host)), -1);
	assert_int_equal(lock_census_parse_dotlock("1:0123456789", &pid, host, 8), -1);
}

static void test_proctitle_user(void **state)
{
	char user[32];

	(void)state;
	assert_int_equal(lock_census_proctitle_user("dovecot/imap [alice@example.org 10.0.0.1 SELECT]",
						    user, sizeof(user)), 0);
	assert_string_equal(user, "alice@example.org");
	assert_int_equal(lock_census_proctitle_user("dovecot/lmtp [bob]", user, sizeof(user)), 0);
	assert_string_equal(user, "bob");
	assert_int_equal(lock_census_proctitle_user("dovecot-node2/pop3 [dave 10.0.0.2]",
						    user, sizeof(user)), 0);
	assert_string_equal(user, "dave");
	assert_int_equal(lock_census_proctitle_user("dovecot/imap", user, sizeof(user)), -1);
	assert_int_equal(lock_census_proctitle_user("dovecot/imap-login", user, sizeof(user)), -1);
	assert_int_equal(lock_census_proctitle_user("/usr/bin/python3 [x]", user, sizeof(user)), -1);
	assert_int_equal(lock_census_proctitle_user("dovecot/imap []", user, sizeof(user)), -1);
	assert_int_equal(lock_census_proctitle_user("dovecot/imap [carol", user, sizeof(user)), -1);
	assert_int_equal(lock_census_proctitle_user("python3 [eve 1.2.3.4]", user, sizeof(user)), -1);
	assert_int_equal(lock_census_proctitle_user(
		"dovecot/imap [a-very-long-user-name-beyond-thirty-two@x y]", user, sizeof(user)), -1);
}

static void test_proctitle_op(void **state)
{
	struct lc_op op;

	(void)state;
	assert_int_equal(lock_census_proctitle_op("dovecot/imap [alice 10.0.0.1 STORE] [hb_locks "
						  "sync since=1733440000123 user=alice box=INBOX]",
						  &op), 0);
	assert_string_equal(op.name, "sync");
	assert_int_equal(op.since_ms, 1733440000123LL);
	assert_string_equal(op.user, "alice");
	assert_string_equal(op.mailbox, "INBOX");
	/* any printable mailbox name, spaces and " box=" included; no verbose title */
	assert_int_equal(lock_census_proctitle_op("dovecot/imap [hb_locks commit since=5 "
						  "user=bob@x box=Old [2019] box=y]", &op), 0);
	assert_string_equal(op.name, "commit");
	assert_int_equal(op.since_ms, 5);
	assert_string_equal(op.user, "bob@x");
	assert_string_equal(op.mailbox, "Old [2019] box=y");
	static const char *const bad[] = {
		"dovecot/imap [alice 10.0.0.1 STORE]",
		"dovecot/imap [hb_locks sync since=1 user=a box=INBOX",
		"dovecot/imap [hb_locks sync since=1 user=a box=INBOX] trailing",
		"dovecot/imap [hb_locks sync since=x user=a box=INBOX]",
		"dovecot/imap [hb_locks sync since=1x user=a box=INBOX]",
		"dovecot/imap [hb_locks sync since=1 box=INBOX]",
		"dovecot/imap [hb_locks sync since=1 user= box=INBOX]",
		"dovecot/imap [hb_locks sync since=1 user=a box=]",
		"dovecot/imap [hb_locks since=1 user=a box=INBOX]",
		"dovecot/imap [hb_locks averyveryverylongoperation since=1 user=a box=I]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lock_census_proctitle_op(bad[i], &op) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(op.name[0], '\0');
	}
}

static void test_operation_age_is_judged_like_dotlock_age(void **state)
{
	struct hbctl_census_args a;
	struct lock_census c;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	c.oldest_dotlock_secs = -1;
	c.wait_p99_ms = -1;
	c.oldest_op_secs = 61;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_WARN);
	assert_string_equal(c.reasons[0], "oldest locking operation (s) 61 >= 60");
	c.oldest_op_secs = 300;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_CRIT);
	c.oldest_op_secs = -1;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_OK);
	/* the waiters' p99, default 5 s / 30 s, and its options */
	c.wait_p99_ms = 4999;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_OK);
	c.wait_p99_ms = 5000;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_WARN);
	assert_string_equal(c.reasons[0], "wait p99 (ms) 5000 >= 5000");
	c.wait_p99_ms = 30000;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_CRIT);
	a.crit_wait_p99 = 40000;
	a.set |= 1U << 8;
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_WARN);
}

static void judge(struct lock_census *c, unsigned int held, unsigned int waiting,
		  long long oldest, const struct hbctl_census_args *a)
{
	memset(c, 0, sizeof(*c));
	c->held = held;
	c->waiting = waiting;
	c->oldest_dotlock_secs = oldest;
	c->oldest_op_secs = -1;
	c->wait_p99_ms = -1;
	lock_census_judge(c, a);
}

static void test_thresholds(void **state)
{
	struct hbctl_census_args a;
	struct lock_census c;

	(void)state;
	memset(&a, 0, sizeof(a));
	judge(&c, 0, 0, -1, &a);
	assert_int_equal(c.status, LC_OK);
	assert_int_equal(c.reason_count, 0);
	/* defaults */
	judge(&c, LC_DEFAULT_WARN_LOCKS - 1, 0, -1, &a);
	assert_int_equal(c.status, LC_OK);
	judge(&c, LC_DEFAULT_WARN_LOCKS - 5, 5, -1, &a);
	assert_int_equal(c.status, LC_WARN);
	assert_string_equal(c.reasons[0], "locks 1000 >= 1000");
	judge(&c, LC_DEFAULT_CRIT_LOCKS, 0, -1, &a);
	assert_int_equal(c.status, LC_CRIT);
	judge(&c, 0, LC_DEFAULT_WARN_WAITERS, -1, &a);
	assert_int_equal(c.status, LC_WARN);
	assert_string_equal(c.reasons[0], "waiters 10 >= 10");
	judge(&c, 0, 0, LC_DEFAULT_CRIT_AGE, &a);
	assert_int_equal(c.status, LC_CRIT);
	assert_string_equal(c.reasons[0], "oldest dotlock age (s) 300 >= 300");
	/* given thresholds win; the worst verdict and every reason count */
	a.warn_waiters = 2;
	a.crit_age = 30;
	a.set = (1U << 2) | (1U << 5);
	judge(&c, 0, 2, 31, &a);
	assert_int_equal(c.status, LC_CRIT);
	assert_int_equal(c.reason_count, 2);
	assert_string_equal(c.reasons[0], "waiters 2 >= 2");
	assert_string_equal(c.reasons[1], "oldest dotlock age (s) 31 >= 30");
	/* an incomplete census is unknown unless already critical */
	memset(&c, 0, sizeof(c));
	c.oldest_dotlock_secs = -1;
	lock_census_add_error(&c, "cannot read directory %s", "/x");
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_UNKNOWN);
	assert_string_equal(c.errors[0], "cannot read directory /x");
}

static void test_recorded_table_counts_each_line_once(void **state)
{
	const char *text =
		"1: POSIX  ADVISORY  WRITE 999991 fe:00:10 0 EOF\n"
		"2: -> POSIX  ADVISORY  WRITE 999992 fe:00:10 0 EOF\n"
		"3: FLOCK  ADVISORY  WRITE 999993 fe:00:11 0 EOF\n"
		"3: FLOCK  ADVISORY  WRITE 999993 fe:00:11 0 EOF\n"	/* repeated */
		"4: POSIX  ADVISORY  READ  999994 fe:00:10 5 9\n"
		"5: OFDLCK ADVISORY  WRITE -1 fe:00:12 0 EOF\n";
	char path[] = "/tmp/test-lock-census-XXXXXX";
	struct hbctl_census_args a;
	struct lock_census c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(&a, 0, sizeof(a));
	a.proc_locks = path;
	assert_int_equal(lock_census_collect(&c, &a, 1000), 0);
	assert_int_equal(c.held, 4);
	assert_int_equal(c.waiting, 1);
	assert_int_equal(c.held_by_class[HB_PLOCK_POSIX], 2);
	assert_int_equal(c.held_by_class[HB_PLOCK_FLOCK], 1);
	assert_int_equal(c.held_by_class[HB_PLOCK_OFD], 1);
	assert_int_equal(c.file_count, 3);
	assert_int_equal(c.proc_count, 4);	/* the OFD lock has no process */
	assert_int_equal(c.error_count, 0);
	lock_census_free(&c);

	/* with a mail root, files no visible process has open are not its */
	a.mail_roots[0] = "/nonexistent-mail-root";
	a.mail_root_count = 1;
	assert_int_equal(lock_census_collect(&c, &a, 1000), 0);
	assert_int_equal(c.held + c.waiting, 0);
	assert_int_equal(c.other, 5);
	assert_int_equal(c.error_count, 1);	/* the root cannot be read */
	assert_non_null(strstr(c.errors[0], "cannot read directory /nonexistent-mail-root"));
	lock_census_free(&c);
	unlink(path);
}

static void put(const char *dir, const char *name, const char *content, time_t mtime)
{
	char path[512];
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
	assert_int_equal(utimes(path, tv), 0);
}

static void test_dotlocks_in_mail_root(void **state)
{
	char root[] = "/tmp/test-lock-census-root-XXXXXX";
	char md[600], cmd[2600];
	struct hbctl_census_args a;
	struct lock_census c;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(md, sizeof(md), "%s/alice/Maildir", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/cur %s/new %s/tmp %s/.Sent", md, md, md, md);
	assert_int_equal(system(cmd), 0);
	put(md, "dovecot-uidlist.lock", "4321:node-b", 1000 - 90);
	put(md, ".Sent/dovecot.index.log.lock", "garbage", 1000 - 5);
	put(md, "cur/1.lock", "4321:node-b", 1000 - 500);	/* mail, not a lock */
	put(md, "dovecot.index.log", "", 1000 - 900);

	memset(&a, 0, sizeof(a));
	a.proc_locks = "/dev/null";
	a.mail_roots[0] = root;
	a.mail_root_count = 1;
	assert_int_equal(lock_census_collect(&c, &a, 1000), 0);
	assert_int_equal(c.error_count, 0);
	assert_int_equal(c.dotlock_count, 2);
	assert_int_equal(c.oldest_dotlock_secs, 90);
	for (size_t i = 0; i < c.dotlock_count; i++) {
		const struct lc_dotlock *d = &c.dotlocks[i];

		if (strstr(d->path, "uidlist") != NULL) {
			assert_int_equal(d->pid, 4321);
			assert_string_equal(d->host, "node-b");
			assert_int_equal(d->age_secs, 90);
		} else {
			assert_int_equal(d->pid, 0);	/* unreadable content */
			assert_int_equal(d->age_secs, 5);
		}
	}
	lock_census_judge(&c, &a);
	assert_int_equal(c.status, LC_WARN);
	lock_census_free(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dotlock_content),
		cmocka_unit_test(test_proctitle_user),
		cmocka_unit_test(test_proctitle_op),
		cmocka_unit_test(test_operation_age_is_judged_like_dotlock_age),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_recorded_table_counts_each_line_once),
		cmocka_unit_test(test_dotlocks_in_mail_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
