/* fuzz-mailhdr.c - libFuzzer target for lib/hb-mailhdr.c, the From: header
 * reader of the milter's sender-rights check (untrusted: any sender writes
 * it).  Beyond "no crash": a success has 1..HB_MAILHDR_MAX_ADDRS addresses,
 * each NUL-terminated and already normalised (normalising it again is the
 * identity), and a failure gives a reason.  The whole input is the header
 * value, NULs included (they must be refused).
 * Build: tests/fuzz/run-fuzzers.sh mailhdr (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb-mailhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hb_mailhdr_addrs out;
	char again[HB_ADDR_MAX + 1];
	const char *error = NULL;

	if (hb_mailhdr_from((const char *)data, size, &out, &error) < 0) {
		CHECK(error != NULL);
		return 0;
	}
	CHECK(out.count >= 1 && out.count <= HB_MAILHDR_MAX_ADDRS);
	CHECK(memchr(data, '\0', size) == NULL);
	for (size_t i = 0; i < out.count; i++) {
		CHECK(memchr(out.addr[i], '\0', sizeof(out.addr[i])) != NULL);
		CHECK(hb_addr_normalize(out.addr[i], again, sizeof(again), &error) == 0);
		CHECK(strcmp(again, out.addr[i]) == 0);
	}
	return 0;
}
