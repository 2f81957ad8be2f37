/* fuzz-http-response.c - libFuzzer target for hbctl's HTTP/1.x response
 * parser (cli/http-response.c, hbctl_http_parse_response): any bytes a
 * backend's doveadm HTTP port could send (status line, headers, bodies by
 * Content-Length, chunked coding or connection close).
 * Build: tests/fuzz/run-fuzzers.sh http-response (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doveadm-http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int status = 0;
	char *body = NULL, err[256];
	size_t body_len = 0;

	if (hbctl_http_parse_response((const char *)data, size, &status, &body, &body_len,
				      err, sizeof(err)) < 0) {
		if (body != NULL)
			__builtin_trap();
		return 0;
	}
	/* the body comes out of the input, NUL-terminated, never larger */
	if (body == NULL || status > 999 || body_len > size || body[body_len] != '\0')
		__builtin_trap();
	free(body);
	return 0;
}
