/* fuzz-director-reply.c - libFuzzer target for the passdb module's reply
 * parsers and id reader (plugins/auth/director-reply.c, director-userdb.c):
 * any bytes the director could send as one line.  Run by tests/fuzz/run-fuzzers.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "director-reply.h"
#include "director-userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[DIRECTOR_PROTO_MAX_LINE * 2 + 1];
	struct director_reply reply;
	char id[DIRECTOR_PROTO_MAX_ID + 1];
	const char *error;

	/* director-lookup.c hands over at most one line, NUL-terminated */
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (director_reply_id(line, id, sizeof(id)) == 0 &&
	    (id[0] == '\0' || strlen(id) > DIRECTOR_PROTO_MAX_ID))
		__builtin_trap();
	{
		char copy[sizeof(line)];
		struct director_userdb_reply ureply;

		memcpy(copy, line, size + 1);
		if (director_userdb_parse(copy, "17", &ureply, &error) == 0 &&
		    ureply.type == DIRECTOR_USERDB_USER &&
		    (ureply.user[0] == '\0' || ureply.password[0] != '{'))
			__builtin_trap();
	}
	if (director_reply_parse(line, "17", &reply, &error) == 0 &&
	    reply.type == DIRECTOR_REPLY_OK) {
		/* an accepted OK always has all three fields */
		if (reply.backend[0] == '\0' || reply.host[0] == '\0' ||
		    reply.port[0] == '\0')
			__builtin_trap();
	}
	return 0;
}
