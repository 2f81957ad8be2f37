/* auth.c - who is asking: login (admin name + password, checked against
 * the PBKDF2 hash in P admin:NAME in constant time), sessions (a random
 * token, stored only as its SHA-256 in P session:HASH with a TTL) and the
 * check every other request passes: the session exists AND its account
 * still exists.  Failed logins lock a name (in Redis) and a client address
 * (in memory) for a time that doubles with each failure; an unknown name is
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

/* ARGV: prefix, admin key, now_ms, threshold, lock_ms, lock_max_ms.  Counts
 * a failure of an existing account and locks it (the lock doubles with each
 * failure past the threshold, as admind_lock_ms() computes); returns the
 * lock's end in ms, 0 when not locked, -1 when the account is gone. */
static const char script_login_failed[] =
	"local k, now, thr = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"if redis.call('EXISTS', k) == 0 then return -1 end\n"
	"local f = redis.call('HINCRBY', k, 'failures', 1)\n"
	"if f < thr then return 0 end\n"
	"local lock, max = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"for i = thr + 1, f do if lock >= max then break end lock = lock * 2 end\n"
	"if lock > max then lock = max end\n"
	"local till = string.format('%d', now + lock)\n"
	"redis.call('HSET', k, 'locked_until', till)\n"
	"return tonumber(till)\n";

/* ARGV: prefix, admin key.  A successful login forgets the failures. */
static const char script_login_ok[] =
	"local k = ARGV[2]\n"
	"if redis.call('EXISTS', k) == 1 and redis.call('HGET', k, 'failures') ~= '0' then\n"
	"  redis.call('HSET', k, 'failures', '0', 'locked_until', '0')\n"
	"end\n"
	"return 0\n";

/* ARGV: prefix, session key, admin, created, from, ttl_s. */
static const char script_session_create[] =
	"redis.call('HSET', ARGV[2], 'admin', ARGV[3], 'created', ARGV[4], 'from', ARGV[5])\n"
	"redis.call('EXPIRE', ARGV[2], ARGV[6])\n"
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

struct account {
	int known;
	char hash[HB_ADMIN_HASH_MAX];
	long long locked_until;
};

/* P admin:NAME's hash and lock; ACCT->known = 0 when there is no such account. */
static int account_load(struct admind_request *req, const char *name, struct account *acct,
			struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *reply;

	memset(acct, 0, sizeof(*acct));
	if (!admind_admin_name_ok(name))
		return 0;
	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_ADMIN, name);
	const char *argv[] = { "HMGET", key, "hash", "locked_until" };
	if (admind_redis(req->ad, &reply, 4, argv, err) < 0)
		return -1;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[0]->len < sizeof(acct->hash)) {
		acct->known = 1;
		memcpy(acct->hash, reply->element[0]->str, reply->element[0]->len + 1);
		if (reply->element[1]->type == REDIS_REPLY_STRING)
			acct->locked_until = atoll(reply->element[1]->str);
	}
	freeReplyObject(reply);
	return 0;
}

/* Count the failure against the address and the name; a lock starts with
 * the next attempt. */
static int login_failed(struct admind_request *req, const char *name, const struct account *acct,
			struct admind_error *err)
{
	const struct hb_settings *set = req->ad->set;
	char key[ADMIND_LIMITER_KEY_MAX], akey[HB_KEY_MAX], thr[16], base[16], max[16], now[24];
	redisReply *r = NULL;
	long long t = admind_now_ms();

	snprintf(key, sizeof(key), "a:%s", req->peer);
	admind_limiter_fail(req->ad->limiter, key, t, set->admind_addr_failures,
			    set->admind_lockout_ms, set->admind_lockout_max_ms);
	if (acct->known) {
		hb_key(akey, sizeof(akey), set->key_prefix, HB_KEY_ADMIN, name);
		snprintf(now, sizeof(now), "%lld", t);
		snprintf(thr, sizeof(thr), "%u", set->admind_login_failures);
		snprintf(base, sizeof(base), "%u", set->admind_lockout_ms);
		snprintf(max, sizeof(max), "%u", set->admind_lockout_max_ms);
		const char *argv[] = { akey, now, thr, base, max };
		char refusal[128];
		if (admind_redis_script(req->ad, script_login_failed, 5, argv, &r, refusal,
					sizeof(refusal), err) == 0)
			freeReplyObject(r);
	} else {
		snprintf(key, sizeof(key), "n:%.64s", name);
		admind_limiter_fail(req->ad->limiter, key, t, set->admind_login_failures,
				    set->admind_lockout_ms, set->admind_lockout_max_ms);
	}
	hb_info("login failed for admin '%.64s' from %s", admind_admin_name_ok(name) ? name : "(invalid)",
		req->peer);
	return admind_error_set(err, 401, "login_failed", "wrong admin name or password");
}

/* A new token for NAME: only its hash is stored. */
static int session_create(struct admind_request *req, const char *name, struct admind_reply *reply,
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
	const char *argv[] = { key, name, created, req->peer, ttl };
	ret = admind_redis_script(req->ad, script_session_create, 5, argv, &r, refusal,
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
	hb_info("admin %s logged in from %s", name, req->peer);
	return 0;
}

int admind_login(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	struct admind *ad = req->ad;
	const char *name = admind_body_str(&req->json, 0);
	const char *password = admind_body_str(&req->json, 1);
	char key[ADMIND_LIMITER_KEY_MAX], akey[HB_KEY_MAX], refusal[64];
	struct account acct;
	struct admind_error ignored;
	long long now = admind_now_ms(), until;
	const char *why;
	redisReply *r;
	int match;

	snprintf(key, sizeof(key), "a:%s", req->peer);
	if ((until = admind_limiter_locked(ad->limiter, key, now)) != 0)
		return locked(reply, until, now, err);
	if (account_load(req, name, &acct, err) < 0)
		return -1;
	snprintf(key, sizeof(key), "n:%.64s", name);
	if (acct.known && acct.locked_until > now)
		return locked(reply, acct.locked_until, now, err);
	if (!acct.known && (until = admind_limiter_locked(ad->limiter, key, now)) != 0)
		return locked(reply, until, now, err);
	/* the same PBKDF2 work whether or not the name exists */
	match = hb_admin_verify(password, acct.known ? acct.hash : ad->dummy_hash, &why);
	if (match < 0)
		hb_error("admin %s: stored password hash is unusable: %s", name, why);
	if (match != 1 || !acct.known)
		return login_failed(req, name, &acct, err);
	hb_key(akey, sizeof(akey), ad->set->key_prefix, HB_KEY_ADMIN, name);
	const char *argv[] = { akey };
	if (admind_redis_script(ad, script_login_ok, 1, argv, &r, refusal, sizeof(refusal), &ignored) == 0)
		freeReplyObject(r);
	return session_create(req, name, reply, err);
}

/* Whether P admin:NAME still exists. */
static int account_exists(struct admind_request *req, const char *name, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *r;
	int exists;

	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_ADMIN, name);
	const char *argv[] = { "HEXISTS", key, "hash" };
	if (admind_redis(req->ad, &r, 3, argv, err) < 0)
		return -1;
	exists = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return exists;
}

static int session_drop(struct admind_request *req, struct admind_error *err)
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

int admind_authenticate(struct admind_request *req, struct admind_error *err)
{
	char token[ADMIND_TOKEN_HEX + 1], key[HB_KEY_MAX];
	redisReply *r;
	int ok, exists;

	if (admind_bearer_parse(req->authorization, token) < 0)
		return admind_error_set(err, 401, "unauthorized", "log in first (Authorization: Bearer TOKEN)");
	ok = session_key(req->ad, token, req->session, key, sizeof(key));
	hb_secret_wipe(token, sizeof(token));
	if (ok < 0)
		return admind_error_set(err, 500, "internal", "internal error");
	const char *argv[] = { "HGET", key, "admin" };
	if (admind_redis(req->ad, &r, 3, argv, err) < 0)
		return -1;
	ok = r->type == REDIS_REPLY_STRING && admind_admin_name_ok(r->str);
	if (ok)
		snprintf(req->admin, sizeof(req->admin), "%s", r->str);
	freeReplyObject(r);
	if (!ok)
		return admind_error_set(err, 401, "unauthorized", "the session has ended; log in again");
	/* the account is checked on every request: a removed admin's sessions end at once */
	if ((exists = account_exists(req, req->admin, err)) < 0)
		return -1;
	if (!exists) {
		if (session_drop(req, err) < 0)
			return -1;
		return admind_error_set(err, 401, "unauthorized", "the session has ended; log in again");
	}
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
	if (session_drop(req, err) < 0)
		return -1;
	hb_info("admin %s logged out from %s", req->admin, req->peer);
	admind_reply_done(reply, "admin", req->admin);
	return 0;
}
