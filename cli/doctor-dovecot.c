/* doctor-dovecot.c - are hb_guard and hb_locks in the mail_plugins that
 * Dovecot really uses for each protocol that opens mailboxes?  Asked of
 * doveconf per protocol (-f protocol=P), because a site's own
 * `protocol lmtp { mail_plugins = ... }` decides what lmtp loads, whatever
 * the global setting says (docs/DOCTOR.md). */
#include "doctor.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#define DOVECONF_OUT_MAX 4096

static const char *const plugin_names[] = { "hb_guard", "hb_locks" };
#define PLUGIN_COUNT (sizeof(plugin_names) / sizeof(plugin_names[0]))

/* Protocols whose processes open mailboxes.  The first three serve clients
 * only when listed in `protocols`; the others always exist (doveadm and
 * dsync, the indexer's workers, and dovecot-lda if Postfix runs it), so a
 * gap there is a warning rather than a lost mail path. */
static const struct mail_protocol {
	const char *name;
	int only_if_enabled;
} mail_protocols[] = {
	{ "imap", 1 }, { "pop3", 1 }, { "lmtp", 1 },
	{ "doveadm", 0 }, { "indexer-worker", 0 }, { "lda", 0 },
};
#define PROTOCOL_COUNT (sizeof(mail_protocols) / sizeof(mail_protocols[0]))

int doctor_doveconf(const struct doctor_opts *o, const char *protocol, const char *setting,
		    char *out, size_t out_size, char *err, size_t err_size)
{
	const char *argv[10];
	char filter[80], errtext[1024];
	int n = 0, rc;

	argv[n++] = o->doveconf;
	if (o->dovecot_config != NULL) {
		argv[n++] = "-c";
		argv[n++] = o->dovecot_config;
	}
	if (protocol != NULL) {
		snprintf(filter, sizeof(filter), "protocol=%s", protocol);
		argv[n++] = "-f";
		argv[n++] = filter;
	}
	argv[n++] = "-h";
	argv[n++] = setting;
	argv[n] = NULL;
	rc = doctor_run(argv, out, out_size, errtext, sizeof(errtext));
	out[strcspn(out, "\n")] = '\0';
	/* "$mail_plugins x" on an empty list leaves a leading space */
	memmove(out, out + strspn(out, " "), strlen(out + strspn(out, " ")) + 1);
	if (rc != 0) {
		errtext[strcspn(errtext, "\n")] = '\0';
		snprintf(err, err_size, "%s failed: %s", o->doveconf,
			 errtext[0] != '\0' ? errtext : "no output");
		return -1;
	}
	return 0;
}

/* Is WORD one of the space or comma separated words of LIST? */
static int has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; *p != '\0';) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == len && strncmp(p, word, len) == 0)
			return 1;
		p += n;
	}
	return 0;
}

int doctor_find_module(const char *dir, const char *name, char *path, size_t path_size)
{
	char suffix[96], plain[96];
	struct dirent *e;
	DIR *dp = opendir(dir);
	int found = 0;

	if (dp == NULL)
		return 0;
	/* Dovecot's loader: lib[NN_]NAME.so, NN ordering the plugins */
	snprintf(suffix, sizeof(suffix), "_%s.so", name);
	snprintf(plain, sizeof(plain), "lib%s.so", name);
	while (!found && (e = readdir(dp)) != NULL) {
		size_t len = strlen(e->d_name), slen = strlen(suffix);

		if (strcmp(e->d_name, plain) == 0 ||
		    (strncmp(e->d_name, "lib", 3) == 0 && len > slen &&
		     strcmp(e->d_name + len - slen, suffix) == 0)) {
			snprintf(path, path_size, "%s/%s", dir, e->d_name);
			found = 1;
		}
	}
	closedir(dp);
	return found;
}

struct plugin_view {
	char plugins[PROTOCOL_COUNT][DOVECONF_OUT_MAX];
	int checked[PROTOCOL_COUNT];
	int expected[PLUGIN_COUNT];
};

/* Does the configuration route logins with our passdb or userdb?  That
 * makes a proxy node, whose Dovecot opens no mailboxes. */
static int config_is_proxy(const struct doctor_opts *o)
{
	static char config[65536];
	const char *argv[5];
	char err[256];
	int n = 0;

	argv[n++] = o->doveconf;
	if (o->dovecot_config != NULL) {
		argv[n++] = "-c";
		argv[n++] = o->dovecot_config;
	}
	argv[n++] = "-n";
	argv[n] = NULL;
	if (doctor_run(argv, config, sizeof(config), err, sizeof(err)) != 0)
		return 0;
	return strstr(config, "driver = hummingbird\n") != NULL;
}

/* Which plugins this node should load: --role, or (auto) those the
 * configuration loads in at least one protocol - none on a proxy. */
static void decide_expected(struct doctor *d, struct plugin_view *v, const char *plugin_dir)
{
	int proxy = -1;

	for (size_t k = 0; k < PLUGIN_COUNT; k++) {
		char name[64], path[512], module[64];
		int anywhere = 0;

		for (size_t i = 0; i < PROTOCOL_COUNT; i++)
			anywhere |= v->checked[i] && has_word(v->plugins[i], plugin_names[k]);
		v->expected[k] = d->opts->role == DOCTOR_ROLE_BACKEND || anywhere;
		if (v->expected[k])
			continue;
		snprintf(name, sizeof(name), "plugin %s", plugin_names[k]);
		if (proxy < 0)
			proxy = config_is_proxy(d->opts);
		if (proxy) {
			doctor_add(d, name, LC_OK, "loaded nowhere: a proxy (passdb or "
				   "userdb hummingbird) opens no mailboxes");
			continue;
		}
		snprintf(module, sizeof(module), "%s_plugin", plugin_names[k]);
		if (doctor_find_module(plugin_dir, module, path, sizeof(path)))
			doctor_add(d, name, LC_WARN, "%s is installed but no protocol loads it: "
				   "copy its conf.d snippet to /etc/dovecot/conf.d/ on a backend, "
				   "or say --role proxy", path);
		else
			doctor_add(d, name, LC_OK, "not installed in %s and loaded nowhere "
				   "(not a backend)", plugin_dir);
	}
}

static void judge_protocol(struct doctor *d, const struct plugin_view *v, size_t i,
			   int serves_clients)
{
	char name[64], missing[64] = "";
	enum lc_status st = LC_OK;

	for (size_t k = 0; k < PLUGIN_COUNT; k++) {
		if (!v->expected[k] || has_word(v->plugins[i], plugin_names[k]))
			continue;
		/* without hb_guard writes go unfenced; without hb_locks only
		   the accounting is missing */
		if (k == 0 && serves_clients)
			st = LC_CRIT;
		else if (st == LC_OK)
			st = LC_WARN;
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
			 "%s%s", missing[0] != '\0' ? " and " : "", plugin_names[k]);
	}
	snprintf(name, sizeof(name), "plugins %s", mail_protocols[i].name);
	if (st == LC_OK)
		doctor_add(d, name, st, "mail_plugins = %s", v->plugins[i]);
	else
		doctor_add(d, name, st, "%s not loaded: mail_plugins = %s (a `protocol %s` "
			   "block that sets mail_plugins without $mail_plugins, or a snippet "
			   "missing: docs/GUARD.md \"Installing\")", missing, v->plugins[i],
			   mail_protocols[i].name);
}

void doctor_check_plugins(struct doctor *d)
{
	static struct plugin_view v;
	char protocols[DOVECONF_OUT_MAX], plugin_dir[1024], err[1200];
	int enabled[PROTOCOL_COUNT];

	memset(&v, 0, sizeof(v));
	if (d->opts->role == DOCTOR_ROLE_PROXY) {
		doctor_add(d, "plugins", LC_OK, "role proxy: mail plugins are not expected");
		return;
	}
	if (doctor_doveconf(d->opts, NULL, "protocols", protocols, sizeof(protocols),
			    err, sizeof(err)) < 0 ||
	    doctor_doveconf(d->opts, NULL, "mail_plugin_dir", plugin_dir, sizeof(plugin_dir),
			    err, sizeof(err)) < 0) {
		doctor_add(d, "plugins", LC_UNKNOWN, "%s", err);
		return;
	}
	for (size_t i = 0; i < PROTOCOL_COUNT; i++) {
		enabled[i] = !mail_protocols[i].only_if_enabled ||
			has_word(protocols, mail_protocols[i].name);
		if (!enabled[i])
			continue;
		if (doctor_doveconf(d->opts, mail_protocols[i].name, "mail_plugins",
				    v.plugins[i], sizeof(v.plugins[i]), err, sizeof(err)) < 0) {
			doctor_add(d, "plugins", LC_UNKNOWN, "%s", err);
			return;
		}
		v.checked[i] = 1;
	}
	decide_expected(d, &v, plugin_dir);
	for (size_t i = 0; i < PROTOCOL_COUNT; i++) {
		if (v.checked[i])
			judge_protocol(d, &v, i, mail_protocols[i].only_if_enabled);
	}
}
