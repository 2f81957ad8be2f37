/* hb-addr.h - the one definition of a valid domain name (IDN, stored as its
 * lower-case A-label) and of a valid hosted mail address (docs/DOMAINS.md 1).
 * Every component validates with these; a value that does not parse is
 * refused with a reason, never "fixed".  Never writes past an output size. */
#ifndef HB_ADDR_H
#define HB_ADDR_H

#include <stddef.h>

#define HB_DOMAIN_MAX 253	/* octets of a normalised (A-label) domain */
#define HB_LOCAL_MAX 64		/* octets of a local part */
#define HB_ADDR_MAX 254		/* octets of a normalised local@domain */

/* Longest input hb_domain_normalize() looks at: a U-label form may be longer
 * than its A-label (multi-byte UTF-8, code points mapped away by UTS #46). */
#define HB_DOMAIN_INPUT_MAX 1024
/* A buffer of this size always holds hb_domain_display()'s output. */
#define HB_DOMAIN_DISPLAY_MAX (4 * HB_DOMAIN_MAX + 1)

/* Map IN (UTF-8 or ASCII; one trailing dot is removed) with IDNA2008 + UTS #46
 * non-transitional processing to its lower-case A-label form, then check the
 * rules: at most 253 octets, two or more labels of 1-63 octets of [a-z0-9-],
 * none starting or ending with '-', the last one not all digits.  OUT gets the
 * result (HB_DOMAIN_MAX + 1 bytes always suffice).  Returns 0, or -1 with
 * *ERROR_R set to a static reason (also when OUT_SIZE is too small: the
 * result is never truncated; OUT is then "" if OUT_SIZE > 0). */
int hb_domain_normalize(const char *in, char *out, size_t out_size,
			const char **error_r);

/* The U-label (UTF-8) form of ALABEL for human output; ASCII labels stay as
 * they are.  ALABEL is normally a stored A-label; any input that
 * hb_domain_normalize() accepts works (it is normalised first).  Returns 0,
 * or -1 with *ERROR_R set to a static reason. */
int hb_domain_display(const char *alabel, char *out, size_t out_size,
		      const char **error_r);

/* Validate and normalise the address IN, split at its LAST '@': the local
 * part is 1-64 octets of valid UTF-8 without controls, space, any of
 * "(),:;<>@[\] or a leading, trailing or double '.', ASCII lower-cased; the
 * domain goes through hb_domain_normalize().  OUT gets "local@alabel", at most
 * HB_ADDR_MAX octets (HB_ADDR_MAX + 1 bytes always suffice).  Returns 0, or -1
 * with *ERROR_R set to a static reason. */
int hb_addr_normalize(const char *in, char *out, size_t out_size,
		      const char **error_r);

/* Same validation as hb_addr_normalize(), giving the normalised local part
 * (HB_LOCAL_MAX + 1 bytes suffice) and the A-label domain (HB_DOMAIN_MAX + 1
 * bytes suffice) separately. */
int hb_addr_split(const char *in, char *local_out, size_t local_size,
		  char *domain_out, size_t domain_size, const char **error_r);

#endif
