/* reads.c - the read-only endpoints of a domain admin (docs/ADMIND.md 3):
 * their session, their domains, a domain's policy values with the caps and
 * the effective values, mailboxes, aliases, sender rights and the audit log.
 * Every domain here has passed dispatch.c's grant check; the JSON has the
 * shape `hbctl --json` prints in operator mode, so hbctl --server shows it
 * the same way.  Never returns a password hash. */
#include "admind.h"
#include "hb-audit.h"
#include "hb-keys.h"
#include "hb-policy.h"
#include "hb-redis.h"
#include "hb-settings.h"

#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 256

/* The members of a set, sorted: a NULL-terminated array of the reply's
 * strings (members_free() frees both). */
struct members {
	redisReply *reply;
	const char **names;
};

struct domain_info {
	char state[FIELD_MAX], created[FIELD_MAX], by[FIELD_MAX];
	long long users, aliases;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void members_free(struct members *m)
{
	free(m->names);
	if (m->reply != NULL)
		freeReplyObject(m->reply);
	m->names = NULL;
	m->reply = NULL;
}

static int members_load(struct admind *ad, const char *key, struct members *m,
			struct admind_error *err)
{
	const char *argv[] = { "SMEMBERS", key };
	size_t n = 0;

	m->names = NULL;
	if (admind_redis(ad, &m->reply, 2, argv, err) < 0)
		return -1;
	m->names = calloc(m->reply->elements + 1, sizeof(char *));
	if (m->names == NULL) {
		members_free(m);
		(void)admind_error_set(err, 500, "internal", "out of memory");
		return -1;	/* spelled out: callers read m->names only after 0 */
	}
	for (size_t i = 0; i < m->reply->elements; i++) {
		if (m->reply->element[i]->type == REDIS_REPLY_STRING)
			m->names[n++] = m->reply->element[i]->str;
	}
	qsort(m->names, n, sizeof(char *), cmp_str);
	return 0;
}

static const char *dkey(struct admind_request *req, char *buf, enum hb_domain_key_kind kind,
			const char *domain, const char *local)
{
	if (hb_domain_key(buf, HB_KEY_MAX, req->ad->set->key_prefix, kind, domain, local) == 0)
		buf[0] = '\0';
	return buf;
}

/* COUNT fields of hash KEY into VALUES (FIELD_MAX bytes each, "" when unset). */
static int hash_fields(struct admind *ad, const char *key, const char *const *fields, size_t count,
		       char (*values)[FIELD_MAX], struct admind_error *err)
{
	const char *argv[24];
	redisReply *r;

	if (count > 22)
		return admind_error_set(err, 500, "internal", "too many fields");
	argv[0] = "HMGET";
	argv[1] = key;
	for (size_t i = 0; i < count; i++)
		argv[2 + i] = fields[i];
	if (admind_redis(ad, &r, (int)count + 2, argv, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const redisReply *e = r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;

		snprintf(values[i], FIELD_MAX, "%s", e != NULL && e->type == REDIS_REPLY_STRING ? e->str : "");
	}
	freeReplyObject(r);
	return 0;
}

static long long scard(struct admind_request *req, const char *domain, enum hb_domain_key_kind kind,
		       struct admind_error *err)
{
	char key[HB_KEY_MAX];
	redisReply *r;
	long long n;

	const char *argv[] = { "SCARD", dkey(req, key, kind, domain, NULL) };
	if (admind_redis(req->ad, &r, 2, argv, err) < 0)
		return -1;
	n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return n;
}

/* 404 when the domain is gone (removed since it was granted). */
static int domain_info_load(struct admind_request *req, const char *domain, struct domain_info *info,
			    struct admind_error *err)
{
	static const char *const fields[] = { "state", "created", "created_by" };
	char key[HB_KEY_MAX], values[3][FIELD_MAX];

	if (hash_fields(req->ad, dkey(req, key, HB_DKEY_DOMAIN, domain, NULL), fields, 3, values, err) < 0 ||
	    (info->users = scard(req, domain, HB_DKEY_USERS, err)) < 0 ||
	    (info->aliases = scard(req, domain, HB_DKEY_ALIASES, err)) < 0)
		return -1;
	if (values[0][0] == '\0')
		return admind_error_set(err, 404, "not_found", "no such domain: %s", domain);
	memcpy(info->state, values[0], FIELD_MAX);
	memcpy(info->created, values[1], FIELD_MAX);
	memcpy(info->by, values[2], FIELD_MAX);
	return 0;
}

/* The fields of a row of `domain list` into the open object. */
static void put_domain(struct hbctl_json *js, const char *domain, const struct domain_info *info)
{
	hbctl_json_str(js, "domain", domain);
	hbctl_json_str(js, "state", info->state);
	hbctl_json_int(js, "mailboxes", info->users);
	hbctl_json_int(js, "aliases", info->aliases);
}

/* The admin's domains as they are now: both grant mirrors must agree. */
static int granted_domains(struct admind_request *req, struct members *m, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	size_t n = 0;

	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_ADMIN_DOMAINS, req->admin);
	if (members_load(req->ad, key, m, err) < 0)
		return -1;
	for (size_t i = 0; m->names[i] != NULL; i++) {
		int granted = admind_granted(req, m->names[i], err);

		if (granted < 0) {
			members_free(m);
			return -1;
		}
		if (granted)
			m->names[n++] = m->names[i];
	}
	m->names[n] = NULL;
	return 0;
}

int admind_session_show(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	struct members m;
	redisReply *r;

	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_SESSION, req->session);
	const char *argv[] = { "TTL", key };
	if (granted_domains(req, &m, err) < 0)
		return -1;
	if (admind_redis(req->ad, &r, 2, argv, err) < 0) {
		members_free(&m);
		return -1;
	}
	hbctl_json_obj_begin(&reply->js, NULL);
	hbctl_json_str(&reply->js, "admin", req->admin);
	hbctl_json_arr_begin(&reply->js, "domains");
	for (size_t i = 0; m.names[i] != NULL; i++)
		hbctl_json_str(&reply->js, NULL, m.names[i]);
	hbctl_json_arr_end(&reply->js);
	hbctl_json_int(&reply->js, "expires_in", r->type == REDIS_REPLY_INTEGER ? r->integer : 0);
	hbctl_json_obj_end(&reply->js);
	freeReplyObject(r);
	members_free(&m);
	return 0;
}

int admind_domain_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	struct members m;
	struct domain_info info;

	if (granted_domains(req, &m, err) < 0)
		return -1;
	hbctl_json_arr_begin(&reply->js, NULL);
	for (size_t i = 0; m.names[i] != NULL; i++) {
		if (domain_info_load(req, m.names[i], &info, err) < 0) {
			if (err->status == 404)
				continue;	/* removed meanwhile */
			members_free(&m);
			return -1;
		}
		hbctl_json_obj_begin(&reply->js, NULL);
		put_domain(&reply->js, m.names[i], &info);
		hbctl_json_obj_end(&reply->js);
	}
	hbctl_json_arr_end(&reply->js);
	members_free(&m);
	return 0;
}

int admind_domain_show(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char key[HB_KEY_MAX];
	struct domain_info info;
	struct members admins;

	if (domain_info_load(req, req->domain, &info, err) < 0 ||
	    members_load(req->ad, dkey(req, key, HB_DKEY_ADMINS, req->domain, NULL), &admins, err) < 0)
		return -1;
	hbctl_json_obj_begin(&reply->js, NULL);
	put_domain(&reply->js, req->domain, &info);
	hbctl_json_int(&reply->js, "created", atoll(info.created));
	hbctl_json_str(&reply->js, "created_by", info.by);
	hbctl_json_arr_begin(&reply->js, "admins");
	for (size_t i = 0; admins.names[i] != NULL; i++)
		hbctl_json_str(&reply->js, NULL, admins.names[i]);
	hbctl_json_arr_end(&reply->js);
	hbctl_json_obj_end(&reply->js);
	members_free(&admins);
	return 0;
}

int admind_policy_show(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	const char *names[24];
	char key[HB_KEY_MAX], values[24][FIELD_MAX], caps[24][FIELD_MAX];
	size_t count = hb_policy_def_count < 22 ? hb_policy_def_count : 22;

	for (size_t i = 0; i < count; i++)
		names[i] = hb_policy_defs[i].name;
	if (hash_fields(req->ad, dkey(req, key, HB_DKEY_POLICY, req->domain, NULL), names, count,
			values, err) < 0 ||
	    hash_fields(req->ad, dkey(req, key, HB_DKEY_CAPS, req->domain, NULL), names, count,
			caps, err) < 0)
		return -1;
	hbctl_json_arr_begin(&reply->js, NULL);
	for (size_t i = 0; i < count; i++) {
		const struct hb_policy_def *def = &hb_policy_defs[i];
		const char *value = def->cap_only ? "" : values[i];
		char eff[HB_POLICY_VALUE_MAX];

		/* the milter's rule: min(value or default, cap) */
		if (hb_policy_effective(def, value, caps[i], eff, sizeof(eff), NULL) < 0)
			snprintf(eff, sizeof(eff), "invalid");
		hbctl_json_obj_begin(&reply->js, NULL);
		hbctl_json_str(&reply->js, "name", def->name);
		hbctl_json_str(&reply->js, "value", value);
		hbctl_json_str(&reply->js, "cap", caps[i]);
		hbctl_json_str(&reply->js, "effective", eff);
		hbctl_json_obj_end(&reply->js);
	}
	hbctl_json_arr_end(&reply->js);
	return 0;
}

int admind_user_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	static const char *const fields[] = { "state", "quota" };
	char key[HB_KEY_MAX], values[2][FIELD_MAX], address[HB_LOCAL_MAX + HB_DOMAIN_MAX + 2];
	struct members m;

	if (members_load(req->ad, dkey(req, key, HB_DKEY_USERS, req->domain, NULL), &m, err) < 0)
		return -1;
	hbctl_json_arr_begin(&reply->js, NULL);
	for (size_t i = 0; m.names[i] != NULL; i++) {
		if (hash_fields(req->ad, dkey(req, key, HB_DKEY_MAILBOX, req->domain, m.names[i]),
				fields, 2, values, err) < 0) {
			members_free(&m);
			return -1;
		}
		snprintf(address, sizeof(address), "%s@%s", m.names[i], req->domain);
		hbctl_json_obj_begin(&reply->js, NULL);
		hbctl_json_str(&reply->js, "address", address);
		hbctl_json_str(&reply->js, "state", values[0][0] != '\0' ? values[0] : "?");
		hbctl_json_int(&reply->js, "quota", atoll(values[1]));
		hbctl_json_obj_end(&reply->js);
	}
	hbctl_json_arr_end(&reply->js);
	members_free(&m);
	return 0;
}

/* The members of KEY as a JSON array named NAME (NULL: a bare array). */
static int put_members(struct admind_request *req, const char *key, const char *name,
		       struct admind_reply *reply, struct admind_error *err)
{
	struct members m;

	if (members_load(req->ad, key, &m, err) < 0)
		return -1;
	hbctl_json_arr_begin(&reply->js, name);
	for (size_t i = 0; m.names[i] != NULL; i++)
		hbctl_json_str(&reply->js, NULL, m.names[i]);
	hbctl_json_arr_end(&reply->js);
	members_free(&m);
	return 0;
}

int admind_alias_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char key[HB_KEY_MAX], address[HB_LOCAL_MAX + HB_DOMAIN_MAX + 2];
	struct members m;

	if (members_load(req->ad, dkey(req, key, HB_DKEY_ALIASES, req->domain, NULL), &m, err) < 0)
		return -1;
	hbctl_json_arr_begin(&reply->js, NULL);
	for (size_t i = 0; m.names[i] != NULL; i++) {
		snprintf(address, sizeof(address), "%s@%s", m.names[i], req->domain);
		hbctl_json_obj_begin(&reply->js, NULL);
		hbctl_json_str(&reply->js, "address", address);
		if (put_members(req, dkey(req, key, HB_DKEY_ALIAS, req->domain, m.names[i]), "targets",
				reply, err) < 0) {
			members_free(&m);
			return -1;
		}
		hbctl_json_obj_end(&reply->js);
	}
	hbctl_json_arr_end(&reply->js);
	members_free(&m);
	return 0;
}

int admind_sender_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char key[HB_KEY_MAX];

	return put_members(req, dkey(req, key, HB_DKEY_SENDERS, req->domain, req->local), NULL,
			   reply, err);
}

/* Entries oldest first; one that does not decode is listed as such. */
int admind_audit(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	char key[HB_KEY_MAX], first[16];
	redisReply *r;

	hb_key(key, sizeof(key), req->ad->set->key_prefix, HB_KEY_AUDIT, req->domain);
	snprintf(first, sizeof(first), "-%u", req->route.audit_count);
	const char *argv[] = { "LRANGE", key, first, "-1" };
	if (admind_redis(req->ad, &r, 4, argv, err) < 0)
		return -1;
	hbctl_json_arr_begin(&reply->js, NULL);
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *el = r->element[i];
		struct hb_audit_entry e;
		int ok = el->type == REDIS_REPLY_STRING &&
			 hb_audit_entry_parse(el->str, el->len, &e) == 0;

		hbctl_json_obj_begin(&reply->js, NULL);
		hbctl_json_int(&reply->js, "time", ok ? e.time : 0);
		for (size_t j = 0; j < HB_AUDIT_FIELDS; j++)
			hbctl_json_str(&reply->js, hb_audit_field_names[j],
				       ok ? e.field[j] : j == HB_AUDIT_ACTION ? "(unreadable entry)" : "");
		hbctl_json_obj_end(&reply->js);
		if (ok)
			hb_audit_entry_free(&e);
	}
	hbctl_json_arr_end(&reply->js);
	freeReplyObject(r);
	return 0;
}
