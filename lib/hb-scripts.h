/* hb-scripts.h - the Lua scripts that change routing state in one atomic Redis
 * step (docs/DESIGN.md, 2 and 4).  Every script gets the key prefix as ARGV[1]. */
#ifndef HB_SCRIPTS_H
#define HB_SCRIPTS_H

/* ARGV: prefix, user, now_s, now_ms, expire_s, candidate names...
 * Returns {"OK",name} {"NEW",name,old} {"WAIT",why} {"NONE"}. */
extern const char hb_script_route[];
/* ARGV: prefix, user, port field (e.g. "imap_port"), now_s, recipient
 * delimiter the caller normalised USER with.  Read-only fast path of the
 * passdb module: returns {"OK",name,host,port,ttl_ms} for a live assignment to a
 * usable backend (not refreshed: see hb-scripts.c), {"DELIM",delimiter}
 * when the directors' delimiter differs, else {"ASK",why}: ask a director. */
extern const char hb_script_route_known[];
/* ARGV: prefix, user, target, expire_s, now_s.  Assigns USER to TARGET and
 * deletes move:USER, only while move:USER still names TARGET (else an error
 * reply).  Returns old backend name or "". */
extern const char hb_script_move_commit[];
/* ARGV: prefix, instance_id, ttl_ms.  Takes or renews the health lease.
 * Returns 1 if this instance holds it, 0 otherwise. */
extern const char hb_script_lease[];
/* ARGV: prefix, name, result (ok|sick|slow|dead|silent), reason, now_s,
 * ok_count, fence_ms, now_ms, probe_ms (-1: unknown), degrade_probe_ms (0:
 * off), degrade_enter_count, degrade_leave_count, events channel.  Counts a
 * health result (docs/DESIGN.md 5): ok_count oks in a row restore `ok`, dead
 * or silent fail the backend at once, setting fence_until = now_ms +
 * fence_ms (when > 0) and publishing "backend NAME" on the channel.  While it
 * is not failed, `degraded` follows the node's published lock pressure,
 * probe_ms and sick or slow rounds, with the enter/leave round counts as
 * hysteresis.  Returns {health, changed(1|0), "degraded"|"normal",
 * degraded_changed(1|0), reason}. */
extern const char hb_script_health[];
/* ARGV: prefix, user, old backend, now_ms, candidate names...  Moves USER
 * off failed backend OLD to the first candidate that takes new users, as
 * long as its assignment names OLD, OLD is unusable and unfenced, and no
 * move runs.  Returns {"NEW",name} or {"GONE"} (not OLD's any more; dropped
 * from users:OLD), {"SKIP"} (moving), {"KEEP"} (OLD usable again),
 * {"FENCED"}, {"NONE"} (no candidate). */
extern const char hb_script_reassign[];
/* ARGV: prefix, name, level (ok|warn|crit|unknown), reason, held, waiting,
 * oldest_s, now_s, ttl_ms.  Stores a node's lock census summary in
 * P pressure:NAME for ttl_ms; an error reply if backend NAME does not exist. */
extern const char hb_script_pressure[];
/* ARGV: prefix, backend, now_s, expire_s, users...  The users have sessions
 * open on BACKEND (session census, docs/DESIGN.md 4): an assignment to
 * BACKEND is refreshed, a missing one is set to BACKEND (unless move:USER
 * exists), one to another backend is left alone and reported.  Returns
 * {user1, assigned_backend1, user2, ...} for those mismatches. */
extern const char hb_script_census[];

/* KEYS: P backend:NAME.  ARGV: result (ok|refused|unreachable|error),
 * now_s, reason, director instance id, keep_s.  Stores a director's check of
 * its doveadm API key (director/apikey.c) in the doveadm_api* fields of an
 * existing backend.  A refusal another director stored less than keep_s ago
 * is kept (each director re-checks a refusing backend well within keep_s):
 * one director with the right key does not hide another with a wrong one.
 * Returns 1 if stored, 0 if not. */
extern const char hb_script_apikey[];

/* KEYS: P d:DOM, P d:DOM:policy, P caps:DOM, P d:DOM:u:LOCAL, P pw:DOM:LOCAL
 * (docs/DOMAINS.md, 6); read-only.
 * Returns {} when the domain or mailbox does not exist, else {domain_state,
 * domain_quota, cap_quota, user_state, password, user_quota} (false = unset). */
extern const char hb_script_userdb[];

/* ARGV: prefix, now_s, expire_s.  Returns {epoch, name1, {field, value...},
 * live_user_count1, name2, ...} for every backend. */
extern const char hb_script_snapshot[];

#endif
