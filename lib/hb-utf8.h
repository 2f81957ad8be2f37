/* hb-utf8.h - the one UTF-8 decoder of the project, used by every name
 * validator (user names, addresses): strict RFC 3629, no overlongs,
 * surrogates or code points beyond U+10FFFF. */
#ifndef HB_UTF8_H
#define HB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the UTF-8 sequence at P (at most AVAIL bytes, AVAIL > 0) and its
 * code point in *CP_R; 0 if invalid (bad lead or continuation byte, truncated,
 * overlong, surrogate, beyond U+10FFFF). */
size_t hb_utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp_r);

#endif
