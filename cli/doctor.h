/* doctor.h - `hbctl doctor`: is this node wired up as documented?  One
 * check per line (Dovecot's mail plugins per protocol, the ABI of the
 * Dovecot modules, each component's Redis login), Nagios exit codes.
 * The checks live in doctor-*.c; cmd-doctor.c runs and reports them. */
#ifndef HBCTL_DOCTOR_H
#define HBCTL_DOCTOR_H

#include <stddef.h>

#include "lock-census.h"	/* enum lc_status: the Nagios levels */

#define DOCTOR_MAX_CHECKS 64
#define DOCTOR_DETAIL_MAX 400

/* what this node is to Dovecot: a backend loads hb_guard and hb_locks in
 * every protocol that opens mailboxes, a proxy does not open mailboxes */
enum doctor_role { DOCTOR_ROLE_AUTO, DOCTOR_ROLE_BACKEND, DOCTOR_ROLE_PROXY };

struct doctor_opts {
	const char *doveconf;		/* --doveconf PATH (default: doveconf) */
	const char *dovecot_config;	/* --dovecot-config FILE: doveconf -c */
	const char *dovecot_libdir;	/* --dovecot-libdir DIR: libdovecot.so.0 */
	const char *auth_module_dir;	/* --auth-module-dir DIR */
	const char *config_dir;		/* --config-dir DIR: Hummingbird's files */
	const char *role_name;		/* --role auto|backend|proxy */
	enum doctor_role role;
	int given;			/* any doctor option was on the line */
};

struct doctor_check {
	char name[64];
	enum lc_status status;
	char detail[DOCTOR_DETAIL_MAX];
};

struct doctor {
	const struct doctor_opts *opts;
	struct doctor_check checks[DOCTOR_MAX_CHECKS];
	unsigned int count;
};

/* Record a check's result (beyond DOCTOR_MAX_CHECKS the last one is
 * overwritten with an UNKNOWN saying so). */
void doctor_add(struct doctor *d, const char *name, enum lc_status status,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct hbctl;
/* cmd-doctor.c: the command; returns the Nagios exit code. */
int hbctl_cmd_doctor(struct hbctl *ctx, struct doctor_opts *opts);

/* doctor-args.c: take the doctor's options out of ARGV (as
 * hbctl_server_options does for --server) before hbctl_args_parse sees it.
 * Returns 0, or -1 with a usage error in ERR. */
int doctor_options(int *argc, char **argv, struct doctor_opts *opts,
		   char *err, size_t err_size);

/* doctor-run.c: run ARGV (no shell), its standard output into OUT and its
 * standard error into ERRTEXT (both NUL-terminated, cut to size).  Returns
 * the exit status, or -1 when it could not run or was killed. */
int doctor_run(const char *const *argv, char *out, size_t out_size,
	       char *errtext, size_t errtext_size);

/* doctor-dovecot.c: hb_guard and hb_locks per protocol. */
void doctor_check_plugins(struct doctor *d);
/* doctor-abi.c: the passdb module and mail plugins against Dovecot's ABI. */
void doctor_check_abi(struct doctor *d);
/* doctor-redis.c: each component's Redis login with its own files. */
void doctor_check_redis(struct doctor *d);

/* doctor-elf.c: the string that the exported `const char *SYMBOL` of the
 * ELF shared object PATH points to, read from the file (never loaded).
 * Returns 0, or -1 with the reason in ERR. */
int doctor_elf_string(const char *path, const char *symbol, char *out, size_t out_size,
		      char *err, size_t err_size);
/* The DOVECOT_ABI_VERSION string ("2.3.ABIv19(2.3.19.1)") inside the
 * library PATH (libdovecot.so.0).  Returns 0, or -1 with the reason in ERR. */
int doctor_elf_abi(const char *path, char *out, size_t out_size, char *err, size_t err_size);

/* doveconf's answer for SETTING, with -f protocol=PROTOCOL unless NULL.
 * Returns 0, or -1 with doveconf's complaint in ERR. */
int doctor_doveconf(const struct doctor_opts *o, const char *protocol, const char *setting,
		    char *out, size_t out_size, char *err, size_t err_size);

/* Whether DIR holds Dovecot's module NAME (lib[NN_]NAME.so, e.g. NAME
 * hb_guard_plugin or authdb_hummingbird); its path into PATH. */
int doctor_find_module(const char *dir, const char *name, char *path, size_t path_size);

#endif
