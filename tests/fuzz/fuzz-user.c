/* fuzz-user.c - libFuzzer target for the user name rules (lib/hb-user.c,
 * hb_user_normalize): names from Dovecot, Postfix and hbctl's command line.
 * Checks that an accepted name is bounded, lower-case and stable (normalising
 * it again gives the same routing key).  The first byte picks the delimiter.
 * Build: tests/fuzz/run-fuzzers.sh user (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb-user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const delims[] = { NULL, "", "+", "+-" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[HB_USER_MAX * 2 + 1], out[HB_USER_MAX + 1], again[HB_USER_MAX + 1];
	const char *error = NULL, *delim;

	if (size == 0)
		return 0;
	delim = delims[data[0] % 4];
	data++;
	size--;
	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';

	if (hb_user_normalize(in, delim, out, &error) < 0) {
		if (error == NULL)
			__builtin_trap();
		return 0;
	}
	size_t len = strnlen(out, sizeof(out));
	if (len == 0 || len > HB_USER_MAX || len > strlen(in))
		__builtin_trap();
	for (size_t i = 0; i < len; i++) {
		if (out[i] >= 'A' && out[i] <= 'Z')
			__builtin_trap();
	}
	if (hb_user_normalize(out, delim, again, &error) < 0 || strcmp(out, again) != 0)
		__builtin_trap();
	return 0;
}
