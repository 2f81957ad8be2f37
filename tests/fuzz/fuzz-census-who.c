/* fuzz-census-who.c - libFuzzer target for the director's session census
 * parser (director/census-who.c, census_who_parse): any body a backend's
 * doveadm HTTP API could answer to "who".  Checks that a refused body says
 * why and that accepted user lists are sorted, unique and bounded.
 * Build: tests/fuzz/run-fuzzers.sh census-who (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "census-who.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct census_who who;
	char err[256];

	err[0] = '\0';
	memset(&who, 0, sizeof(who));
	if (census_who_parse((const char *)data, size, "+", &who, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || who.count != 0)
			__builtin_trap();
		census_who_free(&who);
		return 0;
	}
	if (who.count > CENSUS_WHO_MAX_USERS)
		__builtin_trap();
	for (size_t i = 1; i < who.count; i++) {
		if (strcmp(who.users[i - 1], who.users[i]) >= 0)
			__builtin_trap();
	}
	census_who_free(&who);
	return 0;
}
