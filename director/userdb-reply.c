/* userdb-reply.c - the USERDB reply from a user record (docs/DOMAINS.md, 6).
 * The record comes from Redis, which a domain admin's tools write: every
 * value is checked here, and a value that could break the line protocol or
 * Dovecot's field syntax is never passed on. */
#include "userdb-reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int value_clean(const char *value)
{
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	}
	return 1;
}

/* A stored size: decimal bytes, "-1" = unlimited.  NULL/"" = unset (1),
   malformed (-1), else 0 with *BYTES_R. */
static int parse_quota(const char *value, long long *bytes_r)
{
	char *end;
	long long v;

	if (value == NULL || value[0] == '\0')
		return 1;
	if (!(value[0] == '-' || (value[0] >= '0' && value[0] <= '9')))
		return -1; /* strtoll would skip spaces and take '+' */
	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0' || end == value || v < -1)
		return -1;
	*bytes_r = v;
	return 0;
}

/* min(mailbox quota or else the domain's, the cap); -1 = unlimited.  The
   mailbox's 0 means "the domain's"; a domain's or cap's 0 or -1 unlimited. */
static int effective_quota(const struct userdb_record *rec, long long *bytes_r)
{
	long long user = 0, domain = USERDB_DEFAULT_QUOTA_BYTES, cap = -1, base;

	if (parse_quota(rec->user_quota, &user) < 0 ||
	    parse_quota(rec->domain_quota, &domain) < 0 ||
	    parse_quota(rec->cap_quota, &cap) < 0)
		return -1;
	if (domain == 0)
		domain = -1;
	if (cap == 0)
		cap = -1;
	base = user > 0 ? user : (user == -1 ? -1 : domain);
	if (cap >= 0 && (base < 0 || cap < base))
		base = cap;
	*bytes_r = base;
	return 0;
}

static int reply(char *out, size_t size, int len)
{
	return len < 0 || (size_t)len >= size ? -1 : len;
}

static int disabled_reason(const struct userdb_record *rec, const char **reason_r)
{
	if (rec->domain_state == NULL || strcmp(rec->domain_state, "active") != 0) {
		*reason_r = rec->domain_state != NULL &&
			strcmp(rec->domain_state, "suspended") == 0 ?
			"domain suspended" : "domain not active";
		return 1;
	}
	if (rec->user_state != NULL && strcmp(rec->user_state, "active") != 0) {
		*reason_r = strcmp(rec->user_state, "suspended") == 0 ?
			"mailbox suspended" : "mailbox not active";
		return 1;
	}
	return 0;
}

int userdb_reply_format(char *out, size_t size, const char *id, const char *user,
			const struct userdb_record *rec)
{
	const char *reason;
	long long quota;
	char quota_field[64] = "";

	if (!rec->found)
		return reply(out, size, snprintf(out, size, "NOUSER\t%s\n", id));
	if (disabled_reason(rec, &reason))
		return reply(out, size, snprintf(out, size, "DISABLED\t%s\t%s\n", id, reason));
	if (rec->password == NULL || rec->password[0] == '\0' ||
	    !value_clean(rec->password) || strchr(rec->password, ' ') != NULL ||
	    effective_quota(rec, &quota) < 0)
		return reply(out, size, snprintf(out, size, "TEMPFAIL\t%s\tcorrupt record\n", id));
	if (quota >= 0)
		snprintf(quota_field, sizeof(quota_field), "\tquota_rule=*:storage=%lldB", quota);
	return reply(out, size, snprintf(out, size, "USER\t%s\tuser=%s\tpassword=%s%s\n",
					 id, user, rec->password, quota_field));
}
