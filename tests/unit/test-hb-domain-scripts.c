/* test-hb-domain-scripts.c - cmocka tests of lib/hb-scripts-domains.c on a
 * real redis-server of its own (tests/unit/redis-fixture.c): who may change
 * what (operator, granted admin, other admin), the operator's caps, all-or-
 * nothing policy changes, and an audit entry exactly for every change, in
 * the same step, with who/from/old/new and never a password hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb-audit.h"
#include "hb-scripts-domains.h"
#include "hb-scripts-sender.h"
#include "hb-redis.h"
#include "redis-fixture.h"
#include "cap-cases.h"

#define DOM "example.org"
#define OTHER "other.example"
#define OP "operator:root"
#define ALICE "admin:alice"	/* granted DOM */
#define BOB "admin:bob"		/* granted OTHER only */
#define HASH "{SHA512-CRYPT}$6$secret-hash"
#define MAX_ARGS 16

struct dom_test {
	struct redis_fixture fx;
	redisContext *ctx;
	char reply[512];
};

static struct dom_test *T;

static const char *raw(int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(T->ctx, argc, argv, NULL);

	assert_non_null(r);
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
	    r->type == REDIS_REPLY_ERROR)
		snprintf(T->reply, sizeof(T->reply), "%s", r->str);
	else if (r->type == REDIS_REPLY_INTEGER)
		snprintf(T->reply, sizeof(T->reply), "%lld", r->integer);
	else
		snprintf(T->reply, sizeof(T->reply), "(type %d)", r->type);
	freeReplyObject(r);
	return T->reply;
}

/* Run SCRIPT for DOMAIN as WHO with the extra ARGV (NULL-terminated);
 * returns "OK" or the error reply. */
static const char *change(const char *script, const char *domain, const char *who, ...)
{
	const char *argv[MAX_ARGS] = { "EVAL", script, "0", "hb:", domain, who,
				       "192.0.2.7", "1700000000" };
	int argc = 8;
	va_list args;
	const char *arg;

	va_start(args, who);
	while ((arg = va_arg(args, const char *)) != NULL && argc < MAX_ARGS)
		argv[argc++] = arg;
	va_end(args);
	return raw(argc, argv);
}

static long long audit_len(const char *domain)
{
	char key[128];

	snprintf(key, sizeof(key), "hb:audit:%s", domain);
	const char *argv[] = { "LLEN", key };
	return atoll(raw(2, argv));
}

static const char *hget(const char *key, const char *field)
{
	const char *argv[] = { "HGET", key, field };
	redisReply *r = redisCommandArgv(T->ctx, 3, argv, NULL);

	assert_non_null(r);
	snprintf(T->reply, sizeof(T->reply), "%s", r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
	freeReplyObject(r);
	return T->reply;
}

/* FIELD of the newest audit entry of DOMAIN */
static const char *last_audit(const char *domain, const char *field)
{
	char key[128];
	const char *argv[] = { "LRANGE", key, "-1", "-1" };
	struct hb_audit_entry e;
	const char *value = "(missing)";
	redisReply *r;

	snprintf(key, sizeof(key), "hb:audit:%s", domain);
	r = redisCommandArgv(T->ctx, 4, argv, NULL);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 1);
	assert_int_equal(hb_audit_entry_parse(r->element[0]->str, r->element[0]->len, &e), 0);
	for (size_t i = 0; i < HB_AUDIT_FIELDS; i++) {
		if (strcmp(hb_audit_field_names[i], field) == 0 && e.field[i][0] != '\0')
			value = e.field[i];
	}
	snprintf(T->reply, sizeof(T->reply), "%s", value);
	hb_audit_entry_free(&e);
	freeReplyObject(r);
	return T->reply;
}

static const char *get(const char *key)
{
	const char *argv[] = { "GET", key };
	redisReply *r = redisCommandArgv(T->ctx, 2, argv, NULL);

	assert_non_null(r);
	snprintf(T->reply, sizeof(T->reply), "%s", r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
	freeReplyObject(r);
	return T->reply;
}

static int is_member(const char *key, const char *member)
{
	const char *argv[] = { "SISMEMBER", key, member };

	return strcmp(raw(3, argv), "1") == 0;
}

#define assert_refused(prefix, call) do { \
	long long before_ = audit_len(DOM); \
	const char *got_ = (call); \
	if (strncmp(got_, prefix, strlen(prefix)) != 0) \
		fail_msg("expected %s..., got %s", prefix, got_); \
	assert_int_equal(audit_len(DOM), before_); \
} while (0)

static int setup(void **state)
{
	T = calloc(1, sizeof(*T));
	if (T == NULL || (T->ctx = redis_fixture_start_connected(&T->fx)) == NULL) {
		free(T);
		T = NULL;
		return -1;
	}
	const char *alice[] = { "HSET", "hb:admin:alice", "hash", "x" };
	const char *bob[] = { "HSET", "hb:admin:bob", "hash", "x" };
	raw(4, alice);
	raw(4, bob);
	assert_string_equal(change(hb_script_domain_create, DOM, OP, NULL), "OK");
	assert_string_equal(change(hb_script_domain_create, OTHER, OP, NULL), "OK");
	assert_string_equal(change(hb_script_admin_grant, DOM, OP, "alice", NULL), "OK");
	assert_string_equal(change(hb_script_admin_grant, OTHER, OP, "bob", NULL), "OK");
	*state = T;
	return 0;
}

static int teardown(void **state)
{
	if (T == NULL)
		return 0;
	redisFree(T->ctx);
	redis_fixture_stop(&T->fx);
	free(T);
	T = NULL;
	return 0;
}

static void test_domains_and_grants_are_the_operators(void **state)
{
	assert_refused("EXISTS", change(hb_script_domain_create, DOM, OP, NULL));
	assert_refused("SCOPE", change(hb_script_domain_create, "new.example", ALICE, NULL));
	assert_refused("SCOPE", change(hb_script_domain_state, DOM, ALICE, "suspended", NULL));
	assert_refused("SCOPE", change(hb_script_caps_set, DOM, ALICE, "max_users", "1000", NULL));
	assert_refused("SCOPE", change(hb_script_admin_grant, DOM, ALICE, "bob", NULL));
	assert_refused("NOTFOUND", change(hb_script_admin_grant, DOM, OP, "nobody", NULL));
	assert_refused("NODOMAIN", change(hb_script_mailbox_add, "none.example", OP, "a", HASH, "0", NULL));
	assert_string_equal(change(hb_script_domain_state, DOM, OP, "suspended", NULL), "OK");
	assert_string_equal(last_audit(DOM, "old"), "active");
	assert_string_equal(last_audit(DOM, "new"), "suspended");
	assert_string_equal(change(hb_script_domain_state, DOM, OP, "active", NULL), "OK");
	assert_string_equal(last_audit(DOM, "who"), OP);
}

static void test_admins_change_only_their_domains(void **state)
{
	long long other_before = audit_len(OTHER);

	assert_refused("SCOPE", change(hb_script_mailbox_add, DOM, BOB, "eve", HASH, "0", NULL));
	assert_refused("SCOPE", change(hb_script_policy_set, DOM, BOB, "max_rcpt", "5", NULL));
	assert_refused("SCOPE", change(hb_script_alias_add, DOM, "bob", "x", "a@b.example", NULL));
	assert_string_equal(change(hb_script_mailbox_add, DOM, ALICE, "ann", HASH, "0", NULL), "OK");
	/* the hash lives apart from what the milter and admind read */
	assert_string_equal(get("hb:pw:" DOM ":ann"), HASH);
	assert_string_equal(hget("hb:d:" DOM ":u:ann", "password"), "(nil)");
	assert_string_equal(last_audit(DOM, "who"), ALICE);
	assert_string_equal(last_audit(DOM, "from"), "192.0.2.7");
	assert_string_equal(last_audit(DOM, "action"), "mailbox add");
	assert_string_equal(last_audit(DOM, "target"), "ann@" DOM);
	assert_null(strstr(last_audit(DOM, "new"), "SHA512"));
	assert_int_equal(audit_len(OTHER), other_before);

	/* a revoked admin loses the domain at once */
	assert_string_equal(change(hb_script_admin_revoke, DOM, OP, "alice", NULL), "OK");
	assert_refused("SCOPE", change(hb_script_mailbox_state, DOM, ALICE, "ann", "suspended", NULL));
	assert_string_equal(change(hb_script_admin_grant, DOM, OP, "alice", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_state, DOM, ALICE, "ann", "suspended", NULL), "OK");
	assert_string_equal(last_audit(DOM, "old"), "active");
	assert_string_equal(last_audit(DOM, "new"), "suspended");
}

static void test_caps_bound_mailboxes_aliases_and_quota(void **state)
{
	assert_string_equal(change(hb_script_caps_set, DOM, OP, "max_users", "2", "max_aliases", "1",
				   "max_quota", "1000", NULL), "OK");
	assert_refused("CAP max_quota", change(hb_script_mailbox_add, DOM, ALICE, "big", HASH, "1001", NULL));
	assert_string_equal(change(hb_script_mailbox_add, DOM, ALICE, "bo", HASH, "1000", NULL), "OK");
	assert_refused("CAP max_users", change(hb_script_mailbox_add, DOM, ALICE, "cy", HASH, "0", NULL));
	/* a corrupt cap-only limit means nothing more, never no limit */
	const char *corrupt[] = { "HSET", "hb:caps:" DOM, "max_users", "lots", "max_aliases", "-1" };
	raw(6, corrupt);
	assert_refused("CAP max_users", change(hb_script_mailbox_add, DOM, ALICE, "cy", HASH, "0", NULL));
	assert_refused("CAP max_aliases", change(hb_script_alias_add, DOM, ALICE, "new", "ann@" DOM, NULL));
	assert_string_equal(change(hb_script_caps_set, DOM, OP, "max_users", "2", "max_aliases", "1", NULL), "OK");
	assert_refused("EXISTS", change(hb_script_mailbox_add, DOM, ALICE, "ann", HASH, "0", NULL));
	assert_refused("EXISTS", change(hb_script_alias_add, DOM, ALICE, "ann", "x@y.example", NULL));
	assert_string_equal(change(hb_script_alias_add, DOM, ALICE, "info", "ann@" DOM, NULL), "OK");
	assert_refused("CAP max_aliases", change(hb_script_alias_add, DOM, ALICE, "sales", "ann@" DOM, NULL));
	/* extending the existing alias is not a new one */
	assert_string_equal(change(hb_script_alias_add, DOM, ALICE, "info", "bo@" DOM, NULL), "OK");
	assert_string_equal(last_audit(DOM, "old"), "ann@" DOM);
	assert_string_equal(last_audit(DOM, "new"), "ann@" DOM " bo@" DOM);
	assert_refused("EXISTS", change(hb_script_mailbox_add, DOM, ALICE, "info", HASH, "0", NULL));
	assert_string_equal(change(hb_script_alias_remove, DOM, ALICE, "info", NULL), "OK");
	assert_refused("NOTFOUND", change(hb_script_alias_remove, DOM, ALICE, "info", NULL));
}

static void test_policy_stays_within_caps_all_or_nothing(void **state)
{
	assert_string_equal(change(hb_script_caps_set, DOM, OP, "user_msgs", "100/3600",
				   "max_msg_size", "26214400", "unauth_sender", "reject", NULL), "OK");
	assert_refused("CAP user_msgs", change(hb_script_policy_set, DOM, ALICE, "user_msgs", "200/3600", NULL));
	/* 50 a minute is more than 100 an hour */
	assert_refused("CAP user_msgs", change(hb_script_policy_set, DOM, ALICE, "user_msgs", "50/60", NULL));
	assert_refused("CAP user_msgs", change(hb_script_policy_set, DOM, ALICE, "user_msgs", "unlimited", NULL));
	assert_refused("CAP unauth_sender", change(hb_script_policy_set, DOM, ALICE, "unauth_sender", "accept", NULL));
	/* one value over its cap refuses the other one too */
	assert_refused("CAP max_msg_size", change(hb_script_policy_set, DOM, ALICE, "max_rcpt", "10",
						  "max_msg_size", "26214401", NULL));
	assert_string_equal(hget("hb:d:" DOM ":policy", "max_rcpt"), "(nil)");
	assert_refused("BADVALUE", change(hb_script_policy_set, DOM, ALICE, "max_rcpt", "ten", NULL));
	assert_refused("BADVALUE", change(hb_script_policy_set, DOM, ALICE, "user_msgs", "5/0", NULL));
	assert_refused("BADVALUE", change(hb_script_policy_set, DOM, ALICE, "no_such_value", "1", NULL));
	assert_refused("BADVALUE", change(hb_script_policy_set, DOM, ALICE, "max_rcpt", NULL));
	assert_refused("BADVALUE", change(hb_script_caps_set, DOM, OP, "max_users", "-1", NULL));

	long long before = audit_len(DOM);
	assert_string_equal(change(hb_script_policy_set, DOM, ALICE, "user_msgs", "1/60",
				   "max_rcpt", "10", NULL), "OK");
	assert_int_equal(audit_len(DOM), before + 2);
	assert_string_equal(hget("hb:d:" DOM ":policy", "user_msgs"), "1/60");
	/* setting the same values again is no change and no entry */
	assert_string_equal(change(hb_script_policy_set, DOM, ALICE, "user_msgs", "1/60", NULL), "OK");
	assert_int_equal(audit_len(DOM), before + 2);
}

static void test_sender_grants_belong_to_a_mailbox(void **state)
{
	assert_refused("NOTFOUND", change(hb_script_sender_allow, DOM, ALICE, "ghost", "@" DOM, NULL));
	assert_string_equal(change(hb_script_sender_allow, DOM, ALICE, "ann", "@" DOM, NULL), "OK");
	assert_string_equal(last_audit(DOM, "new"), "@" DOM);
	assert_refused("NOTFOUND", change(hb_script_sender_deny, DOM, ALICE, "ann", "x@y.example", NULL));
	/* an admin names only domains granted to it (admind checks too) */
	assert_refused("SCOPE", change(hb_script_sender_allow, DOM, ALICE, "bo", "x@y.example", NULL));
	assert_refused("SCOPE", change(hb_script_sender_allow, DOM, ALICE, "bo", "@" OTHER, NULL));
	assert_string_equal(change(hb_script_sender_allow, DOM, ALICE, "bo", "x@" DOM, NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_remove, DOM, ALICE, "bo", NULL), "OK");
	const char *argv[] = { "EXISTS", "hb:d:" DOM ":send:bo" };
	assert_string_equal(raw(2, argv), "0");
	assert_refused("NOTFOUND", change(hb_script_mailbox_remove, DOM, ALICE, "bo", NULL));
	assert_string_equal(change(hb_script_sender_deny, DOM, ALICE, "ann", "@" DOM, NULL), "OK");
}

static const char *admin(const char *script, const char *a1, const char *a2,
			 const char *a3, const char *a4)
{
	const char *argv[] = { "EVAL", script, "0", "hb:", a1, a2, a3, a4 };

	return raw(a4 != NULL ? 8 : 7, argv);
}

static void test_admin_accounts(void **state)
{
	const char *hash = "$pbkdf2-sha256$200000$c2FsdA$aGFzaA";
	long long before = audit_len(OTHER);

	assert_string_equal(admin(hb_script_admin_create, "carl", hash, OP, "1700000000"), "OK");
	assert_string_equal(hget("hb:adminpw:carl", "hash"), hash);
	char gen[32];
	snprintf(gen, sizeof(gen), "%s", hget("hb:admin:carl", "gen"));
	assert_true(atoll(gen) > 0);
	/* a password change: by the operator or the admin itself, never another */
	assert_string_equal(admin(hb_script_admin_passwd, "carl", hash, "admin:bob", "1700000000"),
			    "SCOPE carl");
	assert_string_equal(admin(hb_script_admin_passwd, "carl", hash, "admin:carl", "1700000000"), "OK");
	assert_string_equal(hget("hb:adminpw:carl", "gen"), "2");
	assert_string_equal(admin(hb_script_admin_passwd, "nobody", hash, OP, "1700000000"),
			    "NOTFOUND admin nobody");
	assert_string_equal(admin(hb_script_admin_create, "dora", hash, "admin:carl", "1700000000"),
			    "SCOPE operator only");
	assert_string_equal(admin(hb_script_admin_create, "carl", hash, OP, "1700000000"),
			    "EXISTS admin carl");
	assert_string_equal(admin(hb_script_admin_create, "dora", "plain", OP, "1700000000"),
			    "BADVALUE password hash");
	assert_string_equal(change(hb_script_admin_grant, OTHER, OP, "carl", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_add, OTHER, "admin:carl", "cx", HASH, "0", NULL), "OK");
	/* removing the account revokes its grants, each in its domain's log */
	const char *argv[] = { "EVAL", hb_script_admin_remove, "0", "hb:", "carl", OP, "local",
			       "1700000001" };
	assert_string_equal(raw(8, argv), "OK");
	assert_int_equal(audit_len(OTHER), before + 3);
	assert_string_equal(last_audit(OTHER, "action"), "admin revoke");
	assert_string_equal(last_audit(OTHER, "target"), "carl");
	assert_string_equal(hget("hb:adminpw:carl", "hash"), "(nil)");
	assert_refused("SCOPE", change(hb_script_mailbox_state, OTHER, "admin:carl", "cx", "suspended", NULL));
	assert_string_equal(raw(8, argv), "NOTFOUND admin carl");
	/* the same name again is another account: a new generation */
	assert_string_equal(admin(hb_script_admin_create, "carl", hash, OP, "1700000002"), "OK");
	assert_true(atoll(hget("hb:admin:carl", "gen")) > atoll(gen));
	assert_string_equal(hget("hb:adminpw:carl", "gen"), "1");
}

static void test_domain_remove(void **state)
{
	const char *gone = "gone.example";
	const char *keys[] = { "EXISTS", "hb:d:gone.example", "hb:d:gone.example:u:zed",
			       "hb:d:gone.example:a:info", "hb:d:gone.example:send:zed",
			       "hb:caps:gone.example", "hb:d:gone.example:users",
			       "hb:grant:gone.example", "hb:pw:gone.example:zed",
			       "hb:d:gone.example:policy", "hb:d:gone.example:refs" };

	assert_string_equal(change(hb_script_domain_create, gone, OP, NULL), "OK");
	assert_string_equal(change(hb_script_admin_grant, gone, OP, "alice", NULL), "OK");
	assert_string_equal(change(hb_script_caps_set, gone, OP, "max_users", "5", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_add, gone, ALICE, "zed", HASH, "0", NULL), "OK");
	assert_string_equal(change(hb_script_alias_add, gone, ALICE, "info", "zed@gone.example", NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, gone, OP, "zed", "@x.example", NULL), "OK");
	assert_string_equal(change(hb_script_policy_set, gone, ALICE, "max_rcpt", "5", NULL), "OK");
	assert_string_equal(change(hb_script_domain_remove, gone, ALICE, "1", NULL), "SCOPE gone.example");
	assert_string_equal(change(hb_script_domain_remove, gone, OP, "0", NULL), "NOTEMPTY 1 1");
	long long before = audit_len(gone);
	assert_string_equal(change(hb_script_domain_remove, gone, OP, "1", NULL), "OK");
	assert_string_equal(raw(11, keys), "0");
	const char *member[] = { "SISMEMBER", "hb:admin:alice:domains", gone };
	assert_string_equal(raw(3, member), "0");
	const char *listed[] = { "SISMEMBER", "hb:domains", gone };
	assert_string_equal(raw(3, listed), "0");
	/* the history stays, with the removal as its last entry */
	assert_int_equal(audit_len(gone), before + 1);
	assert_string_equal(last_audit(gone, "action"), "domain remove");
	assert_string_equal(change(hb_script_domain_remove, gone, OP, "1", NULL), "NODOMAIN gone.example");
}

/* the sender check's reply, joined with spaces */
static const char *senders(const char *local, const char *domain, const char *c1, const char *c2,
			   const char *c3, const char *c4)
{
	const char *argv[] = { "EVAL_RO", hb_script_sender_check, "0", "hb:", local, domain,
			       c1, c2, c3, c4 };
	redisReply *r = redisCommandArgv(T->ctx, 10, argv, NULL);

	assert_non_null(r);
	if (r->type != REDIS_REPLY_ARRAY)
		fail_msg("sender check: %s", r->type == REDIS_REPLY_ERROR ? r->str : "not an array");
	T->reply[0] = '\0';
	for (size_t i = 0; i < r->elements; i++)
		snprintf(T->reply + strlen(T->reply), sizeof(T->reply) - strlen(T->reply), "%s%s",
			 i > 0 ? " " : "", r->element[i]->str);
	freeReplyObject(r);
	return T->reply;
}

static void test_sender_rights(void **state)
{
	assert_string_equal(change(hb_script_caps_set, DOM, OP, "max_aliases", "10", "max_users",
				   "10", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_add, DOM, OP, "sam", HASH, "0", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_add, OTHER, OP, "tom", HASH, "0", NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, DOM, OP, "sam", "boss@" DOM, NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, DOM, OP, "sam", "@" OTHER, NULL), "OK");
	assert_string_equal(change(hb_script_alias_add, DOM, OP, "team", "sam@" DOM, "x@y.example", NULL),
			    "OK");
	assert_string_equal(senders("sam", DOM, "sam@" DOM, "boss@" DOM, "any@" OTHER, "team@" DOM),
			    "active active own granted domain alias");
	/* someone else's address, an alias not pointing at sam, a lookalike */
	assert_string_equal(change(hb_script_alias_add, DOM, OP, "sales", "tom@" OTHER, NULL), "OK");
	assert_string_equal(senders("sam", DOM, "tom@" OTHER, "sales@" DOM, "sam@" DOM ".evil.example",
				    "boss@" OTHER), "active active domain no no domain");
	assert_string_equal(senders("tom", OTHER, "sam@" DOM, "team@" DOM, "boss@" DOM, "tom@" OTHER),
			    "active active no no no own");
	/* states come along: a suspended login or domain is the milter's refusal */
	assert_string_equal(change(hb_script_mailbox_state, DOM, OP, "sam", "suspended", NULL), "OK");
	assert_string_equal(senders("sam", DOM, "sam@" DOM, "a@b.example", "c@d.example", "e@f.example"),
			    "active suspended own no no no");
	assert_string_equal(senders("nobody", "nowhere.example", "nobody@nowhere.example",
				    "a@b.example", "c@d.example", "e@f.example"), "  own no no no");
}

/* Sender rights and alias targets die with the authority over the domain
 * they name (docs/DOMAINS.md 7): a revoked grant, a domain removed (and
 * perhaps added again by someone else), a domain created on a name that
 * rights were granted on while nobody hosted it. */
static void test_rights_die_with_their_authority(void **state)
{
	const char *d2 = "two.example", *b = "taken.example", *c = "later.example";

	assert_string_equal(change(hb_script_domain_create, d2, OP, NULL), "OK");
	assert_string_equal(change(hb_script_domain_create, b, OP, NULL), "OK");
	const char *dave[] = { "HSET", "hb:admin:dave", "gen", "1" };
	raw(4, dave);
	assert_string_equal(change(hb_script_admin_grant, d2, OP, "dave", NULL), "OK");
	assert_string_equal(change(hb_script_admin_grant, b, OP, "dave", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_add, d2, "admin:dave", "pat", HASH, "0", NULL), "OK");
	assert_string_equal(change(hb_script_mailbox_add, b, "admin:dave", "boss", HASH, "0", NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, d2, "admin:dave", "pat", "@taken.example", NULL), "OK");
	assert_string_equal(senders("pat", d2, "boss@taken.example", "pat@two.example", "x@y.example",
				    "z@y.example"), "active active domain own no no");

	/* the grant on B is revoked: the right dave granted on B goes, audited in d2 */
	assert_string_equal(change(hb_script_admin_revoke, b, OP, "dave", NULL), "OK");
	assert_false(is_member("hb:d:two.example:send:pat", "@taken.example"));
	assert_string_equal(last_audit(d2, "action"), "sender deny");
	assert_string_equal(last_audit(d2, "old"), "@taken.example");
	assert_string_equal(senders("pat", d2, "boss@taken.example", "a@b.example", "a@b.example",
				    "a@b.example"), "active active no no no no");

	/* granted again, then B is removed and added again for someone else */
	assert_string_equal(change(hb_script_admin_grant, b, OP, "dave", NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, d2, "admin:dave", "pat", "boss@taken.example", NULL),
			    "OK");
	assert_string_equal(change(hb_script_sender_allow, d2, OP, "pat", "@taken.example", NULL), "OK");
	assert_string_equal(change(hb_script_alias_add, d2, "admin:dave", "fwd", "boss@taken.example",
				   "pat@two.example", NULL), "OK");
	assert_string_equal(change(hb_script_alias_add, d2, "admin:dave", "only", "boss@taken.example", NULL),
			    "OK");
	assert_string_equal(change(hb_script_domain_remove, b, OP, "1", NULL), "OK");
	assert_string_equal(change(hb_script_domain_create, b, OP, NULL), "OK");
	assert_false(is_member("hb:d:two.example:send:pat", "@taken.example"));
	assert_false(is_member("hb:d:two.example:send:pat", "boss@taken.example"));
	assert_false(is_member("hb:d:two.example:a:fwd", "boss@taken.example"));
	assert_true(is_member("hb:d:two.example:a:fwd", "pat@two.example"));
	assert_false(is_member("hb:d:two.example:aliases", "only"));
	assert_false(is_member("hb:grant:taken.example", "dave"));
	assert_false(is_member("hb:admin:dave:domains", b));

	/* a right on a name nobody hosted dies when the name becomes hosted */
	assert_string_equal(change(hb_script_sender_allow, d2, OP, "pat", "@later.example", NULL), "OK");
	assert_string_equal(change(hb_script_domain_create, c, OP, NULL), "OK");
	assert_false(is_member("hb:d:two.example:send:pat", "@later.example"));

	/* a right denied by hand leaves no reference behind that could remove
	 * a later right granted by someone else */
	assert_string_equal(change(hb_script_admin_grant, c, OP, "dave", NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, d2, "admin:dave", "pat", "@later.example", NULL), "OK");
	assert_string_equal(change(hb_script_sender_deny, d2, "admin:dave", "pat", "@later.example", NULL), "OK");
	assert_string_equal(change(hb_script_sender_allow, d2, OP, "pat", "@later.example", NULL), "OK");
	assert_string_equal(change(hb_script_admin_revoke, c, OP, "dave", NULL), "OK");
	assert_true(is_member("hb:d:two.example:send:pat", "@later.example"));
}

/* The caps key of DOMAIN (docs/DOMAINS.md 2), for writing a corrupt cap
 * that caps_set would refuse. */
static void caps_key(char *out, size_t size, const char *domain)
{
	snprintf(out, size, "hb:caps:%s", domain);
}

/* The Lua rule of policy_set on the table hb_policy_within() is tested with
 * (tests/unit/cap-cases.h): the same answer for every case, a corrupt cap
 * refuses (CAP NAME invalid) instead of being ignored. */
static void test_cap_table_same_as_c(void **state)
{
	char ckey[128], want[160];

	caps_key(ckey, sizeof(ckey), DOM);
	for (size_t i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		const struct cap_case *c = &cap_cases[i];
		const char *hset[] = { "HSET", ckey, c->name, c->cap };
		const char *got;

		if (c->result == CAP_BAD_CAP)
			raw(4, hset);
		else
			assert_string_equal(change(hb_script_caps_set, DOM, OP, c->name, c->cap, NULL), "OK");
		got = change(hb_script_policy_set, DOM, ALICE, c->name, c->value, NULL);
		switch (c->result) {
		case CAP_WITHIN: snprintf(want, sizeof(want), "OK"); break;
		case CAP_RAISE: snprintf(want, sizeof(want), "CAP %s %s", c->name, c->cap); break;
		case CAP_BAD_VALUE: snprintf(want, sizeof(want), "BADVALUE %s", c->name); break;
		case CAP_BAD_CAP: snprintf(want, sizeof(want), "CAP %s invalid", c->name); break;
		}
		if (strcmp(got, want) != 0)
			fail_msg("%s=%s under cap %s: \"%s\", expected \"%s\"", c->name, c->value,
				 c->cap, got, want);
	}
	/* caps_set refuses what no milter could enforce */
	assert_refused("BADVALUE", change(hb_script_caps_set, DOM, OP, "user_msgs", "1/9000000000000", NULL));
	assert_refused("BADVALUE", change(hb_script_caps_set, DOM, OP, "max_users", "1000000001", NULL));
	assert_refused("BADVALUE", change(hb_script_caps_set, DOM, OP, "max_quota", "1125899906842625", NULL));
	assert_string_equal(change(hb_script_caps_set, DOM, OP, "max_quota", "1125899906842624", NULL), "OK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domains_and_grants_are_the_operators),
		cmocka_unit_test(test_admins_change_only_their_domains),
		cmocka_unit_test(test_caps_bound_mailboxes_aliases_and_quota),
		cmocka_unit_test(test_policy_stays_within_caps_all_or_nothing),
		cmocka_unit_test(test_cap_table_same_as_c),
		cmocka_unit_test(test_sender_grants_belong_to_a_mailbox),
		cmocka_unit_test(test_admin_accounts),
		cmocka_unit_test(test_domain_remove),
		cmocka_unit_test(test_sender_rights),
		cmocka_unit_test(test_rights_die_with_their_authority),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
