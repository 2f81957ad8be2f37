/* changes.c - the endpoints that change a domain: mailboxes, aliases,
 * sender rights and policy values.  Input is checked and made canonical
 * here (lib/hb-addr.c, lib/hb-units.c, lib/hb-policy.c); the change itself
 * is one script of lib/hb-scripts-domains.c run as who = admin:NAME from the
 * client's address, which checks scope and caps again and writes the audit
 * entry in the same atomic step.  A generated mailbox password is returned
 * once and never logged; only its hash is stored. */
#include "admind.h"
#include "hb-log.h"
#include "hb-policy.h"
#include "hb-scripts-domains.h"
#include "hb-units.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define POLICY_PAIRS_MAX 16
#define TARGETS_MAX 15

/* A script's refusal as the reply: status and code by its first word. */
static int refused(struct admind_reply *reply, const char *why, struct admind_error *err)
{
	static const struct { const char *word; int status; const char *code; } map[] = {
		{ "SCOPE", 403, "forbidden" }, { "NODOMAIN", 404, "not_found" },
		{ "NOTFOUND", 404, "not_found" }, { "EXISTS", 409, "exists" },
		{ "NOTEMPTY", 409, "not_empty" }, { "BADVALUE", 422, "bad_value" },
	};
	char name[64], limit[64];

	if (sscanf(why, "CAP %63s %63s", name, limit) == 2) {
		admind_reply_cap(reply, name, limit);
		return 1;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t len = strlen(map[i].word);

		if (strncmp(why, map[i].word, len) == 0 && (why[len] == ' ' || why[len] == '\0'))
			return admind_error_set(err, map[i].status, map[i].code, "refused: %s", why);
	}
	hb_error("unexpected refusal from a change script: %.200s", why);
	return admind_error_set(err, 500, "internal", "internal error");
}

/* Run change SCRIPT on req->domain with ARGV after the common five.
 * Returns 0 when done, 1 when the reply already says why not, -1 with ERR. */
static int change(struct admind_request *req, struct admind_reply *reply, const char *script,
		  int argc, const char **argv, struct admind_error *err)
{
	const char *full[POLICY_PAIRS_MAX * 2 + 8];
	char now[24], refusal[ADMIND_MESSAGE_MAX];
	redisReply *r;
	int ret;

	if (argc > POLICY_PAIRS_MAX * 2 + 4)
		return admind_error_set(err, 400, "bad_body", "too many values at once");
	snprintf(now, sizeof(now), "%lld", admind_now_ms() / 1000);
	full[0] = req->domain;
	full[1] = req->who;
	full[2] = req->peer;
	full[3] = now;
	for (int i = 0; i < argc; i++)
		full[4 + i] = argv[i];
	ret = admind_redis_script(req->ad, script, argc + 4, full, &r, refusal, sizeof(refusal), err);
	if (ret < 0)
		return -1;
	if (ret > 0)
		return refused(reply, refusal, err) < 0 ? -1 : 1;
	freeReplyObject(r);
	return 0;
}

static void address_of(const struct admind_request *req, const char *local, char *out, size_t size)
{
	snprintf(out, size, "%s@%s", local, req->domain);
}

/* The body's "local" as a normalised local part of req->domain. */
static int body_local(struct admind_request *req, char *out, struct admind_error *err)
{
	char address[HB_LOCAL_MAX * 4 + HB_DOMAIN_MAX + 2], domain[HB_DOMAIN_MAX + 1];
	const char *local = admind_body_str(&req->json, 0), *error;

	if (strchr(local, '@') != NULL)
		return admind_error_set(err, 422, "bad_value", "local must be the part before the @");
	snprintf(address, sizeof(address), "%s@%s", local, req->domain);
	if (hb_addr_split(address, out, HB_LOCAL_MAX + 1, domain, sizeof(domain), &error) < 0)
		return admind_error_set(err, 422, "bad_value", "invalid local part: %s", error);
	return 0;
}

static int user_add(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char local[HB_LOCAL_MAX + 1], password[HB_SECRET_MAX + 1], hash[HB_MAILBOX_HASH_MAX];
	char quota[24] = "0", address[HB_LOCAL_MAX + HB_DOMAIN_MAX + 2];
	const char *given = admind_body_str(&req->json, 1), *qin = admind_body_str(&req->json, 2);
	const char *error;
	int64_t bytes;
	int ret;

	if (body_local(req, local, err) < 0)
		return -1;
	if (qin != NULL) {
		if (hb_parse_size(qin, &bytes, &error) < 0)
			return admind_error_set(err, 422, "bad_value", "quota: %s", error);
		snprintf(quota, sizeof(quota), "%" PRId64, bytes);
	}
	if (given != NULL && given[0] == '\0')
		return admind_error_set(err, 422, "bad_value", "password: empty");
	if (given != NULL)
		snprintf(password, sizeof(password), "%s", given);
	else if (hb_secret_generate(password, sizeof(password)) < 0)
		return admind_error_set(err, 500, "internal", "random generator failed");
	if (hb_mailbox_hash(password, hash, sizeof(hash), &error) < 0) {
		hb_secret_wipe(password, sizeof(password));
		return admind_error_set(err, 422, "bad_value", "password: %s", error);
	}
	const char *argv[] = { local, hash, quota };
	ret = change(req, reply, hb_script_mailbox_add, 3, argv, err);
	hb_secret_wipe(hash, sizeof(hash));
	if (ret == 0) {
		address_of(req, local, address, sizeof(address));
		reply->status = 201;
		hbctl_json_obj_begin(&reply->js, NULL);
		hbctl_json_bool(&reply->js, "ok", 1);
		hbctl_json_str(&reply->js, "address", address);
		if (given == NULL)
			hbctl_json_str(&reply->js, "password", password);
		hbctl_json_obj_end(&reply->js);
	}
	hb_secret_wipe(password, sizeof(password));
	return ret < 0 ? -1 : 0;
}

static int alias_add(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char local[HB_LOCAL_MAX + 1], targets[TARGETS_MAX][HB_ADDR_MAX + 1], address[HB_LOCAL_MAX + HB_DOMAIN_MAX + 2];
	const char *argv[TARGETS_MAX + 1], *error;
	int argc = 0, ret;

	if (body_local(req, local, err) < 0)
		return -1;
	argv[argc++] = local;
	for (const struct hb_jnode *t = admind_body_items(&req->json, 1); t != NULL;
	     t = admind_body_next(&req->json, t)) {
		if (argc > TARGETS_MAX)
			return admind_error_set(err, 400, "bad_body", "at most %d targets", TARGETS_MAX);
		if (hb_addr_normalize(t->str, targets[argc - 1], HB_ADDR_MAX + 1, &error) < 0)
			return admind_error_set(err, 422, "bad_value", "invalid target: %s", error);
		argv[argc] = targets[argc - 1];
		argc++;
	}
	if ((ret = change(req, reply, hb_script_alias_add, argc, argv, err)) == 0) {
		address_of(req, local, address, sizeof(address));
		admind_reply_done(reply, "address", address);
	}
	return ret < 0 ? -1 : 0;
}

/* ADDRESS or @DOMAIN, normalised into OUT (HB_ADDR_MAX + 2 bytes). */
static int sender_arg(const char *in, char *out, struct admind_error *err)
{
	const char *error;

	if (in[0] == '@') {
		out[0] = '@';
		if (hb_domain_normalize(in + 1, out + 1, HB_DOMAIN_MAX + 1, &error) < 0)
			return admind_error_set(err, 422, "bad_value", "invalid sender domain: %s", error);
	} else if (hb_addr_normalize(in, out, HB_ADDR_MAX + 1, &error) < 0) {
		return admind_error_set(err, 422, "bad_value", "invalid sender: %s", error);
	}
	return 0;
}

/* A domain admin may let a login send only as addresses of domains granted
 * to them: never as another customer's. */
static int sender_domain_granted(struct admind_request *req, const char *sender,
				 struct admind_error *err)
{
	const char *domain = strrchr(sender, '@') + 1;	/* sender_arg() made sure of the '@' */
	int granted = admind_granted(req, domain, err);

	if (granted < 0)
		return -1;
	if (!granted)
		return admind_error_set(err, 403, "forbidden", "domain %s is not one of yours", domain);
	return 0;
}

static int policy_set(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	const char *argv[POLICY_PAIRS_MAX * 2];
	char values[POLICY_PAIRS_MAX][HB_POLICY_VALUE_MAX];
	const char *error;
	int argc = 0, ret;

	for (const struct hb_jnode *k = admind_body_items(&req->json, 0); k != NULL;
	     k = admind_body_next(&req->json, admind_body_next(&req->json, k))) {
		const struct hb_jnode *v = admind_body_next(&req->json, k);
		const struct hb_policy_def *def = hb_policy_find(k->str, 0);

		if (argc / 2 >= POLICY_PAIRS_MAX)
			return admind_error_set(err, 400, "bad_body", "too many values at once");
		if (def == NULL)
			return admind_error_set(err, 422, "bad_value", "unknown policy value %.40s", k->str);
		if (hb_policy_canonical(def, v->str, values[argc / 2], HB_POLICY_VALUE_MAX, &error) < 0)
			return admind_error_set(err, 422, "bad_value", "%s: %s", def->name, error);
		argv[argc] = def->name;
		argv[argc + 1] = values[argc / 2];
		argc += 2;
	}
	if ((ret = change(req, reply, hb_script_policy_set, argc, argv, err)) == 0)
		admind_reply_done(reply, "domain", req->domain);
	return ret < 0 ? -1 : 0;
}

/* A change to the mailbox of the path: remove, suspend, resume, or a sender right. */
static int mailbox_change(struct admind_request *req, struct admind_reply *reply,
			  struct admind_error *err)
{
	enum admind_endpoint ep = req->route.endpoint;
	char sender[HB_ADDR_MAX + 2], address[HB_LOCAL_MAX + HB_DOMAIN_MAX + 2];
	const char *script, *argv[2] = { req->local, NULL };
	int argc = 1, ret;

	if (ep == ADMIND_EP_SENDER_ALLOW || ep == ADMIND_EP_SENDER_DENY) {
		const char *in = ep == ADMIND_EP_SENDER_ALLOW ? admind_body_str(&req->json, 0) :
			req->route.sender;

		if (sender_arg(in, sender, err) < 0 ||
		    (ep == ADMIND_EP_SENDER_ALLOW && sender_domain_granted(req, sender, err) < 0))
			return -1;
		argv[argc++] = sender;
	} else if (ep == ADMIND_EP_USER_SUSPEND || ep == ADMIND_EP_USER_RESUME) {
		argv[argc++] = ep == ADMIND_EP_USER_SUSPEND ? "suspended" : "active";
	}
	switch (ep) {
	case ADMIND_EP_USER_REMOVE: script = hb_script_mailbox_remove; break;
	case ADMIND_EP_USER_SUSPEND: case ADMIND_EP_USER_RESUME: script = hb_script_mailbox_state; break;
	case ADMIND_EP_ALIAS_REMOVE: script = hb_script_alias_remove; break;
	case ADMIND_EP_SENDER_ALLOW: script = hb_script_sender_allow; break;
	case ADMIND_EP_SENDER_DENY: script = hb_script_sender_deny; break;
	default: return admind_error_set(err, 500, "internal", "no handler");
	}
	if ((ret = change(req, reply, script, argc, argv, err)) == 0) {
		address_of(req, req->local, address, sizeof(address));
		admind_reply_done(reply, "address", address);
	}
	return ret < 0 ? -1 : 0;
}

int admind_change(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	switch (req->route.endpoint) {
	case ADMIND_EP_USER_ADD: return user_add(req, reply, err);
	case ADMIND_EP_ALIAS_ADD: return alias_add(req, reply, err);
	case ADMIND_EP_POLICY_SET: return policy_set(req, reply, err);
	default: return mailbox_change(req, reply, err);
	}
}
