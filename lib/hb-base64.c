/* hb-base64.c - RFC 4648 base64 encoding, bounded by the caller's buffer.
 * Used for the doveadm HTTP API's "X-Dovecot-API" credentials. */
#include "hb-base64.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t hb_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	size_t o = 0;

	if (out_size < (len + 2) / 3 * 4 + 1)
		return 0;
	while (len >= 3) {
		out[o++] = b64_alphabet[in[0] >> 2];
		out[o++] = b64_alphabet[((in[0] & 3) << 4) | (in[1] >> 4)];
		out[o++] = b64_alphabet[((in[1] & 15) << 2) | (in[2] >> 6)];
		out[o++] = b64_alphabet[in[2] & 63];
		in += 3;
		len -= 3;
	}
	if (len > 0) {
		out[o++] = b64_alphabet[in[0] >> 2];
		out[o++] = b64_alphabet[((in[0] & 3) << 4) | (len == 2 ? in[1] >> 4 : 0)];
		out[o++] = len == 2 ? b64_alphabet[(in[1] & 15) << 2] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}
