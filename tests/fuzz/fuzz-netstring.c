/* fuzz-netstring.c - libFuzzer target for Postfix socketmap framing
 * (director/netstring.c): netstring_parse over a pipelined byte stream, the
 * MORE answer for every prefix of a complete netstring, and socketmap_split
 * of each payload with the buffer sizes director/socketmap.c uses.
 * Build: tests/fuzz/run-fuzzers.sh netstring (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb-user.h"
#include "netstring.h"

#define FUZZ_MAP_NAME_MAX 32	/* as MAP_NAME_MAX in director/socketmap.c */
#define FUZZ_MAX_REQUESTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_split(const char *payload, size_t len)
{
	char name[FUZZ_MAP_NAME_MAX], key[HB_USER_MAX + 1];

	if (socketmap_split(payload, len, name, sizeof(name), key, sizeof(key)) < 0)
		return;
	/* both parts non-empty, and together exactly the payload */
	if (name[0] == '\0' || key[0] == '\0' ||
	    strlen(name) + 1 + strlen(key) != len)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *payload, *reason;
	size_t off = 0, payload_len, used;

	for (int n = 0; n < FUZZ_MAX_REQUESTS && off < size; n++) {
		size_t avail = size - off;
		enum netstring_result ret = netstring_parse(buf + off, avail, SOCKETMAP_MAX_REQUEST,
							    &payload, &payload_len, &used, &reason);
		if (ret != NETSTRING_OK)
			break;
		if (used > avail || used < payload_len + 3 || payload_len > SOCKETMAP_MAX_REQUEST ||
		    payload < buf + off || payload + payload_len > buf + off + used)
			__builtin_trap();
		/* every strict prefix of a complete netstring asks for more */
		for (size_t cut = used - 1; cut + 32 >= used && cut > 0; cut--) {
			const char *p2;
			size_t l2, u2;
			if (netstring_parse(buf + off, cut, SOCKETMAP_MAX_REQUEST,
					    &p2, &l2, &u2, &reason) != NETSTRING_MORE)
				__builtin_trap();
		}
		check_split(payload, payload_len);
		off += used;
	}
	return 0;
}
