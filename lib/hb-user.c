/* hb-user.c - the single definition of a valid user name and its routing key:
 * bounded, valid UTF-8, no control characters or separators of our protocols,
 * ASCII lower-cased, recipient-delimiter extension removed. */
#include "hb-user.h"
#include "hb-utf8.h"

#include <string.h>

static int check_bytes(const unsigned char *in, size_t len, const char **error_r)
{
	for (size_t i = 0; i < len; ) {
		if (in[i] < 0x21 || in[i] == 0x7f || in[i] == '\\' ||
		    in[i] == '"' || in[i] == ',' ||
		    (in[i] == 0xc2 && i + 1 < len && in[i + 1] < 0xa0)) { /* C1 controls */
			*error_r = "user name contains a control character, space or separator";
			return -1;
		}
		uint32_t cp;
		size_t seq = hb_utf8_decode(in + i, len - i, &cp);
		if (seq == 0) {
			*error_r = "user name is not valid UTF-8";
			return -1;
		}
		i += seq;
	}
	return 0;
}

/* Remove "+ext" from the local part: "u+x@d" -> "u@d", "u+x" -> "u". */
static void strip_extension(char *user, const char *delim)
{
	char *at = strchr(user, '@');
	size_t local_len = at != NULL ? (size_t)(at - user) : strlen(user);

	for (size_t i = 1; i < local_len; i++) {
		if (strchr(delim, user[i]) != NULL) {
			memmove(user + i, user + local_len, strlen(user + local_len) + 1);
			return;
		}
	}
}

int hb_user_normalize(const char *in, const char *delim, char *out,
		      const char **error_r)
{
	size_t len = strlen(in);

	if (len == 0) {
		*error_r = "empty user name";
		return -1;
	}
	if (len > HB_USER_MAX) {
		*error_r = "user name longer than 255 bytes";
		return -1;
	}
	if (check_bytes((const unsigned char *)in, len, error_r) < 0)
		return -1;
	if (in[0] == '@' || in[len - 1] == '@' || strchr(in, '@') != strrchr(in, '@')) {
		*error_r = "user name has a malformed domain part";
		return -1;
	}
	for (size_t i = 0; i <= len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	if (delim != NULL && *delim != '\0')
		strip_extension(out, delim);
	return 0;
}
