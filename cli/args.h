/* args.h - hbctl's command-line parser: global options, per-command options
 * and positional words, with every numeric value range-checked here.  Pure:
 * no I/O, so tests/unit/test-hbctl-args.c covers it completely. */
#ifndef HBCTL_ARGS_H
#define HBCTL_ARGS_H

#include "hb-backend.h"

#define HBCTL_MAX_WORDS 18

/* Options that a command may accept (bit mask). */
enum hbctl_opt {
	HBCTL_OPT_FORCE = 1 << 0,
	HBCTL_OPT_PORTS = 1 << 1,	/* --imap-port ... --doveadm-port */
	HBCTL_OPT_WEIGHT = 1 << 2,
	HBCTL_OPT_PASSWORD_FILE = 1 << 3,	/* --password-file FILE */
	HBCTL_OPT_QUOTA = 1 << 4,		/* --quota SIZE (checked by the command) */
	HBCTL_OPT_CENSUS = 1 << 5,	/* hbctl locks: see census options below */
};

#define HBCTL_MAX_MAIL_ROOTS 16

/* hbctl locks: where to look and when to warn (0: threshold unset) */
struct hbctl_census_args {
	const char *proc_locks;		/* --proc-locks FILE (default /proc/locks) */
	const char *prometheus;		/* --prometheus FILE */
	const char *publish;		/* --publish BACKEND: to Redis (needs -c) */
	unsigned int publish_ttl;	/* --publish-ttl SECS (0: default) */
	const char *mail_roots[HBCTL_MAX_MAIL_ROOTS];	/* --mail-root DIR... */
	unsigned int mail_root_count;
	unsigned int warn_locks, crit_locks;	/* --warn-locks/--crit-locks N */
	unsigned int warn_waiters, crit_waiters;
	unsigned int warn_age, crit_age;	/* seconds */
	unsigned int warn_wait_p99, crit_wait_p99;	/* milliseconds */
	unsigned int set;			/* which thresholds were given */
};

struct hbctl_args {
	const char *config_path;
	int json;
	int help;
	int force;
	unsigned int ports[HB_SERVICE_COUNT];
	int port_set[HB_SERVICE_COUNT];
	unsigned int weight;
	int weight_set;
	const char *password_file;
	const char *quota;
	struct hbctl_census_args census;
	unsigned int seen;		/* enum hbctl_opt bits given */
	const char *words[HBCTL_MAX_WORDS];
	unsigned int word_count;
};

/* Parse ARGV (without the program name).  Options may stand anywhere; "--"
 * ends them.  Returns 0, or -1 with a usage error in ERR. */
int hbctl_args_parse(int argc, char *const *argv, struct hbctl_args *args,
		     char *err, size_t err_size);
/* Fail with an error naming the first option in ARGS that ALLOWED lacks. */
int hbctl_args_check(const struct hbctl_args *args, unsigned int allowed,
		     char *err, size_t err_size);

/* Strict decimal number in MIN..MAX; returns 0 or -1. */
int hbctl_parse_uint(const char *str, unsigned int min, unsigned int max,
		     unsigned int *value_r);

#endif
