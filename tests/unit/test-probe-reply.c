/* test-probe-reply.c - what a backend's reply line means to a health probe or
 * watch connection (director/probe-reply.c): the right answers, Dovecot's
 * answers when it is only overloaded (sick, never dead), answers of another
 * protocol or garbage (dead), BYE texts that do or do not announce a
 * shutdown, including short and unterminated-looking ones, and the quoting
 * of reply lines for logs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe-reply.h"

static void test_imap_greeting(void **state)
{
	assert_int_equal(probe_reply_imap_greeting("* OK [CAPABILITY IMAP4rev1] Dovecot ready."), PROBE_OK);
	assert_int_equal(probe_reply_imap_greeting("* OK"), PROBE_OK);
	/* overloaded Dovecot drops its oldest waiting clients this way */
	assert_int_equal(probe_reply_imap_greeting("* BYE Connection queue full"), PROBE_SICK);
	assert_int_equal(probe_reply_imap_greeting("* BYE Shutting down"), PROBE_SICK);
	/* something else listens there */
	assert_int_equal(probe_reply_imap_greeting("220 mx ESMTP"), PROBE_DEAD);
	assert_int_equal(probe_reply_imap_greeting("+OK POP3 ready"), PROBE_DEAD);
	assert_int_equal(probe_reply_imap_greeting(""), PROBE_DEAD);
	assert_int_equal(probe_reply_imap_greeting("* PREAUTH"), PROBE_DEAD);
	assert_int_equal(probe_reply_imap_greeting("*OK"), PROBE_DEAD);
}

static void test_imap_login(void **state)
{
	int refused = 7;

	assert_int_equal(probe_reply_imap_login("h1 OK Logged in", &refused), PROBE_OK);
	assert_int_equal(refused, 0);
	assert_int_equal(probe_reply_imap_login("* CAPABILITY IMAP4rev1", &refused), PROBE_REPLY_MORE);
	assert_int_equal(probe_reply_imap_login("h2 OK other tag", &refused), PROBE_REPLY_MORE);
	/* a wrong password: the operator's mistake, not the backend's */
	assert_int_equal(probe_reply_imap_login("h1 NO [AUTHENTICATIONFAILED] Authentication failed.",
						&refused), PROBE_OK);
	assert_int_equal(refused, 1);
	/* how a busy Dovecot answers: sick */
	assert_int_equal(probe_reply_imap_login("h1 NO [UNAVAILABLE] Temporary authentication failure.",
						&refused), PROBE_SICK);
	assert_int_equal(refused, 0);
	assert_int_equal(probe_reply_imap_login("* BYE Disconnected: Auth process broken", &refused),
			 PROBE_SICK);
	assert_int_equal(probe_reply_imap_login("h1 BAD Error in IMAP command", &refused), PROBE_SICK);
	assert_int_equal(probe_reply_imap_login("h1", &refused), PROBE_REPLY_MORE);
}

static void test_lmtp(void **state)
{
	assert_int_equal(probe_reply_lmtp("220 mx Dovecot (Debian) LMTP ready", "220"), PROBE_OK);
	assert_int_equal(probe_reply_lmtp("220", "220"), PROBE_OK);
	assert_int_equal(probe_reply_lmtp("220-first line", "220"), PROBE_REPLY_MORE);
	assert_int_equal(probe_reply_lmtp("250-8BITMIME", "250"), PROBE_REPLY_MORE);
	assert_int_equal(probe_reply_lmtp("250 PIPELINING", "250"), PROBE_OK);
	assert_int_equal(probe_reply_lmtp("421 4.3.2 Shutting down", "220"), PROBE_SICK);
	assert_int_equal(probe_reply_lmtp("451 4.3.0 Temporary failure", "250"), PROBE_SICK);
	assert_int_equal(probe_reply_lmtp("554 5.3.0 Not available", "220"), PROBE_DEAD);
	assert_int_equal(probe_reply_lmtp("* OK IMAP ready", "220"), PROBE_DEAD);
	assert_int_equal(probe_reply_lmtp("2200 ready", "220"), PROBE_DEAD);
	assert_int_equal(probe_reply_lmtp("", "250"), PROBE_DEAD);
	assert_int_equal(probe_reply_lmtp("250 LHLO answer where 220 is wanted", "220"), PROBE_DEAD);
}

static void test_bye_shutdown(void **state)
{
	assert_true(probe_reply_bye_is_shutdown("* BYE Shutting down"));
	assert_true(probe_reply_bye_is_shutdown("* BYE Server shutting down."));
	assert_true(probe_reply_bye_is_shutdown("* BYE SHUTTING DOWN"));
	assert_false(probe_reply_bye_is_shutdown("* BYE Connection queue full"));
	assert_false(probe_reply_bye_is_shutdown("* BYE Disconnected for inactivity."));
	assert_false(probe_reply_bye_is_shutdown("* BYE shutting"));
	assert_false(probe_reply_bye_is_shutdown("* BYE shutting "));
	assert_false(probe_reply_bye_is_shutdown("* BYE shutting dow"));
	assert_false(probe_reply_bye_is_shutdown(""));
}

static void test_quote(void **state)
{
	char out[8];

	probe_reply_quote(out, sizeof(out), "* BYE\x01\xff bye");
	assert_string_equal(out, "* BYE??");
	probe_reply_quote(out, sizeof(out), "");
	assert_string_equal(out, "");
	probe_reply_quote(out, 1, "abc");
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_greeting),
		cmocka_unit_test(test_imap_login),
		cmocka_unit_test(test_lmtp),
		cmocka_unit_test(test_bye_shutdown),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
