/* probe.h - one protocol probe of one backend port: IMAP greeting (and, when
 * configured, a LOGIN as a health user) or LMTP greeting + LHLO.  Bounded by
 * a timeout and an input limit; never blocks. */
#ifndef DIRECTOR_PROBE_H
#define DIRECTOR_PROBE_H

#include <event2/event.h>

enum probe_kind { PROBE_IMAP, PROBE_LMTP };

/* OK is 1 on success; REASON says what failed otherwise.  A refused health
 * LOGIN is a success (the backend answered; a wrong password must not fail
 * over every backend) with REASON saying so. */
typedef void probe_done_cb(void *ctx, int ok, const char *reason);

/* IMAP LOGIN after the greeting, so that the probe's time is a login's:
 * USER and PASSWORD must be free of '"', '\', CR and LF (checked by the
 * caller, probe_login_valid()). */
struct probe_login {
	const char *user;
	const char *password;
};
int probe_login_valid(const char *value);

struct probe;

/* Start probing HOST:PORT; DONE is called exactly once, later, unless the
 * probe is cancelled first.  Returns NULL (and never calls DONE) only when it
 * cannot allocate. */
struct probe *probe_start(struct event_base *base, enum probe_kind kind, const char *host,
			  unsigned int port, unsigned int timeout_ms,
			  const struct probe_login *login, probe_done_cb *done, void *ctx);
/* Stop a running probe without calling its DONE. */
void probe_cancel(struct probe *probe);

#endif
