/* hb-keys.c - builds every Redis key and pub/sub channel name from the
 * configured prefix (docs/DESIGN.md, 1).  No other file may spell a key. */
#include "hb-keys.h"

#include <stdio.h>

static const char *key_suffix(enum hb_key_kind kind, int *needs_name_r,
			      const char **tail_r)
{
	*needs_name_r = 1;
	*tail_r = "";
	switch (kind) {
	case HB_KEY_BACKENDS: *needs_name_r = 0; return "backends";
	case HB_KEY_BACKEND: return "backend:";
	case HB_KEY_USER: return "user:";
	case HB_KEY_BACKEND_USERS: return "users:";
	case HB_KEY_MOVE: return "move:";
	case HB_KEY_HEALTH_LEASE: *needs_name_r = 0; return "lease:health";
	case HB_KEY_DIRECTOR: return "director:";
	case HB_KEY_EPOCH: *needs_name_r = 0; return "epoch";
	case HB_KEY_ROUTING: *needs_name_r = 0; return "routing";
	case HB_KEY_DOMAINS: *needs_name_r = 0; return "domains";
	case HB_KEY_AUDIT: return "audit:";
	case HB_KEY_ADMINS: *needs_name_r = 0; return "admins";
	case HB_KEY_ADMIN: return "admin:";
	case HB_KEY_ADMIN_DOMAINS: *tail_r = ":domains"; return "admin:";
	case HB_KEY_ADMIN_PASSWORD: return "adminpw:";
	case HB_KEY_ADMIN_GEN: *needs_name_r = 0; return "admingen";
	case HB_KEY_SESSION: return "session:";
	case HB_KEY_PRESSURE: return "pressure:";
	case HB_KEY_EVENTS: *needs_name_r = 0; return "events";
	}
	return NULL;
}

size_t hb_key(char *buf, size_t size, const char *prefix,
	      enum hb_key_kind kind, const char *name)
{
	int needs_name;
	const char *tail;
	const char *suffix = key_suffix(kind, &needs_name, &tail);
	int len;

	if (suffix == NULL || (needs_name && (name == NULL || *name == '\0')))
		return 0;
	len = snprintf(buf, size, "%s%s%s%s", prefix, suffix, needs_name ? name : "", tail);
	if (len < 0 || (size_t)len >= size)
		return 0;
	return (size_t)len;
}

/* The key is HEAD DOM PART [LOCAL]. */
static const char *domain_key_part(enum hb_domain_key_kind kind, const char **head_r,
				   int *needs_local_r)
{
	*head_r = "d:";
	*needs_local_r = 0;
	switch (kind) {
	case HB_DKEY_DOMAIN: return "";
	case HB_DKEY_POLICY: return ":policy";
	case HB_DKEY_CAPS: *head_r = "caps:"; return "";
	case HB_DKEY_USERS: return ":users";
	case HB_DKEY_MAILBOX: *needs_local_r = 1; return ":u:";
	case HB_DKEY_PASSWORD: *head_r = "pw:"; *needs_local_r = 1; return ":";
	case HB_DKEY_ALIASES: return ":aliases";
	case HB_DKEY_ALIAS: *needs_local_r = 1; return ":a:";
	case HB_DKEY_SENDERS: *needs_local_r = 1; return ":send:";
	case HB_DKEY_REFS: return ":refs";
	case HB_DKEY_ADMINS: *head_r = "grant:"; return "";
	}
	return NULL;
}

size_t hb_domain_key(char *buf, size_t size, const char *prefix,
		     enum hb_domain_key_kind kind, const char *domain,
		     const char *local)
{
	int needs_local;
	const char *head;
	const char *part = domain_key_part(kind, &head, &needs_local);
	int len;

	if (part == NULL || domain == NULL || *domain == '\0' ||
	    (needs_local && (local == NULL || *local == '\0')))
		return 0;
	len = snprintf(buf, size, "%s%s%s%s%s", prefix, head, domain, part,
		       needs_local ? local : "");
	if (len < 0 || (size_t)len >= size)
		return 0;
	return (size_t)len;
}
