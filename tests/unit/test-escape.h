/* test-escape.h - one helper for the name-rule tests' failure messages: a
 * string with its non-printable bytes shown as \xNN.  Header-only. */
#ifndef TEST_ESCAPE_H
#define TEST_ESCAPE_H

#include <stdio.h>

/* IN with non-printable bytes as \xNN (static buffer, next call reuses it). */
static inline const char *test_escaped(const char *in)
{
	static char buf[4 * 1200 + 1];
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	for (; *p != '\0' && n + 5 < sizeof(buf); p++) {
		if (*p >= 0x21 && *p < 0x7f)
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\x%02x", *p);
	}
	buf[n] = '\0';
	return buf;
}

#endif
