/* probe-reply.h - what a line from a backend means to a health probe or watch
 * connection (docs/DESIGN.md 5): pure functions over one reply line, so that
 * every case is unit-tested.  Dovecot answers like an error when it is only
 * overloaded (a BYE greeting for "Connection queue full", a failed login when
 * auth is slow): those are sickness, never proof of death. */
#ifndef DIRECTOR_PROBE_REPLY_H
#define DIRECTOR_PROBE_REPLY_H

#include <stddef.h>
#include "probe.h"

/* A probe_status, or PROBE_REPLY_MORE: read on. */
#define PROBE_REPLY_MORE (-1)

/* An IMAP greeting: "* OK" is OK (go on), "* BYE" is SICK, anything else
   (another protocol, garbage) is DEAD. */
int probe_reply_imap_greeting(const char *line);
/* A line after the health LOGIN was sent: MORE for untagged lines, SICK for
   a "* BYE" (auth broken, too many commands) or a tagged NO/BAD other than
   [AUTHENTICATIONFAILED], OK for "h1 OK"; *REFUSED_R = 1 (and OK) for a
   wrong password, which is the operator's to fix, not the backend's. */
int probe_reply_imap_login(const char *line, int *refused_r);
/* An LMTP reply line to the greeting (WANT "220") or to LHLO ("250"):
   MORE for "WANT-" continuation lines, OK for "WANT ", SICK for 4xx (the
   protocol's own word for "try later"), DEAD for anything else. */
int probe_reply_lmtp(const char *line, const char *want);
/* LINE made printable (anything outside ASCII 0x20-0x7e becomes '?') and
   cut to fit DST (DST_SIZE > 0): safe to log and store. */
void probe_reply_quote(char *dst, size_t dst_size, const char *line);
/* A BYE text that says the server goes down ("Shutting down", "Server
   shutting down."), in any case. */
int probe_reply_bye_is_shutdown(const char *bye);

#endif
