/* guard-settings.h - hb_guard's plugin {} settings (docs/GUARD.md): parsed
 * once per mail user, with the defaults an operator gets when a setting is
 * not given, and a clear error for a value that cannot be parsed. */
#ifndef GUARD_SETTINGS_H
#define GUARD_SETTINGS_H

struct mail_user;

enum guard_fsync {
	GUARD_FSYNC_LOG = 0x01,   /* fdatasync dovecot.index.log per commit */
	GUARD_FSYNC_DIRS = 0x02,  /* fsync directories after renames/unlinks */
};

struct guard_settings {
	unsigned int fsync;             /* enum guard_fsync bits */
	unsigned int lock_margin_secs;  /* refuse a lock this close to timing out */
	const char *quarantine_dir;     /* copies of corrupted index files */
	unsigned int rebuild_limit;     /* concurrent rebuilds per node */
	unsigned int rebuild_wait_msecs;/* wait for a rebuild slot, then NO */
	const char *rebuild_dir;        /* node-wide rebuild slot files */
};

/* The defaults of fsync, lock_margin_secs, rebuild_limit and
 * rebuild_wait_msecs (directories: NULL, they depend on the user). */
extern const struct guard_settings guard_settings_default;

/* The rebuild directory when hb_guard_rebuild_dir is not set: under
 * Dovecot's base_dir, which only root can write to, so no local user can
 * plant anything there before the operator creates it (docs/GUARD.md). */
#define GUARD_REBUILD_DIR_NAME "hb-guard-rebuild"

/* Fills *set_r from user's plugin settings; on a bad value returns -1 with
 * *error_r naming the setting and the value. */
int guard_settings_read(struct mail_user *user, struct guard_settings *set_r,
			const char **error_r);

/* Parses a hb_guard_fsync value ("log dirs", "none", ...). */
int guard_settings_parse_fsync(const char *value, unsigned int *bits_r,
			       const char **error_r);

#endif
