/* locks-settings.h - hb_locks' plugin {} settings, read once per mail user
 * with mail_user_plugin_getenv(); a bad value refuses the login with the
 * setting's name (docs/LOCKS.md "hb_locks"). */
#ifndef LOCKS_SETTINGS_H
#define LOCKS_SETTINGS_H

struct mail_user;

#define LOCKS_DEFAULT_WARN_MSECS 1000

struct locks_settings {
	/* an operation that waited for locks, or ran holding them, this long
	   is logged (once, when it ends); 0 disables the warning */
	unsigned int warn_msecs;
	/* keep a record of the running locking operation in the process
	   title for `hbctl locks` (hb_locks_title = yes|no, default yes) */
	bool title;
};

int locks_settings_read(struct mail_user *user, struct locks_settings *set_r,
			const char **error_r);
/* "1500", "2s", "1500ms" -> msecs; -1 on anything else */
int locks_parse_msecs(const char *value, unsigned int *msecs_r);

#endif
