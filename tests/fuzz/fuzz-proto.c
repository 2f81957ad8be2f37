/* fuzz-proto.c - libFuzzer target for the director lookup protocol parser
 * (director/proto.c, proto_parse_request): any bytes a local process could
 * send as one request line.  The first byte picks the recipient delimiter.
 * Build: tests/fuzz/run-fuzzers.sh proto (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const delims[] = { NULL, "", "+", "+-" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* conn.c hands over lines up to the limit; test some beyond it too */
	char line[HB_PROTO_MAX_LINE * 2 + 1];
	struct proto_request req;
	const char *reason = NULL, *delim;

	if (size == 0)
		return 0;
	delim = delims[data[0] % 4];
	data++;
	size--;
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';

	enum proto_parse_result ret = proto_parse_request(line, delim, &req, &reason);
	/* the id is always printable into a reply: NUL-terminated, bounded */
	if (strnlen(req.id, sizeof(req.id)) > HB_PROTO_ID_MAX || req.id[0] == '\0')
		__builtin_trap();
	if (ret != PROTO_PARSE_OK) {
		if (reason == NULL || strchr(reason, '\n') != NULL)
			__builtin_trap();
		return 0;
	}
	if (req.command == PROTO_LOOKUP) {
		size_t len = strnlen(req.user, sizeof(req.user));
		/* an accepted user is non-empty, bounded, free of protocol separators */
		if (len == 0 || len > HB_USER_MAX || strpbrk(req.user, "\t\r\n ") != NULL ||
		    (unsigned int)req.service >= HB_SERVICE_COUNT)
			__builtin_trap();
	}
	return 0;
}
