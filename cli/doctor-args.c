/* doctor-args.c - the options of `hbctl doctor` (which Dovecot, which
 * configuration files, which role), taken out of the command line before
 * the common parser (args.c) sees it, so that they exist for doctor only. */
#include "doctor.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct doctor_opt {
	const char *name;
	size_t slot;
} doctor_opt_table[] = {
	{ "--doveconf", offsetof(struct doctor_opts, doveconf) },
	{ "--dovecot-config", offsetof(struct doctor_opts, dovecot_config) },
	{ "--dovecot-libdir", offsetof(struct doctor_opts, dovecot_libdir) },
	{ "--auth-module-dir", offsetof(struct doctor_opts, auth_module_dir) },
	{ "--config-dir", offsetof(struct doctor_opts, config_dir) },
	{ "--role", offsetof(struct doctor_opts, role_name) },
};
#define DOCTOR_OPT_COUNT (sizeof(doctor_opt_table) / sizeof(doctor_opt_table[0]))

static const struct doctor_opt *lookup(const char *arg)
{
	for (size_t i = 0; i < DOCTOR_OPT_COUNT; i++) {
		if (strcmp(arg, doctor_opt_table[i].name) == 0)
			return &doctor_opt_table[i];
	}
	return NULL;
}

static int parse_role(struct doctor_opts *opts, char *err, size_t err_size)
{
	static const char *const names[] = { "auto", "backend", "proxy" };

	if (opts->role_name == NULL)
		opts->role_name = names[DOCTOR_ROLE_AUTO];
	for (int i = 0; i < 3; i++) {
		if (strcmp(opts->role_name, names[i]) == 0) {
			opts->role = (enum doctor_role)i;
			return 0;
		}
	}
	snprintf(err, err_size, "--role must be auto, backend or proxy");
	return -1;
}

int doctor_options(int *argc, char **argv, struct doctor_opts *opts,
		   char *err, size_t err_size)
{
	int kept = 1, r = 1;

	for (; r < *argc && strcmp(argv[r], "--") != 0; r++) {
		const struct doctor_opt *o = lookup(argv[r]);

		if (o == NULL) {
			argv[kept++] = argv[r];
			continue;
		}
		if (r + 1 >= *argc || argv[r + 1][0] == '\0') {
			snprintf(err, err_size, "%s needs a value", argv[r]);
			return -1;
		}
		*(const char **)((char *)opts + o->slot) = argv[++r];
		opts->given = 1;
	}
	while (r < *argc)
		argv[kept++] = argv[r++];
	*argc = kept;
	argv[kept] = NULL;
	return parse_role(opts, err, err_size);
}
