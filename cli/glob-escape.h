/* glob-escape.h - escapes a literal string for a Redis SCAN MATCH pattern,
 * so that a key prefix containing * ? [ ] or \ matches only itself. */
#ifndef HBCTL_GLOB_ESCAPE_H
#define HBCTL_GLOB_ESCAPE_H

#include <stddef.h>

/* Returns the length written to OUT, or 0 if it does not fit. */
size_t hbctl_glob_escape(const char *in, char *out, size_t size);

#endif
