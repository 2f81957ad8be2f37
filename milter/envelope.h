/* envelope.h - the SMTP envelope as libmilter hands it to the milter:
 * "<addr>" arguments, the ESMTP SIZE= parameter, address extensions.  Pure
 * string code (unit-tested and fuzzed): no Redis, no libmilter. */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>

/* The address inside ARG ("<user@example.com>", or bare "user@example.com"),
 * copied to OUT; "<>" gives "" (the null sender).  Refused with *ERROR_R:
 * unbalanced brackets, source routes ("<@a:u@b>"), control characters,
 * anything longer than SIZE - 1. */
int envelope_unbracket(const char *arg, char *out, size_t size, const char **error_r);

/* The text after the last '@' of ARG ("<...>" or bare; a trailing '>' is
 * dropped), copied to OUT: the domain of an envelope address that
 * hb_addr_split() refuses but Postfix accepted ("c e o"@d, <@r:u@d>), for
 * judging it by its domain alone.  The domain itself is not validated (the
 * caller normalises it).  Returns 0, or -1 with *ERROR_R when there is no
 * '@', nothing after it, or it does not fit SIZE. */
int envelope_domain_part(const char *arg, char *out, size_t size, const char **error_r);

/* Find "SIZE=N" (case-insensitive) among the ESMTP parameters ARGS (NULL
 * terminated; may be NULL).  Returns 1 with *SIZE_R, 0 if absent, -1 if
 * the value is not a decimal number up to 2^53. */
int envelope_size_param(char *const *args, long long *size_r);

/* Cut LOCAL at the first of the DELIMS characters ("user+tag" -> "user"),
 * unless that would leave it empty.  DELIMS "" changes nothing. */
void envelope_strip_extension(char *local, const char *delims);

#endif
