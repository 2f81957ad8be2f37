/* doctor-abi.c - were the Dovecot modules built for the Dovecot that is
 * installed?  Dovecot refuses a module whose NAME_version differs from its
 * own DOVECOT_ABI_VERSION up to the '(' (lib/module-dir.c): for the passdb
 * module every proxied login then fails, for a mail plugin every login and
 * delivery of the users that load it.  Both strings are read from the files
 * (doctor-elf.c), so this works while Dovecot is stopped after an upgrade. */
#include "doctor.h"

#include <stdio.h>
#include <string.h>

#define ABI_MAX 128

static const struct abi_module {
	const char *module;		/* Dovecot's module name: the file's core */
	enum doctor_role needed_by;	/* the role that cannot work without it */
} abi_modules[] = {
	{ "authdb_hummingbird", DOCTOR_ROLE_PROXY },
	{ "hb_guard_plugin", DOCTOR_ROLE_BACKEND },
	{ "hb_locks_plugin", DOCTOR_ROLE_BACKEND },
};

static size_t abi_core_len(const char *abi)
{
	return strcspn(abi, "(");
}

static void check_module(struct doctor *d, const struct abi_module *m, const char *dir,
			 const char *dovecot_abi)
{
	char path[1200], symbol[96], abi[ABI_MAX], err[1400], name[64];

	snprintf(name, sizeof(name), "abi %s", m->module);
	if (!doctor_find_module(dir, m->module, path, sizeof(path))) {
		if (d->opts->role == m->needed_by)
			doctor_add(d, name, LC_CRIT, "not installed in %s", dir);
		else
			doctor_add(d, name, LC_OK, "not installed in %s", dir);
		return;
	}
	snprintf(symbol, sizeof(symbol), "%s_version", m->module);
	if (doctor_elf_string(path, symbol, abi, sizeof(abi), err, sizeof(err)) < 0) {
		doctor_add(d, name, LC_CRIT, "%s (Dovecot cannot check it either: rebuild it)", err);
		return;
	}
	if (dovecot_abi == NULL)
		doctor_add(d, name, LC_UNKNOWN, "%s built for %s; Dovecot's own ABI unknown",
			   path, abi);
	else if (abi_core_len(abi) != abi_core_len(dovecot_abi) ||
		 strncmp(abi, dovecot_abi, abi_core_len(abi)) != 0)
		doctor_add(d, name, LC_CRIT, "%s was built for Dovecot %s but %s is installed: "
			   "Dovecot refuses to load it; rebuild and reinstall it", path, abi,
			   dovecot_abi);
	else
		doctor_add(d, name, LC_OK, "%s built for %s, Dovecot is %s", path, abi, dovecot_abi);
}

void doctor_check_abi(struct doctor *d)
{
	const struct doctor_opts *o = d->opts;
	char lib[1200], auth_dir[1200], plugin_dir[1024], abi[ABI_MAX], err[1400];
	const char *dovecot_abi = abi;

	snprintf(lib, sizeof(lib), "%s/libdovecot.so.0", o->dovecot_libdir);
	if (doctor_elf_abi(lib, abi, sizeof(abi), err, sizeof(err)) < 0) {
		doctor_add(d, "abi dovecot", LC_UNKNOWN, "%s", err);
		dovecot_abi = NULL;
	}
	if (o->auth_module_dir != NULL)
		snprintf(auth_dir, sizeof(auth_dir), "%s", o->auth_module_dir);
	else
		snprintf(auth_dir, sizeof(auth_dir), "%s/modules/auth", o->dovecot_libdir);
	check_module(d, &abi_modules[0], auth_dir, dovecot_abi);
	if (doctor_doveconf(o, NULL, "mail_plugin_dir", plugin_dir, sizeof(plugin_dir),
			    err, sizeof(err)) < 0) {
		doctor_add(d, "abi mail plugins", LC_UNKNOWN, "%s", err);
		return;
	}
	for (size_t i = 1; i < sizeof(abi_modules) / sizeof(abi_modules[0]); i++)
		check_module(d, &abi_modules[i], plugin_dir, dovecot_abi);
}
