/* guard-settings.c - reads hb_guard's plugin {} settings of a mail user.
 * Defaults (docs/GUARD.md): hb_guard_fsync = log dirs,
 * hb_guard_lock_margin = 30s, hb_guard_quarantine_dir = ~/hb-quarantine,
 * hb_guard_rebuild_limit = 4, hb_guard_rebuild_wait = 10s,
 * hb_guard_rebuild_dir = <base_dir>/hb-guard-rebuild (the operator creates
 * it: base_dir belongs to root, so nobody else can plant it first). */
#include "lib.h"
#include "settings-parser.h"
#include "mail-user.h"
#include "mail-storage-settings.h"
#include "guard-settings.h"

#define GUARD_DEFAULT_FSYNC (GUARD_FSYNC_LOG | GUARD_FSYNC_DIRS)
#define GUARD_DEFAULT_MARGIN_SECS 30
#define GUARD_DEFAULT_REBUILD_LIMIT 4
#define GUARD_DEFAULT_REBUILD_WAIT_MSECS 10000
#define GUARD_MAX_REBUILD_LIMIT 1000

const struct guard_settings guard_settings_default = {
	.fsync = GUARD_DEFAULT_FSYNC,
	.lock_margin_secs = GUARD_DEFAULT_MARGIN_SECS,
	.rebuild_limit = GUARD_DEFAULT_REBUILD_LIMIT,
	.rebuild_wait_msecs = GUARD_DEFAULT_REBUILD_WAIT_MSECS,
};

int guard_settings_parse_fsync(const char *value, unsigned int *bits_r,
			       const char **error_r)
{
	const char *const *words = t_strsplit_spaces(value, " ,");
	unsigned int bits = 0;
	bool none = FALSE;

	for (; *words != NULL; words++) {
		if (strcmp(*words, "log") == 0)
			bits |= GUARD_FSYNC_LOG;
		else if (strcmp(*words, "dirs") == 0)
			bits |= GUARD_FSYNC_DIRS;
		else if (strcmp(*words, "none") == 0)
			none = TRUE;
		else {
			*error_r = t_strdup_printf(
				"hb_guard_fsync: unknown word '%s' "
				"(use: log, dirs or none)", *words);
			return -1;
		}
	}
	if (none && bits != 0) {
		*error_r = "hb_guard_fsync: 'none' cannot be combined";
		return -1;
	}
	*bits_r = bits;
	return 0;
}

static int read_secs(struct mail_user *user, const char *name,
		     unsigned int def, unsigned int *secs_r,
		     const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, name);
	const char *error;

	*secs_r = def;
	if (value == NULL || *value == '\0')
		return 0;
	if (settings_get_time(value, secs_r, &error) < 0) {
		*error_r = t_strdup_printf("%s: %s", name, error);
		return -1;
	}
	return 0;
}

static int read_limit(struct mail_user *user, unsigned int *limit_r,
		      const char **error_r)
{
	const char *value =
		mail_user_plugin_getenv(user, "hb_guard_rebuild_limit");

	*limit_r = GUARD_DEFAULT_REBUILD_LIMIT;
	if (value == NULL || *value == '\0')
		return 0;
	if (str_to_uint(value, limit_r) < 0 || *limit_r == 0 ||
	    *limit_r > GUARD_MAX_REBUILD_LIMIT) {
		*error_r = t_strdup_printf(
			"hb_guard_rebuild_limit: '%s' is not a number "
			"from 1 to %u", value, GUARD_MAX_REBUILD_LIMIT);
		return -1;
	}
	return 0;
}

static int read_fsync(struct mail_user *user, unsigned int *bits_r,
		      const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, "hb_guard_fsync");

	*bits_r = GUARD_DEFAULT_FSYNC;
	if (value == NULL)
		return 0;
	return guard_settings_parse_fsync(value, bits_r, error_r);
}

/* "~/x" is relative to the user's home; other values must be absolute */
static int read_dir(struct mail_user *user, const char *name,
		    const char *def, const char **dir_r, const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, name);
	const char *home;

	if (value == NULL || *value == '\0')
		value = def;
	if (str_begins(value, "~/")) {
		if (mail_user_get_home(user, &home) <= 0 || home == NULL) {
			*error_r = t_strdup_printf(
				"%s: '%s' needs a home directory", name, value);
			return -1;
		}
		value = t_strconcat(home, value + 1, NULL);
	}
	if (value[0] != '/') {
		*error_r = t_strdup_printf(
			"%s: '%s' is not an absolute path", name, value);
		return -1;
	}
	*dir_r = p_strdup(user->pool, value);
	return 0;
}

int guard_settings_read(struct mail_user *user, struct guard_settings *set_r,
			const char **error_r)
{
	unsigned int wait_secs;

	i_zero(set_r);
	if (read_fsync(user, &set_r->fsync, error_r) < 0 ||
	    read_secs(user, "hb_guard_lock_margin", GUARD_DEFAULT_MARGIN_SECS,
		      &set_r->lock_margin_secs, error_r) < 0 ||
	    read_limit(user, &set_r->rebuild_limit, error_r) < 0 ||
	    read_secs(user, "hb_guard_rebuild_wait",
		      GUARD_DEFAULT_REBUILD_WAIT_MSECS / 1000, &wait_secs,
		      error_r) < 0 ||
	    read_dir(user, "hb_guard_quarantine_dir", "~/hb-quarantine",
		     &set_r->quarantine_dir, error_r) < 0 ||
	    read_dir(user, "hb_guard_rebuild_dir",
		     t_strconcat(user->set->base_dir,
				 "/" GUARD_REBUILD_DIR_NAME, NULL),
		     &set_r->rebuild_dir, error_r) < 0)
		return -1;
	set_r->rebuild_wait_msecs = wait_secs * 1000;
	return 0;
}
