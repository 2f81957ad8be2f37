/* fuzz-settings.c - libFuzzer target for the configuration file parser
 * (lib/hb-settings.c, hb_settings_parse_string): any file text.  Checks that
 * every error names the file and that accepted settings are freed cleanly.
 * Build: tests/fuzz/run-fuzzers.sh settings (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hb-settings.h"

#define FUZZ_NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX];
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* the parser reads up to the first NUL */
	err[0] = '\0';
	if (hb_settings_parse_string(FUZZ_NAME, text, &set, err, sizeof(err)) < 0) {
		if (set != NULL || strncmp(err, FUZZ_NAME ":", strlen(FUZZ_NAME) + 1) != 0)
			__builtin_trap();
	} else {
		/* every string setting is set (defaults included) */
		if (set == NULL || set->redis_host == NULL || set->key_prefix == NULL ||
		    set->recipient_delimiter == NULL || set->log == NULL)
			__builtin_trap();
		hb_settings_free(&set);
		if (set != NULL)
			__builtin_trap();
	}
	free(text);
	return 0;
}
