/* fuzz-addr.c - libFuzzer target for lib/hb-addr.c (domains, addresses) and
 * lib/hb-units.c (sizes, rates, counts): input from hbctl, admind and the
 * milter.  The input is cut at its first NUL (the APIs take C strings); its
 * first byte picks a short output size.  Checks beyond "no crash": results are
 * bounded and NUL-terminated, a short buffer is never written past nor
 * truncated into, normalising a result again is the identity, display
 * round-trips, and formatted units parse back to the same value.
 * Build: tests/fuzz/run-fuzzers.sh addr (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb-addr.h"
#include "hb-units.h"

#define CANARY 0xa5
#define IN_MAX 2200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* OUT (SIZE bytes) holds a string; the bytes up to TOTAL are untouched. */
static void check_bounded(const char *out, size_t size, size_t total)
{
	CHECK(memchr(out, '\0', size) != NULL);
	for (size_t i = size; i < total; i++)
		CHECK((unsigned char)out[i] == CANARY);
}

static void check_domain(const char *in, size_t small)
{
	char out[HB_DOMAIN_MAX + 1], again[HB_DOMAIN_MAX + 1];
	char shown[HB_DOMAIN_DISPLAY_MAX], part[HB_DOMAIN_MAX + 8];
	const char *error = NULL;

	if (hb_domain_normalize(in, out, sizeof(out), &error) < 0) {
		CHECK(error != NULL && out[0] == '\0');
		return;
	}
	size_t len = strlen(out);
	CHECK(len >= 3 && len <= HB_DOMAIN_MAX);
	CHECK(strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789-.") == len);
	CHECK(hb_domain_normalize(out, again, sizeof(again), &error) == 0);
	CHECK(strcmp(out, again) == 0);
	CHECK(hb_domain_display(out, shown, sizeof(shown), &error) == 0);
	CHECK(hb_domain_normalize(shown, again, sizeof(again), &error) == 0);
	CHECK(strcmp(out, again) == 0);

	small %= sizeof(part) - 1;
	memset(part, CANARY, sizeof(part));
	int ret = hb_domain_normalize(in, part, small, &error);
	CHECK(ret == (len < small ? 0 : -1));
	if (small > 0)
		check_bounded(part, small, sizeof(part));
	if (ret == 0)
		CHECK(strcmp(part, out) == 0);
}

static void check_addr(const char *in, size_t small)
{
	char out[HB_ADDR_MAX + 1], again[HB_ADDR_MAX + 1], part[HB_ADDR_MAX + 8];
	char local[HB_LOCAL_MAX + 1], domain[HB_DOMAIN_MAX + 1];
	const char *error = NULL;

	int split = hb_addr_split(in, local, sizeof(local), domain, sizeof(domain), &error);
	if (hb_addr_normalize(in, out, sizeof(out), &error) < 0) {
		CHECK(error != NULL && out[0] == '\0' && split < 0);
		return;
	}
	CHECK(split == 0);
	size_t len = strlen(out);
	const char *at = strrchr(out, '@');
	CHECK(len <= HB_ADDR_MAX && at != NULL && strchr(out, '@') == at);
	CHECK((size_t)(at - out) == strlen(local) && strlen(local) <= HB_LOCAL_MAX);
	CHECK(strncmp(out, local, strlen(local)) == 0 && strcmp(at + 1, domain) == 0);
	for (size_t i = 0; i < len; i++)
		CHECK(out[i] < 'A' || out[i] > 'Z');
	CHECK(hb_addr_normalize(out, again, sizeof(again), &error) == 0);
	CHECK(strcmp(out, again) == 0);

	small %= sizeof(part) - 1;
	memset(part, CANARY, sizeof(part));
	int ret = hb_addr_normalize(in, part, small, &error);
	CHECK(ret == (len < small ? 0 : -1));
	if (small > 0)
		check_bounded(part, small, sizeof(part));
}

static void check_units(const char *in)
{
	char text[HB_UNITS_FORMAT_MAX];
	const char *error = NULL;
	int64_t a, b, c, d;

	if (hb_parse_size(in, &a, &error) == 0) {
		CHECK(a >= 0 && a <= HB_UNITS_VALUE_MAX);
		CHECK(hb_format_size(a, text, sizeof(text)) == 0);
		CHECK(hb_parse_size(text, &b, &error) == 0 && a == b);
	}
	if (hb_parse_count(in, &a, &error) == 0)
		CHECK(a >= -1 && a <= HB_UNITS_VALUE_MAX);
	if (hb_parse_rate(in, &a, &b, &error) == 0) {
		CHECK(a == -1 ? b == 0 : (a >= 0 && a <= HB_UNITS_VALUE_MAX &&
					  b >= 1 && b <= HB_RATE_SECONDS_MAX));
		CHECK(hb_format_rate(a, b, text, sizeof(text)) == 0);
		CHECK(hb_parse_rate(text, &c, &d, &error) == 0 && a == c && b == d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[IN_MAX + 1];

	if (size == 0)
		return 0;
	size_t small = data[0];
	data++;
	size--;
	const uint8_t *nul = memchr(data, '\0', size);
	if (nul != NULL)
		size = (size_t)(nul - data);
	if (size > IN_MAX)
		size = IN_MAX;
	memcpy(in, data, size);
	in[size] = '\0';

	check_domain(in, small);
	check_addr(in, small);
	check_units(in);
	return 0;
}
