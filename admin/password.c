/* password.c - an admin changes their own password (POST /v1/password,
 * docs/ADMIND.md 2): the old password is checked like a login (a wrong one
 * counts against the address and slows the name down), the new one must
 * pass the rule of password-rule.c, and the operator's script
 * hb_script_admin_passwd stores its hash and bumps the password generation,
 * which ends every session of the admin.  The caller gets a new session in the same reply.
 * Never logs a password, a hash or a token. */
#include "admind.h"
#include "hb-log.h"
#include "hb-scripts-domains.h"

#include <string.h>

/* Store HASH as REQ's admin's password (generation + 1). */
static int store(struct admind_request *req, const char *hash, struct admind_error *err)
{
	char now[24], refusal[128];
	redisReply *r;
	int ret;

	snprintf(now, sizeof(now), "%lld", admind_now_ms() / 1000);
	const char *argv[] = { req->admin, hash, req->who, now };
	ret = admind_redis_script(req->ad, hb_script_admin_passwd, 4, argv, &r, refusal,
				  sizeof(refusal), err);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		freeReplyObject(r);
		return 0;
	}
	if (strncmp(refusal, "NOTFOUND", 8) == 0)
		return admind_error_set(err, 401, "unauthorized", "the session has ended; log in again");
	hb_error("admin %s: password change refused: %.100s", req->admin, refusal);
	return admind_error_set(err, 500, "internal", "internal error");
}

int admind_password_change(struct admind_request *req, struct admind_reply *reply,
			   struct admind_error *err)
{
	const char *old = admind_body_str(&req->json, 0);
	const char *new_pw = admind_body_str(&req->json, 1);
	char hash[HB_ADMIN_HASH_MAX];
	struct admind_account acct;
	const char *why;
	int match;

	if (admind_account_load(req, req->admin, &acct, err) < 0)
		return -1;
	if (!acct.known)
		return admind_error_set(err, 401, "unauthorized", "the session has ended; log in again");
	match = hb_admin_verify(old, acct.hash, &why);
	if (match != 1) {
		admind_address_failed(req);
		reply->delay_ms = admind_name_delay(req, req->admin, 1);
		hb_info("password change of admin %s from %s: wrong old password", req->admin, req->peer);
		return admind_error_set(err, 403, "wrong_password", "the old password is wrong");
	}
	if (admind_password_rule(req->admin, old, new_pw, err) < 0)
		return -1;
	if (hb_admin_hash(new_pw, HB_ADMIN_KDF_ITER_DEFAULT, hash, sizeof(hash), &why) < 0)
		return admind_error_set(err, 500, "internal", "hashing failed: %s", why);
	match = store(req, hash, err);
	hb_secret_wipe(hash, sizeof(hash));
	if (match < 0)
		return -1;
	hb_info("admin %s changed their password from %s; their other sessions end", req->admin,
		req->peer);
	/* this session ended with the generation; the caller goes on in a new one */
	if (admind_session_drop(req, err) < 0 ||
	    admind_account_load(req, req->admin, &acct, err) < 0)
		return -1;
	if (!acct.known)
		return admind_error_set(err, 401, "unauthorized", "the session has ended; log in again");
	return admind_session_issue(req, req->admin, &acct, reply, err);
}
