/* glob-escape.c - see glob-escape.h.  Pure; covered by
 * tests/unit/test-hbctl-output.c. */
#include "glob-escape.h"

#include <string.h>

size_t hbctl_glob_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0'; in++) {
		int special = strchr("*?[]\\", *in) != NULL;
		if (o + (special ? 2 : 1) >= size)
			return 0;
		if (special)
			out[o++] = '\\';
		out[o++] = *in;
	}
	if (o >= size)
		return 0;
	out[o] = '\0';
	return o;
}
