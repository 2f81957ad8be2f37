/* probe.h - one protocol probe of one backend port: IMAP greeting (and, when
 * configured, a LOGIN as a health user) or LMTP greeting + LHLO.  Bounded by
 * a timeout and an input limit; never blocks.  Its result says how sure it
 * is (docs/DESIGN.md 5): a refused or reset connection is proof of death, an
 * answer that is not the right one is proof of life, silence proves nothing. */
#ifndef DIRECTOR_PROBE_H
#define DIRECTOR_PROBE_H

#include <event2/event.h>

enum probe_kind { PROBE_IMAP, PROBE_LMTP };

enum probe_status {
	/* it answered as it should */
	PROBE_OK,
	/* it answered, but not well: a BYE or 4xx greeting, a failed health
	   login; Dovecot answers like this when it is overloaded, so it is
	   a sign of life and of sickness, never of death */
	PROBE_SICK,
	/* definitive: connection refused or reset, closed without a word, a
	   5xx or a reply of another protocol */
	PROBE_DEAD,
	/* no answer within the timeout, or a connect that failed in a way a
	   busy or unreachable host also causes: proves nothing */
	PROBE_SILENT,
};

const char *probe_status_name(enum probe_status status);

/* REASON says what happened (NULL for a plain PROBE_OK).  PROBE_OK with a
 * REASON means the backend refused the health LOGIN itself (a wrong
 * password must not fail over every backend). */
typedef void probe_done_cb(void *ctx, enum probe_status status, const char *reason);

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
/* 1 once the backend sent anything at all on this probe (a sign of life,
 * however slow the rest of the answer is). */
int probe_heard(const struct probe *probe);
/* Stop a running probe without calling its DONE. */
void probe_cancel(struct probe *probe);

#endif
