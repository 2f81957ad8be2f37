/* test-hb-keys.c - cmocka tests of lib/hb-keys.c: every key kind of the Redis
 * schema (docs/DESIGN.md, 1) with its prefix, and 0 (no key) when the buffer
 * is too small or a kind that needs a name gets none; the domain keys of
 * docs/DOMAINS.md, 2 likewise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hb-keys.h"

static void expect_key(const char *prefix, enum hb_key_kind kind, const char *name,
		       const char *expected)
{
	char buf[HB_KEY_MAX];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(hb_key(buf, sizeof(buf), prefix, kind, name), strlen(expected));
	assert_string_equal(buf, expected);
}

static void test_every_kind(void **state)
{
	expect_key("hb:", HB_KEY_BACKENDS, NULL, "hb:backends");
	expect_key("hb:", HB_KEY_BACKEND, "mail1", "hb:backend:mail1");
	expect_key("hb:", HB_KEY_USER, "u@example.com", "hb:user:u@example.com");
	expect_key("hb:", HB_KEY_BACKEND_USERS, "mail1", "hb:users:mail1");
	expect_key("hb:", HB_KEY_MOVE, "u@example.com", "hb:move:u@example.com");
	expect_key("hb:", HB_KEY_HEALTH_LEASE, NULL, "hb:lease:health");
	expect_key("hb:", HB_KEY_DIRECTOR, "host:1234", "hb:director:host:1234");
	expect_key("hb:", HB_KEY_EPOCH, NULL, "hb:epoch");
	expect_key("hb:", HB_KEY_ROUTING, NULL, "hb:routing");
	expect_key("hb:", HB_KEY_DOMAINS, NULL, "hb:domains");
	expect_key("hb:", HB_KEY_AUDIT, "example.org", "hb:audit:example.org");
	expect_key("hb:", HB_KEY_ADMINS, NULL, "hb:admins");
	expect_key("hb:", HB_KEY_ADMIN, "alice", "hb:admin:alice");
	expect_key("hb:", HB_KEY_ADMIN_DOMAINS, "alice", "hb:admin:alice:domains");
	expect_key("hb:", HB_KEY_ADMIN_PASSWORD, "alice", "hb:adminpw:alice");
	expect_key("hb:", HB_KEY_ADMIN_GEN, NULL, "hb:admingen");
	expect_key("hb:", HB_KEY_SESSION, "ab12", "hb:session:ab12");
	expect_key("hb:", HB_KEY_PRESSURE, "mail1", "hb:pressure:mail1");
	expect_key("hb:", HB_KEY_EVENTS, NULL, "hb:events");
}

static void test_prefixes(void **state)
{
	expect_key("", HB_KEY_USER, "u", "user:u");
	expect_key("", HB_KEY_EPOCH, NULL, "epoch");
	expect_key("cluster2:", HB_KEY_BACKEND, "b", "cluster2:backend:b");
	expect_key("{hb}:", HB_KEY_MOVE, "u", "{hb}:move:u");
	expect_key("cluster2:", HB_KEY_EVENTS, NULL, "cluster2:events");
}

static void test_kinds_without_name_ignore_it(void **state)
{
	expect_key("hb:", HB_KEY_BACKENDS, "ignored", "hb:backends");
	expect_key("hb:", HB_KEY_HEALTH_LEASE, "ignored", "hb:lease:health");
	expect_key("hb:", HB_KEY_EPOCH, "", "hb:epoch");
	expect_key("hb:", HB_KEY_EVENTS, "ignored", "hb:events");
}

static void test_missing_name(void **state)
{
	static const enum hb_key_kind kinds[] = {
		HB_KEY_BACKEND, HB_KEY_USER, HB_KEY_BACKEND_USERS, HB_KEY_MOVE,
		HB_KEY_DIRECTOR,
	};
	char buf[HB_KEY_MAX];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_int_equal(hb_key(buf, sizeof(buf), "hb:", kinds[i], NULL), 0);
		assert_int_equal(hb_key(buf, sizeof(buf), "hb:", kinds[i], ""), 0);
	}
}

static void test_unknown_kind(void **state)
{
	char buf[HB_KEY_MAX];

	assert_int_equal(hb_key(buf, sizeof(buf), "hb:", (enum hb_key_kind)99, "x"), 0);
}

static void test_overflow(void **state)
{
	/* "hb:user:abc" is 11 bytes: it needs 12 with the NUL */
	char buf[32];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(hb_key(buf, 12, "hb:", HB_KEY_USER, "abc"), 11);
	assert_string_equal(buf, "hb:user:abc");
	assert_int_equal(hb_key(buf, 11, "hb:", HB_KEY_USER, "abc"), 0);
	assert_int_equal(hb_key(buf, 1, "hb:", HB_KEY_USER, "abc"), 0);
	assert_int_equal(hb_key(buf, 0, "hb:", HB_KEY_USER, "abc"), 0);
	assert_int_equal(hb_key(buf, 8, "hb:", HB_KEY_EPOCH, NULL), 0);
	assert_int_equal(hb_key(buf, 9, "hb:", HB_KEY_EPOCH, NULL), 8);
}

static void test_longest_user_fits(void **state)
{
	/* a 64-byte prefix and a 255-byte user fit in HB_KEY_MAX */
	char prefix[65], user[256], buf[HB_KEY_MAX];

	memset(prefix, 'p', 64);
	prefix[64] = '\0';
	memset(user, 'u', 255);
	user[255] = '\0';
	assert_int_equal(hb_key(buf, sizeof(buf), prefix, HB_KEY_USER, user), 64 + 5 + 255);
	assert_int_equal(hb_key(buf, sizeof(buf), prefix, HB_KEY_MOVE, user), 64 + 5 + 255);
	assert_int_equal(hb_key(buf, sizeof(buf), prefix, HB_KEY_BACKEND_USERS, user),
			 64 + 6 + 255);
}

static void expect_dkey(enum hb_domain_key_kind kind, const char *local,
			const char *expected)
{
	char buf[HB_KEY_MAX];

	assert_int_equal(hb_domain_key(buf, sizeof(buf), "hb:", kind,
				       "xn--bcher-kva.example", local),
			 strlen(expected));
	assert_string_equal(buf, expected);
}

static void test_domain_keys(void **state)
{
	char buf[HB_KEY_MAX], domain[254], local[65];

	expect_dkey(HB_DKEY_DOMAIN, NULL, "hb:d:xn--bcher-kva.example");
	expect_dkey(HB_DKEY_POLICY, NULL, "hb:d:xn--bcher-kva.example:policy");
	expect_dkey(HB_DKEY_CAPS, NULL, "hb:caps:xn--bcher-kva.example");
	expect_dkey(HB_DKEY_USERS, NULL, "hb:d:xn--bcher-kva.example:users");
	expect_dkey(HB_DKEY_MAILBOX, "anna", "hb:d:xn--bcher-kva.example:u:anna");
	expect_dkey(HB_DKEY_ALIASES, NULL, "hb:d:xn--bcher-kva.example:aliases");
	expect_dkey(HB_DKEY_ALIAS, "info", "hb:d:xn--bcher-kva.example:a:info");
	expect_dkey(HB_DKEY_SENDERS, "anna", "hb:d:xn--bcher-kva.example:send:anna");
	expect_dkey(HB_DKEY_PASSWORD, "anna", "hb:pw:xn--bcher-kva.example:anna");
	expect_dkey(HB_DKEY_REFS, NULL, "hb:d:xn--bcher-kva.example:refs");
	expect_dkey(HB_DKEY_ADMINS, NULL, "hb:grant:xn--bcher-kva.example");
	/* a domain-wide kind ignores LOCAL; a per-address kind needs it */
	expect_dkey(HB_DKEY_CAPS, "x", "hb:caps:xn--bcher-kva.example");
	assert_int_equal(hb_domain_key(buf, sizeof(buf), "hb:", HB_DKEY_MAILBOX,
				       "example.com", NULL), 0);
	assert_int_equal(hb_domain_key(buf, sizeof(buf), "hb:", HB_DKEY_MAILBOX,
				       "example.com", ""), 0);
	assert_int_equal(hb_domain_key(buf, sizeof(buf), "hb:", HB_DKEY_DOMAIN,
				       "", NULL), 0);
	assert_int_equal(hb_domain_key(buf, sizeof(buf), "hb:", (enum hb_domain_key_kind)99,
				       "example.com", "a"), 0);
	assert_int_equal(hb_domain_key(buf, 10, "hb:", HB_DKEY_DOMAIN,
				       "example.com", NULL), 0);
	/* the longest domain and local part with a 64-byte prefix fit */
	memset(domain, 'd', 253);
	domain[253] = '\0';
	memset(local, 'l', 64);
	local[64] = '\0';
	memset(buf, 'p', 64);
	buf[64] = '\0';
	{
		char prefix[65];

		memcpy(prefix, buf, sizeof(prefix));
		assert_int_equal(hb_domain_key(buf, sizeof(buf), prefix, HB_DKEY_SENDERS,
					       domain, local), 64 + 2 + 253 + 6 + 64);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_kinds_without_name_ignore_it),
		cmocka_unit_test(test_missing_name),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_longest_user_fits),
		cmocka_unit_test(test_domain_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
