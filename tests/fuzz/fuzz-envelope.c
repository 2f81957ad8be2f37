/* fuzz-envelope.c - libFuzzer target for milter/envelope.c: the envelope
 * arguments any SMTP client controls.  Beyond "no crash": an accepted
 * address fits its buffer, has no control characters or brackets, the
 * domain part of any address (envelope_domain_part) fits its buffer, holds
 * no '@' and is not empty, and a SIZE= value that parses is at most 2^53.  Input: the first line is the
 * address argument, the rest ESMTP parameters split at spaces.
 * Build: tests/fuzz/run-fuzzers.sh envelope. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_PARAMS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *params, *args[MAX_PARAMS + 1], out[256];
	const char *error = NULL;
	long long value = -1;
	size_t n = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	params = strchr(text, '\n');
	if (params != NULL)
		*params++ = '\0';
	if (envelope_unbracket(text, out, sizeof(out), &error) == 0) {
		CHECK(strlen(out) < sizeof(out));
		for (const char *p = out; *p != '\0'; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f && *p != '<' && *p != '>');
		envelope_strip_extension(out, "+-");
	} else {
		CHECK(error != NULL);
	}
	error = NULL;
	if (envelope_domain_part(text, out, sizeof(out), &error) == 0) {
		CHECK(out[0] != '\0' && strlen(out) < sizeof(out) && strchr(out, '@') == NULL);
	} else {
		CHECK(error != NULL);
	}
	for (char *tok = params != NULL ? strtok(params, " ") : NULL; tok != NULL && n < MAX_PARAMS;
	     tok = strtok(NULL, " "))
		args[n++] = tok;
	args[n] = NULL;
	if (envelope_size_param(args, &value) == 1)
		CHECK(value >= 0 && value <= (1LL << 53));
	free(text);
	return 0;
}
