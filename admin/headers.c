/* headers.c - the request headers admind reads (Content-Type and the Bearer
 * token of Authorization) and the shape of an admin name, checked strictly:
 * anything unexpected is refused, never guessed at.  Pure. */
#include "api.h"

#include <string.h>
#include <strings.h>

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int admind_content_type_ok(const char *value)
{
	static const char type[] = "application/json";
	static const char charset[] = "charset=utf-8";
	const char *p;

	if (value == NULL)
		return 0;
	p = skip_blanks(value);
	if (strncasecmp(p, type, sizeof(type) - 1) != 0)
		return 0;
	p = skip_blanks(p + sizeof(type) - 1);
	if (*p == ';') {
		p = skip_blanks(p + 1);
		if (strncasecmp(p, charset, sizeof(charset) - 1) != 0)
			return 0;
		p = skip_blanks(p + sizeof(charset) - 1);
	}
	return *p == '\0';
}

int admind_bearer_parse(const char *value, char *out)
{
	static const char scheme[] = "Bearer ";

	if (value == NULL || strncmp(value, scheme, sizeof(scheme) - 1) != 0)
		return -1;
	value += sizeof(scheme) - 1;
	if (strlen(value) != ADMIND_TOKEN_HEX ||
	    strspn(value, "0123456789abcdef") != ADMIND_TOKEN_HEX)
		return -1;
	memcpy(out, value, ADMIND_TOKEN_HEX + 1);
	return 0;
}

int admind_admin_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len <= 64 &&
		strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}
