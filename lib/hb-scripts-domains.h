/* hb-scripts-domains.h - Lua scripts that change hosted domains
 * (docs/DOMAINS.md 2, 4, 7): each checks who may make the change, checks the
 * operator's caps, makes the change and appends it to the domain's audit
 * list P audit:DOM (one JSON object per entry) in one atomic Redis step, so that no change happens
 * without its audit entry and no entry without its change.
 *
 * Every script takes the same first five ARGV:
 *   prefix, domain (A-label), who, from, now (Unix seconds)
 * WHO is "operator:NAME" for the operator or "admin:NAME" for a domain admin;
 * an admin may only change a domain in P grant:DOM, and never caps,
 * domain state, grants or domains themselves.  FROM is where the request came
 * from (an address, or "local").  Values arrive canonical (checked and
 * converted in C: lib/hb-addr.c, lib/hb-units.c): sizes and counts as
 * decimal integers, rates as COUNT/SECONDS, "unlimited", or reject|accept.
 *
 * Success returns "OK"; a refusal is an error reply whose first word says
 * why: NODOMAIN, SCOPE (not this admin's domain, or operator only), EXISTS,
 * NOTFOUND, CAP NAME LIMIT (over the operator's cap), BADVALUE NAME. */
#ifndef HB_SCRIPTS_DOMAINS_H
#define HB_SCRIPTS_DOMAINS_H

/* + (none).  Operator only: creates P d:DOM (state active), adds it to
 * P domains; sender rights other domains held on the name die. */
extern const char hb_script_domain_create[];
/* + force (1|0).  Operator only: deletes the domain with its mailboxes,
 * aliases, sender rights, caps and grants, and every sender right and alias
 * target of another domain that names it (P d:DOM:refs), each removal audited
 * where it happens; without force refused while it has mailboxes or aliases
 * (NOTEMPTY N M).  Its audit log is kept, with a
 * last "domain remove" entry. */
extern const char hb_script_domain_remove[];
/* + state (active|suspended).  Operator only. */
extern const char hb_script_domain_state[];
/* + local, password hash, quota bytes (0 = the domain's default).  Refused
 * over caps max_users and max_quota, or when LOCAL is an alias. */
extern const char hb_script_mailbox_add[];
/* + local, state (active|suspended). */
extern const char hb_script_mailbox_state[];
/* + local.  Also drops its sender grants. */
extern const char hb_script_mailbox_remove[];
/* + local, target address...  Creates or extends alias LOCAL@DOM; refused
 * over cap max_aliases for a new alias, or when LOCAL is a mailbox. */
extern const char hb_script_alias_add[];
/* + local. */
extern const char hb_script_alias_remove[];
/* + local (a mailbox), address or @domain it may also send as. */
extern const char hb_script_sender_allow[];
/* + local, address or @domain. */
extern const char hb_script_sender_deny[];
/* + name, value [, name, value ...] (docs/DOMAINS.md 4).  All or nothing:
 * one value over its cap refuses every one. */
extern const char hb_script_policy_set[];
/* + name, value [, ...].  Operator only; caps include max_users,
 * max_aliases, max_quota. */
extern const char hb_script_caps_set[];
/* + admin name.  Operator only: grants DOM to the admin (both mirrors). */
extern const char hb_script_admin_grant[];
/* + admin name.  Operator only; the sender rights the admin granted on DOM
 * to logins of other domains are removed with the grant. */
extern const char hb_script_admin_revoke[];

/* Admin accounts (not domain changes, so other ARGV):
 * ARGV: prefix, name, password hash ($pbkdf2-sha256$...), who, now.  Creates
 * P admin:NAME (with a new generation from P admingen) and P adminpw:NAME
 * and adds NAME to P admins; "OK" or an EXISTS error. */
extern const char hb_script_admin_create[];
/* ARGV: prefix, name, password hash, who, now.  The operator or admin:NAME
 * itself; sets P adminpw:NAME and increments its gen, which ends every
 * session begun before. */
extern const char hb_script_admin_passwd[];
/* ARGV: prefix, name, who, from, now.  Revokes every grant (each one written
 * to that domain's audit log, the sender rights granted under it removed),
 * then deletes the account; "OK" or NOTFOUND.  Sessions of the account end
 * because admind checks the account and its generation on every request. */
extern const char hb_script_admin_remove[];

#endif
