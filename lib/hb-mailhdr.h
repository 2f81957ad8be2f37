/* hb-mailhdr.h - the addresses of a message's From: header (RFC 5322 3.6.2
 * mailbox-list, with RFC 6532 UTF-8), for the milter's sender-rights check
 * (every header From address must be one the login may use).
 * Strict on purpose: whatever it cannot read with certainty is an error,
 * since an address it misread could slip past the check.  Refused: groups,
 * source routes, domain literals, empty lists, unbalanced quotes, comments or
 * brackets, bare CR or LF (folding CRLF + WSP is whitespace), NUL, invalid
 * UTF-8, encoded-words in addresses, addresses that lib/hb-addr.c refuses.
 * Also here: which headers are From: (obsolete syntax included), and the
 * lenient domain scan that judges an unreadable From: by its worst case
 * (every reader's interpretation, not only ours). */
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
 * Returns 0 with at least one address, or -1 with *ERROR_R a static reason.
 * Encoded-words (RFC 2047) are refused inside an address, where that RFC
 * forbids them and where some readers decode them anyway (Mailsploit). */
int hb_mailhdr_from(const char *value, size_t len, struct hb_mailhdr_addrs *out,
		    const char **error_r);

/* The value of a From: header, given NAME and VALUE as libmilter hands them,
 * or NULL when the header is no From:.  Names match as RFC 5322 4.5.1
 * allows: any case, WSP before the colon (obs-optional).  Postfix's smtpd
 * renames a first header line "From ..." to X-Mailbox-Line (an mbox
 * separator, smtpd.c); one that reads "From" WSP ":" was meant as a From:
 * header in obsolete syntax: its value after the colon is returned and
 * *MBOX_LINE_R set to 1 (else 0). */
const char *hb_mailhdr_from_field(const char *name, const char *value, int *mbox_line_r);

/* Most distinct domains hb_mailhdr_domains_scan() keeps. */
#define HB_MAILHDR_MAX_DOMAINS 16

/* Every domain that some reader could take for a From: address's domain,
 * for judging a From: that hb_mailhdr_from() cannot read by its worst case:
 * the text after each '@' anywhere (comments, quoted strings, groups, source
 * routes), with CFWS around dots as obs-domain allows, also inside decoded
 * encoded-words.  Only names hb_domain_normalize() accepts are kept, as
 * A-labels. */
struct hb_mailhdr_domains {
	unsigned int count;
	int overflow;		/* more than fit: judge as the worst case */
	char domain[HB_MAILHDR_MAX_DOMAINS][HB_DOMAIN_MAX + 1];
};

void hb_mailhdr_domains_init(struct hb_mailhdr_domains *d);
/* Add the domains of VALUE (LEN bytes, any bytes) to D; never fails (a
 * value whose encoded-words cannot be decoded for want of memory sets
 * D->overflow). */
void hb_mailhdr_domains_scan(const char *value, size_t len, struct hb_mailhdr_domains *d);

#endif
