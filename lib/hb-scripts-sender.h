/* hb-scripts-sender.h - the milter's sender-rights check in one read-only
 * Redis step (docs/DOMAINS.md 2; docs/MILTER.md 2): may the
 * authenticated login LOCAL@DOMAIN use each of the given envelope/header
 * From addresses?  Allowed are its own address, an address or @domain granted
 * in P d:DOM:send:LOCAL, and an alias of a hosted domain whose targets
 * include the login.  Run with EVAL_RO / EVALSHA_RO. */
#ifndef HB_SCRIPTS_SENDER_H
#define HB_SCRIPTS_SENDER_H

/* ARGV: prefix, login local part, login domain (A-label), then the
 * candidate addresses (normalised local@alabel).  Returns {domain_state,
 * login_state, verdict...} with "" for a missing domain or mailbox and one
 * verdict per candidate: "own", "granted", "domain" (an @domain grant),
 * "alias", or "no". */
extern const char hb_script_sender_check[];

#endif
