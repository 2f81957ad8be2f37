/* password-rule.c - the rule a new admin password must pass (docs/ADMIND.md
 * 2): at least ADMIND_PASSWORD_MIN characters, not the old password, not
 * containing the admin name.  Pure, so the unit tests reach every case;
 * never logs (a password). */
#include "api.h"
#include "hb-utf8.h"

#include <ctype.h>
#include <string.h>

static size_t code_points(const char *s)
{
	size_t n = 0, len = strlen(s);

	for (size_t i = 0; i < len; n++) {
		uint32_t cp;
		size_t step = hb_utf8_decode((const unsigned char *)s + i, len - i, &cp);

		i += step > 0 ? step : 1;
	}
	return n;
}

/* Case-insensitive (ASCII) substring: admin names are ASCII. */
static int contains_name(const char *password, const char *name)
{
	size_t nlen = strlen(name), plen = strlen(password);

	if (nlen == 0)
		return 0;

	for (size_t i = 0; i + nlen <= plen; i++) {
		size_t j = 0;

		while (j < nlen && tolower((unsigned char)password[i + j]) == name[j])
			j++;
		if (j == nlen)
			return 1;
	}
	return 0;
}

int admind_password_rule(const char *name, const char *old, const char *new_pw,
			 struct admind_error *err)
{
	if (code_points(new_pw) < ADMIND_PASSWORD_MIN)
		return admind_error_set(err, 422, "bad_value",
					"the new password needs at least %d characters",
					ADMIND_PASSWORD_MIN);
	if (strcmp(old, new_pw) == 0)
		return admind_error_set(err, 422, "bad_value", "the new password is the old one");
	if (contains_name(new_pw, name))
		return admind_error_set(err, 422, "bad_value",
					"the new password must not contain the admin name");
	return 0;
}

