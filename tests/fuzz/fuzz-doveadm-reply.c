/* fuzz-doveadm-reply.c - libFuzzer target for hbctl's doveadm reply
 * interpretation (cli/doveadm.c, hbctl_doveadm_parse_reply, on top of
 * lib/hb-json.c): any JSON body a backend could answer to "kick" or "who".
 * The first byte picks the command.
 * Build: tests/fuzz/run-fuzzers.sh doveadm-reply (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "doveadm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int count = 0;
	char err[256];
	const char *command;

	if (size == 0)
		return 0;
	command = data[0] % 2 == 0 ? "who" : "kick";
	err[0] = '\0';
	if (hbctl_doveadm_parse_reply(command, (const char *)data + 1, size - 1, &count,
				      err, sizeof(err)) < 0) {
		/* a refused reply always says why */
		if (err[0] == '\0')
			__builtin_trap();
	}
	return 0;
}
