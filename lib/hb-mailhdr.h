/* hb-mailhdr.h - the addresses of a message's From: header (RFC 5322 3.6.2
 * mailbox-list, with RFC 6532 UTF-8), for the milter's sender-rights check
 * (issue 4: every header From address must be one the login may use).
 * Strict on purpose: whatever it cannot read with certainty is an error,
 * since an address it misread could slip past the check.  Refused: groups,
 * source routes, domain literals, empty lists, unbalanced quotes, comments or
 * brackets, bare CR or LF (folding CRLF + WSP is whitespace), NUL, invalid
 * UTF-8, addresses that lib/hb-addr.c refuses. */
#ifndef HB_MAILHDR_H
#define HB_MAILHDR_H

#include <stddef.h>

#include "hb-addr.h"

/* Most addresses read from one header; more is an error. */
#define HB_MAILHDR_MAX_ADDRS 32
/* Longest header value read. */
#define HB_MAILHDR_MAX_LEN 8192

struct hb_mailhdr_addrs {
	size_t count;
	char addr[HB_MAILHDR_MAX_ADDRS][HB_ADDR_MAX + 1];	/* normalised local@alabel */
};

/* Parse the header VALUE (LEN bytes, the part after "From:") into OUT.
 * Returns 0 with at least one address, or -1 with *ERROR_R a static reason. */
int hb_mailhdr_from(const char *value, size_t len, struct hb_mailhdr_addrs *out,
		    const char **error_r);

#endif
