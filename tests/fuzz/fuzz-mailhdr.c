/* fuzz-mailhdr.c - libFuzzer target for lib/hb-mailhdr.c, the From: header
 * reader of the milter's sender-rights check (untrusted: any sender writes
 * it).  Beyond "no crash": a success has 1..HB_MAILHDR_MAX_ADDRS addresses,
 * each NUL-terminated and already normalised (normalising it again is the
 * identity), and a failure gives a reason.  The whole input is the header
 * value, NULs included (they must be refused).  The lenient domain scan
 * runs on it too: every domain it keeps is a normalised A-label, never more
 * than HB_MAILHDR_MAX_DOMAINS, and every domain of a successful strict read
 * is among them (the scan never sees less than the reader).
 * Build: tests/fuzz/run-fuzzers.sh mailhdr (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb-mailhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static int scanned(const struct hb_mailhdr_domains *d, const char *domain)
{
	for (unsigned int i = 0; i < d->count; i++) {
		if (strcmp(d->domain[i], domain) == 0)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hb_mailhdr_addrs out;
	static struct hb_mailhdr_domains doms;
	char again[HB_ADDR_MAX + 1];
	const char *error = NULL;

	hb_mailhdr_domains_init(&doms);
	hb_mailhdr_domains_scan((const char *)data, size, &doms);
	CHECK(doms.count <= HB_MAILHDR_MAX_DOMAINS);
	for (unsigned int i = 0; i < doms.count; i++) {
		CHECK(hb_domain_normalize(doms.domain[i], again, sizeof(again), &error) == 0);
		CHECK(strcmp(again, doms.domain[i]) == 0);
	}
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
		if (!doms.overflow)
			CHECK(scanned(&doms, strrchr(out.addr[i], '@') + 1));
	}
	return 0;
}
