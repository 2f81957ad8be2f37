/* lock-census.h - `hbctl locks`: the locks held and waited for on this node
 * right now, from /proc/locks (files found through the holders' open file
 * descriptors) and from the dotlock files under the mail roots, with
 * totals and an ok/warn/crit verdict against thresholds.  Collecting is
 * kept apart from printing (lock-census-print.c). */
#ifndef HBCTL_LOCK_CENSUS_H
#define HBCTL_LOCK_CENSUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "args.h"
#include "hb-proclocks.h"

#define LC_ERRORS_MAX 8
#define LC_ERROR_LEN 300
#define LC_USER_LEN 128

enum lc_status { LC_OK = 0, LC_WARN = 1, LC_CRIT = 2, LC_UNKNOWN = 3 };

struct lc_file {
	unsigned int dev_major, dev_minor;
	uint64_t ino;
	char *path;			/* NULL: no holder has it open (OFD, gone) */
	bool counted;			/* under a mail root (or no roots given) */
	unsigned int held, waiting;
};

/* hb_locks' record in a Dovecot process title (plugins/locks/locks-title.c):
 * the locking mailbox operation it is in, since when */
struct lc_op {
	char name[16];			/* open, sync, commit; "" if none */
	long long since_ms;
	char user[LC_USER_LEN];
	char mailbox[128];
};

struct lc_proc {
	long pid;
	char name[32];			/* /proc/PID/comm, "" if gone */
	char user[LC_USER_LEN];		/* Dovecot's proctitle [user ...], or "" */
	unsigned int held, waiting;
	struct lc_op op;		/* hb_locks' record, if op.name[0] */
};

struct lc_dotlock {
	char *path;
	long long age_secs;		/* now - mtime */
	long pid;			/* Dovecot writes "PID:HOST"; 0 unknown */
	char host[64];
};

struct lc_lock {
	struct hb_plock lock;
	size_t file;			/* index into files */
};

struct lock_census {
	struct lc_lock *locks;
	size_t lock_count, lock_cap;
	struct lc_file *files;
	size_t file_count;
	struct lc_proc *procs;
	size_t proc_count;
	struct lc_dotlock *dotlocks;
	size_t dotlock_count, dotlock_cap;
	/* totals over the counted locks */
	unsigned int held, waiting, held_by_class[5];
	unsigned int other;		/* locks on files outside the mail roots */
	long long oldest_dotlock_secs;	/* -1: none */
	long long oldest_op_secs;	/* hb_locks operation of a locker; -1: none */
	long long wait_p99_ms;		/* of the waiters' operations so far; -1: none */
	char errors[LC_ERRORS_MAX][LC_ERROR_LEN];
	unsigned int error_count;	/* may exceed LC_ERRORS_MAX */
	enum lc_status status;
	char reasons[5][96];
	unsigned int reason_count;
};

/* The census of ARGS (proc_locks, mail_roots); NOW is the wall clock.
 * Problems that leave it incomplete (an unreadable directory, a process
 * that vanished is not one) are recorded in c->errors; -1 only if the lock
 * table itself could not be read (reason in c->errors[0]). */
int lock_census_collect(struct lock_census *c, const struct hbctl_census_args *args,
			long long now);
/* Sets c->status and c->reasons from the thresholds (defaults below). */
void lock_census_judge(struct lock_census *c, const struct hbctl_census_args *args);
void lock_census_free(struct lock_census *c);

void lock_census_add_error(struct lock_census *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "1234:host" -> pid 1234, host; 0 if the content is not that */
int lock_census_parse_dotlock(const char *content, long *pid_r,
			      char *host, size_t host_size);
/* The user in a Dovecot proctitle "dovecot/imap [alice 1.2.3.4 SELECT]"
 * (the part before the slash is Dovecot's instance_name) */
int lock_census_proctitle_user(const char *cmdline, char *user, size_t size);
/* hb_locks' "[hb_locks OP since=MS user=U box=MAILBOX]" at the end of a
 * process title; 0 and OP filled, or -1 if there is none (or it is broken) */
int lock_census_proctitle_op(const char *cmdline, struct lc_op *op);

#define LC_DEFAULT_WARN_LOCKS 1000
#define LC_DEFAULT_CRIT_LOCKS 10000
#define LC_DEFAULT_WARN_WAITERS 10
#define LC_DEFAULT_CRIT_WAITERS 100
#define LC_DEFAULT_WARN_AGE 60
#define LC_DEFAULT_CRIT_AGE 300
#define LC_DEFAULT_WARN_WAIT_P99_MS 5000
#define LC_DEFAULT_CRIT_WAIT_P99_MS 30000

/* lock-census-print.c */
void lock_census_print(const struct lock_census *c, FILE *f);
struct hbctl_json;
void lock_census_print_json(const struct lock_census *c, struct hbctl_json *js);
/* Writes the node_exporter textfile (FILE.tmp, then rename); -1 with ERR */
int lock_census_write_prometheus(const struct lock_census *c, const char *path,
				 long long now, char *err, size_t err_size);
const char *lock_census_status_name(enum lc_status status);

/* lock-publish.c: stores the summary of C for --publish BACKEND in Redis;
 * -1 with ctx->err set */
struct hbctl;
int lock_census_publish(struct hbctl *ctx, const struct lock_census *c, long long now);

#endif
