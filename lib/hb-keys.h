/* hb-keys.h - the Redis key schema (docs/DESIGN.md, 1).  This is the only
 * place where key and pub/sub channel names are formed; callers pass the
 * configured prefix. */
#ifndef HB_KEYS_H
#define HB_KEYS_H

#include <stddef.h>

#define HB_KEY_MAX 600

enum hb_key_kind {
	HB_KEY_BACKENDS,      /* P backends            (no name) */
	HB_KEY_BACKEND,       /* P backend:NAME */
	HB_KEY_USER,          /* P user:USER */
	HB_KEY_BACKEND_USERS, /* P users:NAME */
	HB_KEY_MOVE,          /* P move:USER */
	HB_KEY_HEALTH_LEASE,  /* P lease:health        (no name) */
	HB_KEY_DIRECTOR,      /* P director:ID */
	HB_KEY_EPOCH,         /* P epoch               (no name) */
	HB_KEY_ROUTING,       /* P routing             (no name) */
	HB_KEY_DOMAINS,       /* P domains             (no name) */
	HB_KEY_AUDIT,         /* P audit:DOM (a list: RPUSH only, see DOMAINS.md 7) */
	HB_KEY_ADMINS,        /* P admins              (no name) */
	HB_KEY_ADMIN,         /* P admin:NAME (the account; operator writes) */
	HB_KEY_ADMIN_DOMAINS, /* P admin:NAME:domains */
	HB_KEY_ADMIN_PASSWORD,/* P adminpw:NAME (password hash; admind may change) */
	HB_KEY_ADMIN_GEN,     /* P admingen            (no name): account generations */
	HB_KEY_SESSION,       /* P session:HASH (hex SHA-256 of an admind token) */
	HB_KEY_PRESSURE,      /* P pressure:NAME (lock pressure a node publishes) */
	HB_KEY_EVENTS,        /* P events              (no name): the pub/sub
			       * channel of health changes (docs/DESIGN.md 4) */
};

/* Write the key into BUF; returns its length, or 0 if it does not fit or NAME
 * is missing for a kind that needs one. */
size_t hb_key(char *buf, size_t size, const char *prefix,
	      enum hb_key_kind kind, const char *name);

/* Keys of one hosted domain (docs/DOMAINS.md, 2).  What a domain admin may
 * change lives under P d:DOM:* (one ACL pattern for admind); what only the
 * operator may change (the domain itself, caps, grants) and what admind may
 * write but never read (mailbox password hashes) lives elsewhere, so that
 * each Redis user's key patterns say exactly what it may do. */
enum hb_domain_key_kind {
	HB_DKEY_DOMAIN,    /* P d:DOM          state, created (operator) */
	HB_DKEY_POLICY,    /* P d:DOM:policy   policy values */
	HB_DKEY_CAPS,      /* P caps:DOM       operator caps */
	HB_DKEY_USERS,     /* P d:DOM:users */
	HB_DKEY_MAILBOX,   /* P d:DOM:u:LOCAL */
	HB_DKEY_PASSWORD,  /* P pw:DOM:LOCAL   mailbox password hash */
	HB_DKEY_ALIASES,   /* P d:DOM:aliases */
	HB_DKEY_ALIAS,     /* P d:DOM:a:LOCAL */
	HB_DKEY_SENDERS,   /* P d:DOM:send:LOCAL */
	HB_DKEY_REFS,      /* P d:DOM:refs     rights and aliases of other
			    *                  domains that name DOM */
	HB_DKEY_ADMINS,    /* P grant:DOM      admins granted DOM */
};

/* Like hb_key() for DOMAIN (an A-label) and, for the kinds that name one,
 * LOCAL (a normalised local part; NULL otherwise). */
size_t hb_domain_key(char *buf, size_t size, const char *prefix,
		     enum hb_domain_key_kind kind, const char *domain,
		     const char *local);

#endif
