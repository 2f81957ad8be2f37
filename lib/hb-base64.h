/* hb-base64.h - base64 for HTTP Authorization headers (doveadm API keys). */
#ifndef HB_BASE64_H
#define HB_BASE64_H

#include <stddef.h>

/* Encode IN into OUT with a NUL; returns the length, or 0 if OUT_SIZE is too small. */
size_t hb_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

#endif
