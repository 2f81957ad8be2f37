/* test-hb-mailhdr.c - cmocka tests of lib/hb-mailhdr.c: the From: header
 * forms mail clients send (names, quotes, comments, folding, several
 * mailboxes, UTF-8), each normalised; and every form it must refuse rather
 * than guess (groups, routes, literals, broken quoting, bare line breaks,
 * encoded-words in addresses); which header names are From: (obsolete
 * syntax, Postfix's X-Mailbox-Line); and the lenient domain scan that
 * judges an unreadable From: by every domain a reader could see in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hb-mailhdr.h"

static struct hb_mailhdr_addrs A;

static const char *parse(const char *value)
{
	static char joined[HB_MAILHDR_MAX_ADDRS * (HB_ADDR_MAX + 1)];
	const char *error = NULL;

	if (hb_mailhdr_from(value, strlen(value), &A, &error) < 0) {
		assert_non_null(error);
		return NULL;
	}
	joined[0] = '\0';
	for (size_t i = 0; i < A.count; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i > 0 ? " " : "", A.addr[i]);
	return joined;
}

static void test_common_forms(void **state)
{
	assert_string_equal(parse("ann@example.org"), "ann@example.org");
	assert_string_equal(parse(" Ann <Ann@Example.ORG>"), "ann@example.org");
	assert_string_equal(parse("\"Doe, John\" <john.doe@example.org>"), "john.doe@example.org");
	assert_string_equal(parse("John Q. Public <jqp@example.org>"), "jqp@example.org");
	assert_string_equal(parse("<bare@example.org>"), "bare@example.org");
	assert_string_equal(parse("ann@example.org (Ann (the boss))"), "ann@example.org");
	assert_string_equal(parse("(c) Ann <ann@example.org> (trailing)"), "ann@example.org");
	assert_string_equal(parse("Ann\r\n <ann@example.org>"), "ann@example.org");
	assert_string_equal(parse("a@example.org, B <b@example.org>,c@example.org"),
			    "a@example.org b@example.org c@example.org");
	assert_string_equal(parse("Jörg <jörg@bücher.example>"), "jörg@xn--bcher-kva.example");
	assert_string_equal(parse("\"quoted\"@example.org"), "quoted@example.org");
	assert_string_equal(parse("\"Ann \\\"A\\\"\" <ann@example.org>"), "ann@example.org");
}

static void test_refused_forms(void **state)
{
	const char *bad[] = {
		"", "   ", "(only a comment)", "Ann", "Ann <>", "<ann@example.org",
		"ann@example.org>", "Ann <ann@example.org> <b@example.org>",
		"undisclosed-recipients:;", "Team: a@example.org, b@example.org;",
		"<@route.example:ann@example.org>", "ann@[192.0.2.1]",
		"\"unclosed <ann@example.org>", "Ann (unclosed <ann@example.org>",
		"ann@example.org\r\nBcc: x@example.org", "ann@example.org\n", "Ann\r<a@example.org>",
		"a@example.org,, b@example.org", "a@example.org,", ", a@example.org",
		"ann@@example.org", "ann@", "@example.org", "ann@exa mple.org",
		"a b@example.org", "\"a b\"@example.org", "ann@-bad.example",
		"ann@example.org b@example.org", "Ann <ann@example.org>, Bob",
		"\xc3\x28 <a@example.org>", "a\x01@example.org",
		/* RFC 2047 5: never inside an address (Mailsploit) */
		"=?utf-8?b?Y2VvQGhvc3RlZC5leGFtcGxl?=@evil.example",
		"=?utf-8?b?YQ==?==?utf-8?Q?=00?=@evil.example",
		"\"=?utf-8?q?a?=\"@example.org", "<ceo@=?utf-8?q?example.org?=>",
		"Board: ceo@hosted.example;", "<@a.example:ceo@hosted.example>",
		"\"Boss <ceo@hosted.example>\"", "(ceo@hosted.example)",
		"ceo@hosted.example <x@evil.example>", "ceo@hosted . example",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *got = parse(bad[i]);

		if (got != NULL)
			fail_msg("accepted %s as %s", bad[i], got);
	}
}

static void test_limits(void **state)
{
	char many[(HB_MAILHDR_MAX_ADDRS + 1) * 20];
	const char *error;

	many[0] = '\0';
	for (int i = 0; i < HB_MAILHDR_MAX_ADDRS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sa%d@x.example", i ? "," : "", i);
	assert_non_null(parse(many));
	assert_int_equal(A.count, HB_MAILHDR_MAX_ADDRS);
	strcat(many, ",z@x.example");
	assert_null(parse(many));
	/* NUL inside the value is refused, not cut */
	assert_int_equal(hb_mailhdr_from("a@x.example\0b", 13, &A, &error), -1);
	static char huge[HB_MAILHDR_MAX_LEN + 2];
	memset(huge, ' ', sizeof(huge) - 1);
	memcpy(huge, "a@x.example", 11);
	assert_int_equal(hb_mailhdr_from(huge, sizeof(huge) - 1, &A, &error), -1);
}

static void test_from_field(void **state)
{
	int mbox;

	assert_string_equal(hb_mailhdr_from_field("From", "v", &mbox), "v");
	assert_int_equal(mbox, 0);
	/* obs-optional: WSP before the colon; any case */
	assert_non_null(hb_mailhdr_from_field("FROM", "v", &mbox));
	assert_non_null(hb_mailhdr_from_field("fRoM", "v", &mbox));
	assert_non_null(hb_mailhdr_from_field("From ", "v", &mbox));
	assert_non_null(hb_mailhdr_from_field("From \t ", "v", &mbox));
	assert_null(hb_mailhdr_from_field("Fromm", "v", &mbox));
	assert_null(hb_mailhdr_from_field("From x", "v", &mbox));
	assert_null(hb_mailhdr_from_field("Resent-From", "v", &mbox));
	assert_null(hb_mailhdr_from_field("Sender", "v", &mbox));
	assert_null(hb_mailhdr_from_field(" From", "v", &mbox));
	assert_null(hb_mailhdr_from_field("Fro", "v", &mbox));
	assert_null(hb_mailhdr_from_field("", "v", &mbox));
	/* Postfix's smtpd: a first line "From ..." becomes X-Mailbox-Line */
	assert_string_equal(hb_mailhdr_from_field("X-Mailbox-Line", "From : <b@x.example>", &mbox),
			    " <b@x.example>");
	assert_int_equal(mbox, 1);
	assert_non_null(hb_mailhdr_from_field("x-mailbox-line", "From\t \t:<b@x.example>", &mbox));
	/* an mbox separator, not a header */
	assert_null(hb_mailhdr_from_field("X-Mailbox-Line", "From b@x.example Mon Dec 7", &mbox));
	assert_null(hb_mailhdr_from_field("X-Mailbox-Line", ">From : <b@x.example>", &mbox));
	assert_null(hb_mailhdr_from_field("X-Mailbox-Line", "From:", &mbox));
	assert_null(hb_mailhdr_from_field("X-Mailbox-Line", "From", &mbox));
}

static struct hb_mailhdr_domains D;

/* The domains scanned from VALUE, space-separated, "+" at the end when the
 * scan overflowed. */
static const char *domains(const char *value, size_t len)
{
	static char joined[HB_MAILHDR_MAX_DOMAINS * (HB_DOMAIN_MAX + 1) + 2];

	hb_mailhdr_domains_init(&D);
	hb_mailhdr_domains_scan(value, len, &D);
	joined[0] = '\0';
	for (unsigned int i = 0; i < D.count; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i > 0 ? " " : "", D.domain[i]);
	if (D.overflow)
		strcat(joined, "+");
	return joined;
}

#define DOMAINS(v) domains(v, strlen(v))

static void test_domain_scan(void **state)
{
	/* what the strict reader refuses, every domain in it */
	assert_string_equal(DOMAINS("Board: ceo@H.example;"), "h.example");
	assert_string_equal(DOMAINS("<x@a.example>, ceo@h.example <y@>"), "a.example h.example");
	assert_string_equal(DOMAINS("<@relay.example:ceo@h.example>"), "relay.example h.example");
	assert_string_equal(DOMAINS("\"Boss <ceo@h.example>\""), "h.example");
	assert_string_equal(DOMAINS("(ceo@h.example"), "h.example");
	assert_string_equal(DOMAINS("ceo@h.example."), "h.example");
	/* obs-domain: CFWS around the dots; prefixes are kept as well */
	assert_string_equal(DOMAINS("ceo@ h (c) . example"), "h.example");
	assert_string_equal(DOMAINS("ceo@h.\r\n example"), "h.example");
	assert_string_equal(DOMAINS("ceo@h.example. Name"), "h.example h.example.name");
	/* IDN and UTS #46 forms: U-label, upper case, ideographic full stop */
	assert_string_equal(DOMAINS("ceo@B\xc3\x9c" "CHER.example"), "xn--bcher-kva.example");
	assert_string_equal(DOMAINS("ceo@h\xe3\x80\x82" "example"), "h.example");
	/* encoded-words, decoded as a reader shows them (B, Q, joined) */
	assert_string_equal(DOMAINS("=?utf-8?b?Y2VvQGguZXhhbXBsZQ==?= <x@>"), "h.example");
	assert_string_equal(DOMAINS("=?UTF-8?Q?ceo=40h=2Eexample?="), "h.example");
	assert_string_equal(DOMAINS("=?utf-8?q?ceo?= =?utf-8?q?=40h.example?="), "h.example");
	assert_string_equal(DOMAINS("=?utf-8?b?Y2VvQGguZXhhbXBsZQ==?==?utf-8?Q?=00?=@e.example"),
			    "e.example h.example");
	/* nothing a reader takes for a domain */
	assert_string_equal(DOMAINS(""), "");
	assert_string_equal(DOMAINS("undisclosed-recipients:;"), "");
	assert_string_equal(DOMAINS("ceo@localhost @ @@ @-x.example"), "");
	assert_string_equal(DOMAINS("=?utf-8?x?bad?= =?broken"), "");
	/* NUL and 8-bit bytes do not stop the scan */
	assert_string_equal(domains("\xe9\0ceo@h.example", 15), "h.example");
}

static void test_domain_scan_limits(void **state)
{
	char many[(HB_MAILHDR_MAX_DOMAINS + 1) * 20];

	many[0] = '\0';
	for (int i = 0; i < HB_MAILHDR_MAX_DOMAINS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "x@d%d.example ", i);
	(void)DOMAINS(many);
	assert_int_equal(D.count, HB_MAILHDR_MAX_DOMAINS);
	assert_false(D.overflow);
	strcat(many, "x@last.example");
	(void)DOMAINS(many);
	assert_true(D.overflow);
	/* duplicates count once */
	assert_string_equal(DOMAINS("a@h.example b@H.EXAMPLE c@h.example."), "h.example");
	/* a domain longer than any input is no candidate, and reads no further */
	static char huge[HB_DOMAIN_INPUT_MAX * 3];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[0] = '@';
	assert_string_equal(DOMAINS(huge), "");
	/* a long encoded-word is decoded all the same */
	static char ew[9000];
	strcpy(ew, "=?utf-8?q?");
	memset(ew + strlen(ew), 'b', 8000);
	strcpy(ew + 10 + 8000, "=40h.example?=");
	assert_string_equal(DOMAINS(ew), "h.example");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_forms),
		cmocka_unit_test(test_refused_forms),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_from_field),
		cmocka_unit_test(test_domain_scan),
		cmocka_unit_test(test_domain_scan_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
