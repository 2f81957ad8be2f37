/* hb-scripts-admin.h - Lua scripts that hbctl uses to change backends in one
 * atomic Redis step (docs/DESIGN.md, 1 and 4).  Each one increments P epoch
 * when it changes anything.  Every script gets the key prefix as ARGV[1]. */
#ifndef HB_SCRIPTS_ADMIN_H
#define HB_SCRIPTS_ADMIN_H

/* ARGV: prefix, name, host, imap, pop3, lmtp, submission, sieve, doveadm
 * ports, weight.  Creates the backend (state up, health unknown).
 * Returns "OK" or "EXISTS". */
extern const char hb_script_backend_add[];

/* ARGV: prefix, name, expect, field, value [, field, value ...].  EXPECT is
 * "" (any admin state) or a space-separated list of admin states the backend
 * must be in.  Returns {"OK", old_state}, {"NOTFOUND"} or {"STATE", state}. */
extern const char hb_script_backend_update[];

/* ARGV: prefix, name, force(1|0).  Without force refuses a backend whose
 * admin state is up or that still has assigned users (user:U names it).
 * Returns {"OK"}, {"NOTFOUND"}, {"UP"} or {"USERS", count (capped at 1000)}. */
extern const char hb_script_backend_remove[];

/* ARGV: prefix, name, fence_ms.  Clears fence_until if it still is FENCE_MS
 * (the fence this hbctl set).  Returns 1 if cleared, 0 otherwise. */
extern const char hb_script_backend_unfence[];

#endif
