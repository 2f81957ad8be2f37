/* hb-addr.c - domain names (IDNA2008 + UTS #46 through libidn2, stored as
 * lower-case A-labels) and hosted mail addresses, per docs/DOMAINS.md 1.
 * Input is untrusted: lengths are bounded before anything else, the result is
 * checked against our own rules after libidn2, and outputs are never
 * truncated (a short buffer is an error). */
#include "hb-addr.h"
#include "hb-utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#define HB_IDN2_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)
#define HB_LABEL_MAX 63
/* Longest address input looked at: a local part and a U-label domain. */
#define HB_ADDR_INPUT_MAX (HB_LOCAL_MAX + 1 + HB_DOMAIN_INPUT_MAX)

static int utf8_valid(const char *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n) {
		n = hb_utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n == 0)
			return 0;
	}
	return 1;
}

/* Copy S (LEN octets) with its NUL into OUT, or fail without truncating. */
static int copy_out(const char *s, size_t len, char *out, size_t out_size,
		    const char **error_r)
{
	if (len >= out_size) {
		if (out_size > 0)
			out[0] = '\0';
		*error_r = "output buffer too small";
		return -1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Our reason for a libidn2 failure (static strings, never localised). */
static const char *idn2_reason(int rc)
{
	switch (rc) {
	case IDN2_ENCODING_ERROR: return "domain name is not valid UTF-8";
	case IDN2_TOO_BIG_DOMAIN: return "domain name longer than 253 octets";
	case IDN2_TOO_BIG_LABEL: return "domain name has a label longer than 63 octets";
	case IDN2_PUNYCODE_BIG_OUTPUT:	/* the A-label would be too long */
		return "domain name has a label longer than 63 octets";
	case IDN2_PUNYCODE_BAD_INPUT:
	case IDN2_PUNYCODE_OVERFLOW:
	case IDN2_INVALID_ALABEL:
	case IDN2_ALABEL_ROUNDTRIP_FAILED:
		return "domain name has an invalid punycode (xn--) label";
	case IDN2_HYPHEN_STARTEND: return "domain name label starts or ends with '-'";
	case IDN2_2HYPHEN: return "domain name label has '--' in positions 3 and 4";
	case IDN2_DISALLOWED: return "domain name contains a code point IDNA2008 disallows";
	case IDN2_BIDI: return "domain name breaks the IDNA bidi rule";
	default: return "domain name is not a valid IDNA2008 name";
	}
}

/* Check one label of an A-label domain. */
static int check_label(const char *label, size_t len, const char **error_r)
{
	if (len == 0) {
		*error_r = "domain name has an empty label";
		return -1;
	}
	if (len > HB_LABEL_MAX) {
		*error_r = "domain name has a label longer than 63 octets";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
			*error_r = "domain name contains a character other than a-z, 0-9, '-' and '.'";
			return -1;
		}
	}
	if (label[0] == '-' || label[len - 1] == '-') {
		*error_r = "domain name label starts or ends with '-'";
		return -1;
	}
	return 0;
}

/* The rules of DOMAINS.md 1, checked on the mapped (A-label) form D. */
static int check_domain(const char *d, size_t len, const char **error_r)
{
	size_t labels = 0, start = 0, digits = 1;

	if (len > HB_DOMAIN_MAX) {
		*error_r = "domain name longer than 253 octets";
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && d[i] != '.')
			continue;
		if (check_label(d + start, i - start, error_r) < 0)
			return -1;
		digits = strspn(d + start, "0123456789") == i - start;
		labels++;
		start = i + 1;
	}
	if (labels < 2) {
		*error_r = "domain name needs at least two labels";
		return -1;
	}
	if (digits) {
		*error_r = "domain name's last label is all digits";
		return -1;
	}
	return 0;
}

/* libidn2 passes some xn-- labels through that do not decode back to
   themselves (e.g. upper-case basic code points in the input); only a label
   that survives decode + encode unchanged is a real A-label, else the
   stored form and the displayed form could name different domains. */
static int alabels_round_trip(const char *mapped)
{
	char *ulabel = NULL, *again = NULL;
	int same;

	if (strstr(mapped, "xn--") == NULL)
		return 1;
	if (idn2_to_unicode_8z8z(mapped, &ulabel, 0) != IDN2_OK)
		return 0;
	same = idn2_lookup_u8((const uint8_t *)ulabel, (uint8_t **)&again,
			      HB_IDN2_FLAGS) == IDN2_OK && strcmp(again, mapped) == 0;
	idn2_free(ulabel);
	idn2_free(again);
	return same;
}

int hb_domain_normalize(const char *in, char *out, size_t out_size,
			const char **error_r)
{
	char buf[HB_DOMAIN_INPUT_MAX + 1];
	char *mapped = NULL;
	size_t len = strnlen(in, sizeof(buf));
	int stripped = 0, ret, rc;

	if (out_size > 0)
		out[0] = '\0';
	if (len >= sizeof(buf)) {
		*error_r = "domain name longer than 253 octets";
		return -1;
	}
	memcpy(buf, in, len + 1);
	if (len > 0 && buf[len - 1] == '.') {
		buf[--len] = '\0';
		stripped = 1;
	}
	if (len == 0) {
		*error_r = "empty domain name";
		return -1;
	}
	if (!utf8_valid(buf, len)) {
		*error_r = "domain name is not valid UTF-8";
		return -1;
	}
	rc = idn2_lookup_u8((const uint8_t *)buf, (uint8_t **)&mapped, HB_IDN2_FLAGS);
	if (rc != IDN2_OK) {
		*error_r = idn2_reason(rc);
		return -1;
	}
	len = strlen(mapped);
	/* a trailing IDNA full stop (e.g. U+3002) maps to '.' only now */
	if (!stripped && len > 0 && mapped[len - 1] == '.')
		mapped[--len] = '\0';
	ret = check_domain(mapped, len, error_r);
	if (ret == 0 && !alabels_round_trip(mapped)) {
		*error_r = "domain name has an invalid punycode (xn--) label";
		ret = -1;
	}
	if (ret == 0)
		ret = copy_out(mapped, len, out, out_size, error_r);
	idn2_free(mapped);
	return ret;
}

int hb_domain_display(const char *alabel, char *out, size_t out_size,
		      const char **error_r)
{
	char domain[HB_DOMAIN_MAX + 1];
	char *ulabel = NULL;
	int ret;

	if (out_size > 0)
		out[0] = '\0';
	if (hb_domain_normalize(alabel, domain, sizeof(domain), error_r) < 0)
		return -1;
	if (idn2_to_unicode_8z8z(domain, &ulabel, 0) != IDN2_OK) {
		*error_r = "domain name has an invalid punycode (xn--) label";
		return -1;
	}
	ret = copy_out(ulabel, strlen(ulabel), out, out_size, error_r);
	idn2_free(ulabel);
	return ret;
}

/* Check one octet of the local part at P[I] (LEN octets in all). */
static int check_local_ascii(const char *p, size_t i, size_t len, const char **error_r)
{
	unsigned char c = (unsigned char)p[i];

	if (c < 0x21 || c == 0x7f) {
		*error_r = "local part contains a control character or space";
		return -1;
	}
	if (strchr("\"(),:;<>@[\\]", c) != NULL) {
		*error_r = "local part contains one of \"(),:;<>@[\\]";
		return -1;
	}
	if (c == '.' && (i == 0 || i == len - 1)) {
		*error_r = "local part starts or ends with '.'";
		return -1;
	}
	if (c == '.' && p[i + 1] == '.') {
		*error_r = "local part contains '..'";
		return -1;
	}
	return 0;
}

/* Validate the local part P (LEN octets) into OUT (HB_LOCAL_MAX + 1 bytes),
 * ASCII letters lower-cased. */
static int check_local(const char *p, size_t len, char *out, const char **error_r)
{
	uint32_t cp;
	size_t n;

	if (len == 0) {
		*error_r = "empty local part";
		return -1;
	}
	if (len > HB_LOCAL_MAX) {
		*error_r = "local part longer than 64 octets";
		return -1;
	}
	for (size_t i = 0; i < len; i += n) {
		n = hb_utf8_decode((const unsigned char *)p + i, len - i, &cp);
		if (n == 0) {
			*error_r = "local part is not valid UTF-8";
			return -1;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			*error_r = "local part contains a control character or space";
			return -1;
		}
		if (n == 1 && check_local_ascii(p, i, len, error_r) < 0)
			return -1;
		memcpy(out + i, p + i, n);
		if (n == 1 && cp >= 'A' && cp <= 'Z')
			out[i] = (char)(cp + ('a' - 'A'));
	}
	out[len] = '\0';
	return 0;
}

/* Shared by hb_addr_normalize() and hb_addr_split(). */
static int addr_parse(const char *in, char local[HB_LOCAL_MAX + 1],
		      char domain[HB_DOMAIN_MAX + 1], const char **error_r)
{
	size_t len = strnlen(in, HB_ADDR_INPUT_MAX + 1);
	const char *at;

	if (len == 0) {
		*error_r = "empty address";
		return -1;
	}
	if (len > HB_ADDR_INPUT_MAX) {
		*error_r = "address longer than 254 octets";
		return -1;
	}
	at = strrchr(in, '@');
	if (at == NULL) {
		*error_r = "address has no '@'";
		return -1;
	}
	if (check_local(in, (size_t)(at - in), local, error_r) < 0 ||
	    hb_domain_normalize(at + 1, domain, HB_DOMAIN_MAX + 1, error_r) < 0)
		return -1;
	if (strlen(local) + 1 + strlen(domain) > HB_ADDR_MAX) {
		*error_r = "address longer than 254 octets";
		return -1;
	}
	return 0;
}

int hb_addr_normalize(const char *in, char *out, size_t out_size,
		      const char **error_r)
{
	char local[HB_LOCAL_MAX + 1], domain[HB_DOMAIN_MAX + 1];
	char addr[HB_ADDR_MAX + 1];
	size_t llen, dlen;

	if (out_size > 0)
		out[0] = '\0';
	if (addr_parse(in, local, domain, error_r) < 0)
		return -1;
	llen = strlen(local);
	dlen = strlen(domain);
	memcpy(addr, local, llen);
	addr[llen] = '@';
	memcpy(addr + llen + 1, domain, dlen + 1);
	return copy_out(addr, llen + 1 + dlen, out, out_size, error_r);
}

int hb_addr_split(const char *in, char *local_out, size_t local_size,
		  char *domain_out, size_t domain_size, const char **error_r)
{
	char local[HB_LOCAL_MAX + 1], domain[HB_DOMAIN_MAX + 1];

	if (local_size > 0)
		local_out[0] = '\0';
	if (domain_size > 0)
		domain_out[0] = '\0';
	if (addr_parse(in, local, domain, error_r) < 0)
		return -1;
	if (copy_out(local, strlen(local), local_out, local_size, error_r) < 0)
		return -1;
	if (copy_out(domain, strlen(domain), domain_out, domain_size, error_r) < 0) {
		if (local_size > 0)
			local_out[0] = '\0';
		return -1;
	}
	return 0;
}
