/* locks-settings.c - reads hb_locks' settings (locks-settings.h). */
#include "lib.h"
#include "mail-user.h"
#include "locks-settings.h"

#include <stdlib.h>

#define LOCKS_MAX_MSECS (24U * 3600 * 1000)

int locks_parse_msecs(const char *value, unsigned int *msecs_r)
{
	unsigned long long v = 0;
	const char *p = value;
	unsigned int mult = 1;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > LOCKS_MAX_MSECS)
			return -1;
	}
	if (*p == 's' && p[1] == '\0')
		mult = 1000;
	else if (*p != '\0' && strcmp(p, "ms") != 0)
		return -1;
	if (v * mult > LOCKS_MAX_MSECS)
		return -1;
	*msecs_r = (unsigned int)(v * mult);
	return 0;
}

int locks_settings_read(struct mail_user *user, struct locks_settings *set_r,
			const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, "hb_locks_warn");

	set_r->warn_msecs = LOCKS_DEFAULT_WARN_MSECS;
	if (value != NULL && locks_parse_msecs(value, &set_r->warn_msecs) < 0) {
		*error_r = t_strdup_printf("hb_locks_warn: not a duration "
					   "(msecs, or Ns / Nms, at most 24h): %s",
					   value);
		return -1;
	}
	value = mail_user_plugin_getenv(user, "hb_locks_title");
	set_r->title = TRUE;
	if (value == NULL || strcmp(value, "yes") == 0)
		return 0;
	if (strcmp(value, "no") != 0) {
		*error_r = t_strdup_printf("hb_locks_title: not yes or no: %s", value);
		return -1;
	}
	set_r->title = FALSE;
	return 0;
}
