/* hb-user.h - validation and normalisation of user names arriving from
 * Dovecot and Postfix: the only place that decides what a user name is. */
#ifndef HB_USER_H
#define HB_USER_H

#include <stddef.h>

#define HB_USER_MAX 255

/* Validate IN (1..255 bytes of UTF-8, no controls, space, tab, '\\'), lower-case
 * ASCII letters, and remove a DELIM extension from the local part (DELIM may be
 * NULL or empty).  OUT must hold HB_USER_MAX + 1 bytes.  Returns -1 with
 * *ERROR_R set to a static reason. */
int hb_user_normalize(const char *in, const char *delim, char *out,
		      const char **error_r);

#endif
