/* auth.c - who is asking: login (admin name + password, checked against
 * the PBKDF2 hash in P adminpw:NAME in constant time), sessions (a random
 * token, stored only as its SHA-256 in P session:HASH with a TTL, bound to
 * the generations of the account and of its password at login) and the
 * check every other request passes: the session exists AND its account and
 * password are still the ones it began with AND, with client certificates,
 * the certificate names the same admin.  Failed logins lock a client
 * address (in memory) for a time that doubles with each failure, and slow a
 * name down (each reply on it waits, on a timer, longer with each recent
 * failure): no one can lock an admin out from elsewhere, and nothing a
 * client does makes admind write to an account.  An unknown name is
 * answered exactly like a wrong password and costs the same PBKDF2 work.
 * Never logs a password or a token. */
#include "admind.h"
#include "limiter.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_BYTES 32

/* ARGV: prefix, session key, admin, created, from, gen, pwgen, ttl_s. */
static const char script_session_create[] =
	"redis.call('HSET', ARGV[2], 'admin', ARGV[3], 'created', ARGV[4], 'from', ARGV[5],\n"
	"  'gen', ARGV[6], 'pwgen', ARGV[7])\n"
	"redis.call('EXPIRE', ARGV[2], ARGV[8])\n"
	"return 0\n";

static void hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* The session key of TOKEN: P session:hex(SHA-256(token)). */
static int session_key(struct admind *ad, const char *token, char *hash_out, char *key, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (EVP_Digest(token, strlen(token), md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
		return -1;
	hex(md, md_len, hash_out);
	return hb_key(key, size, ad->set->key_prefix, HB_KEY_SESSION, hash_out) == 0 ? -1 : 0;
}

static int locked(struct admind_reply *reply, long long until, long long now,
		  struct admind_error *err)
{
	reply->retry_after = (unsigned int)((until - now + 999) / 1000);
	return admind_error_set(err, 429, "locked", "too many failed logins; try again in %u s",
				reply->retry_after);
}

/* Copy a string reply of at most SIZE - 1 bytes; 0 when it is not one. */
static int reply_str(const redisReply *r, char *out, size_t size)
{
	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= size)
		return 0;
	memcpy(out, r->str, r->len + 1);
	return 1;
}

/* The generation field of KIND:NAME into GEN ("" when there is none). */
static int gen_load(struct admind_request *req, enum hb_key_kind kind, const char *name,
		    char *gen, size_t size, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *r;

	gen[0] = '\0';
	hb_key(key, sizeof(key), req->ad->set->key_prefix, kind, name);
	const char *argv[] = { "HGET", key, "gen" };
	if (admind_redis(req->ad, &r, 3, argv, err) < 0)
		return -1;
	reply_str(r, gen, size);
	freeReplyObject(r);
	return 0;
}

int admind_account_load(struct admind_request *req, const char *name, struct admind_account *acct,
			struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *r;

	memset(acct, 0, sizeof(*acct));
	if (!admind_admin_name_ok(name))
		return 0;
	if (gen_load(req, HB_KEY_ADMIN, name, acct->gen, sizeof(acct->gen), err) < 0)
		return -1;
	if (acct->gen[0] == '\0')
		return 0;
	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_ADMIN_PASSWORD, name);
	const char *argv[] = { "HMGET", key, "hash", "gen" };
	if (admind_redis(req->ad, &r, 4, argv, err) < 0)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    reply_str(r->element[0], acct->hash, sizeof(acct->hash)) &&
	    reply_str(r->element[1], acct->pwgen, sizeof(acct->pwgen)))
		acct->known = 1;
	freeReplyObject(r);
	return 0;
}

/* The key a name's failures are counted under (any string the body allowed). */
static void name_key(const char *name, char *key, size_t size)
{
	snprintf(key, size, "n:%.64s", name);
}

unsigned int admind_name_delay(struct admind_request *req, const char *name, int failed)
{
	const struct hb_settings *set = req->ad->set;
	char key[ADMIND_LIMITER_KEY_MAX];
	long long now = admind_now_ms(), failures;

	name_key(name, key, sizeof(key));
	failures = failed ? admind_limiter_count(req->ad->limiter, key, now, ADMIND_NAME_MEMORY_MS) :
		admind_limiter_failures(req->ad->limiter, key, now, ADMIND_NAME_MEMORY_MS);
	if (set->admind_login_delay_max_ms < set->admind_login_delay_ms)
		return set->admind_login_delay_max_ms;
	return (unsigned int)admind_lock_ms(failures, set->admind_login_failures,
					    set->admind_login_delay_ms, set->admind_login_delay_max_ms);
}

void admind_address_failed(struct admind_request *req)
{
	const struct hb_settings *set = req->ad->set;
	char key[ADMIND_LIMITER_KEY_MAX];

	snprintf(key, sizeof(key), "a:%s", req->peer);
	admind_limiter_fail(req->ad->limiter, key, admind_now_ms(), set->admind_addr_failures,
			    set->admind_lockout_ms, set->admind_lockout_max_ms);
}

/* Count the failure against the address (a lock starts with its next
 * attempt) and the name (this reply and the next ones on it wait). */
static int login_failed(struct admind_request *req, const char *name, struct admind_reply *reply,
			struct admind_error *err)
{
	admind_address_failed(req);
	reply->delay_ms = admind_name_delay(req, name, 1);
	hb_info("login failed for admin '%.64s' from %s", admind_admin_name_ok(name) ? name : "(invalid)",
		req->peer);
	return admind_error_set(err, 401, "login_failed", "wrong admin name or password");
}

/* A new token for NAME, bound to ACCT's generations: only its hash is
 * stored.  The reply is the login's. */
int admind_session_issue(struct admind_request *req, const char *name,
			 const struct admind_account *acct, struct admind_reply *reply,
			 struct admind_error *err)
{
	unsigned char raw[TOKEN_BYTES];
	char token[ADMIND_TOKEN_HEX + 1], hash[ADMIND_TOKEN_HEX + 1], key[HB_KEY_MAX];
	char created[24], ttl[16], refusal[128];
	redisReply *r;
	int ret;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return admind_error_set(err, 500, "internal", "random generator failed");
	hex(raw, sizeof(raw), token);
	hb_secret_wipe(raw, sizeof(raw));
	if (session_key(req->ad, token, hash, key, sizeof(key)) < 0) {
		hb_secret_wipe(token, sizeof(token));
		return admind_error_set(err, 500, "internal", "internal error");
	}
	snprintf(created, sizeof(created), "%lld", admind_now_ms() / 1000);
	snprintf(ttl, sizeof(ttl), "%u", req->ad->set->admind_session_ttl_s);
	const char *argv[] = { key, name, created, req->peer, acct->gen, acct->pwgen, ttl };
	ret = admind_redis_script(req->ad, script_session_create, 7, argv, &r, refusal,
				  sizeof(refusal), err);
	if (ret != 0) {
		hb_secret_wipe(token, sizeof(token));
		return ret > 0 ? admind_error_set(err, 500, "internal", "internal error") : -1;
	}
	freeReplyObject(r);
	hbctl_json_obj_begin(&reply->js, NULL);
	hbctl_json_bool(&reply->js, "ok", 1);
	hbctl_json_str(&reply->js, "admin", name);
	hbctl_json_str(&reply->js, "token", token);
	hbctl_json_int(&reply->js, "expires_in", req->ad->set->admind_session_ttl_s);
	hbctl_json_obj_end(&reply->js);
	hb_secret_wipe(token, sizeof(token));
	return 0;
}

/* With client certificates, only the certificate's own admin gets in. */
static int cert_matches(const struct admind_request *req, const char *name)
{
	return !req->cert_required ||
		(req->cert_admin[0] != '\0' && strcmp(req->cert_admin, name) == 0);
}

int admind_login(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	struct admind *ad = req->ad;
	const char *name = admind_body_str(&req->json, 0);
	const char *password = admind_body_str(&req->json, 1);
	char key[ADMIND_LIMITER_KEY_MAX];
	struct admind_account acct;
	long long now = admind_now_ms(), until;
	const char *why;
	int match;

	snprintf(key, sizeof(key), "a:%s", req->peer);
	if ((until = admind_limiter_locked(ad->limiter, key, now)) != 0)
		return locked(reply, until, now, err);
	if (!cert_matches(req, name)) {
		hb_info("login as admin '%.64s' from %s refused: the client certificate is not theirs",
			admind_admin_name_ok(name) ? name : "(invalid)", req->peer);
		return admind_error_set(err, 403, "certificate",
					"your client certificate is not for this admin");
	}
	if (admind_account_load(req, name, &acct, err) < 0)
		return -1;
	/* the same PBKDF2 work whether or not the name exists */
	match = hb_admin_verify(password, acct.known ? acct.hash : ad->dummy_hash, &why);
	if (match < 0 && acct.known)
		hb_error("admin %s: stored password hash is unusable: %s", name, why);
	if (match != 1 || !acct.known)
		return login_failed(req, name, reply, err);
	/* a name under attack: its right password waits as long as a wrong one */
	reply->delay_ms = admind_name_delay(req, name, 0);
	name_key(name, key, sizeof(key));
	admind_limiter_clear(ad->limiter, key);
	if (admind_session_issue(req, name, &acct, reply, err) < 0)
		return -1;
	hb_info("admin %s logged in from %s", name, req->peer);
	return 0;
}

int admind_session_drop(struct admind_request *req, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *r;

	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_SESSION, req->session);
	const char *argv[] = { "DEL", key };
	if (admind_redis(req->ad, &r, 2, argv, err) < 0)
		return -1;
	freeReplyObject(r);
	return 0;
}

struct session {
	char admin[ADMIND_NAME_MAX + 1];
	char gen[ADMIND_GEN_MAX], pwgen[ADMIND_GEN_MAX];
};

/* P session:HASH's fields; 0 when there is no such (complete) session. */
static int session_load(struct admind_request *req, const char *key, struct session *sess,
			struct admind_error *err)
{
	redisReply *r;
	int ok;

	memset(sess, 0, sizeof(*sess));
	const char *argv[] = { "HMGET", key, "admin", "gen", "pwgen" };
	if (admind_redis(req->ad, &r, 5, argv, err) < 0)
		return -1;
	ok = r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		reply_str(r->element[0], sess->admin, sizeof(sess->admin)) &&
		admind_admin_name_ok(sess->admin) &&
		reply_str(r->element[1], sess->gen, sizeof(sess->gen)) &&
		reply_str(r->element[2], sess->pwgen, sizeof(sess->pwgen));
	freeReplyObject(r);
	return ok;
}

/* Whether the account and its password are still those of SESS's login:
 * a removed and re-created account has a new gen, a changed password a
 * new pwgen (lib/hb-scripts-domains.c). */
static int session_current(struct admind_request *req, const struct session *sess,
			   struct admind_error *err)
{
	char gen[ADMIND_GEN_MAX];

	if (gen_load(req, HB_KEY_ADMIN, sess->admin, gen, sizeof(gen), err) < 0)
		return -1;
	if (gen[0] == '\0' || strcmp(gen, sess->gen) != 0)
		return 0;
	if (gen_load(req, HB_KEY_ADMIN_PASSWORD, sess->admin, gen, sizeof(gen), err) < 0)
		return -1;
	return gen[0] != '\0' && strcmp(gen, sess->pwgen) == 0;
}

int admind_authenticate(struct admind_request *req, struct admind_error *err)
{
	char token[ADMIND_TOKEN_HEX + 1], key[HB_KEY_MAX];
	struct session sess;
	int ok;

	if (admind_bearer_parse(req->authorization, token) < 0)
		return admind_error_set(err, 401, "unauthorized", "log in first (Authorization: Bearer TOKEN)");
	ok = session_key(req->ad, token, req->session, key, sizeof(key));
	hb_secret_wipe(token, sizeof(token));
	if (ok < 0)
		return admind_error_set(err, 500, "internal", "internal error");
	if ((ok = session_load(req, key, &sess, err)) < 0)
		return -1;
	/* the account is checked on every request: a removed, re-created or
	 * re-passworded admin's older sessions end at once */
	if (ok && (ok = session_current(req, &sess, err)) < 0)
		return -1;
	if (!ok) {
		if (admind_session_drop(req, err) < 0)
			return -1;
		return admind_error_set(err, 401, "unauthorized", "the session has ended; log in again");
	}
	if (!cert_matches(req, sess.admin))
		return admind_error_set(err, 401, "unauthorized",
					"this session is not the client certificate's admin");
	snprintf(req->admin, sizeof(req->admin), "%s", sess.admin);
	snprintf(req->who, sizeof(req->who), "admin:%s", req->admin);
	return 0;
}

int admind_granted(struct admind_request *req, const char *domain, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *r;
	int granted;

	if (hb_domain_key(key, sizeof(key), req->ad->set->key_prefix, HB_DKEY_ADMINS, domain, NULL) == 0)
		return admind_error_set(err, 400, "bad_path", "domain name too long");
	const char *argv[] = { "SISMEMBER", key, req->admin };
	if (admind_redis(req->ad, &r, 3, argv, err) < 0)
		return -1;
	granted = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return granted;
}

int admind_logout(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	if (admind_session_drop(req, err) < 0)
		return -1;
	hb_info("admin %s logged out from %s", req->admin, req->peer);
	admind_reply_done(reply, "admin", req->admin);
	return 0;
}
