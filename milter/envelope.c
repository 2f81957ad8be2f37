/* envelope.c - see envelope.h. */
#include "envelope.h"

#include <string.h>
#include <strings.h>

int envelope_unbracket(const char *arg, char *out, size_t size, const char **error_r)
{
	size_t len = strlen(arg);

	if (len > 0 && arg[0] == '<') {
		if (len < 2 || arg[len - 1] != '>') {
			*error_r = "unbalanced angle brackets";
			return -1;
		}
		arg++;
		len -= 2;
	}
	if (len > 0 && arg[0] == '@') {
		*error_r = "source routes are not accepted";
		return -1;
	}
	if (len >= size) {
		*error_r = "address too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)arg[i];
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
			*error_r = "control character or bracket in address";
			return -1;
		}
	}
	memcpy(out, arg, len);
	out[len] = '\0';
	return 0;
}

int envelope_domain_part(const char *arg, char *out, size_t size, const char **error_r)
{
	const char *at = strrchr(arg, '@');
	size_t len;

	if (at == NULL) {
		*error_r = "address has no '@'";
		return -1;
	}
	len = strlen(at + 1);
	if (len > 0 && at[len] == '>')
		len--;
	if (len == 0 || len >= size) {
		*error_r = len == 0 ? "address has no domain" : "domain too long";
		return -1;
	}
	memcpy(out, at + 1, len);
	out[len] = '\0';
	return 0;
}

int envelope_size_param(char *const *args, long long *size_r)
{
	if (args == NULL)
		return 0;
	for (; *args != NULL; args++) {
		const char *v = *args;
		long long n = 0;

		if (strncasecmp(v, "SIZE=", 5) != 0)
			continue;
		v += 5;
		if (*v == '\0')
			return -1;
		for (; *v != '\0'; v++) {
			if (*v < '0' || *v > '9' || n > (1LL << 53) / 10)
				return -1;
			n = n * 10 + (*v - '0');
		}
		*size_r = n;
		return 1;
	}
	return 0;
}

void envelope_strip_extension(char *local, const char *delims)
{
	size_t cut;

	if (delims == NULL || delims[0] == '\0')
		return;
	cut = strcspn(local, delims);
	if (cut > 0)
		local[cut] = '\0';
}
