/* probe.h - one protocol probe of one backend port: IMAP greeting or LMTP
 * greeting + LHLO.  Bounded by a timeout and an input limit; never blocks. */
#ifndef DIRECTOR_PROBE_H
#define DIRECTOR_PROBE_H

#include <event2/event.h>

enum probe_kind { PROBE_IMAP, PROBE_LMTP };

/* OK is 1 on success; REASON says what failed otherwise. */
typedef void probe_done_cb(void *ctx, int ok, const char *reason);

struct probe;

/* Start probing HOST:PORT; DONE is called exactly once, later, unless the
 * probe is cancelled first.  Returns NULL (and never calls DONE) only when it
 * cannot allocate. */
struct probe *probe_start(struct event_base *base, enum probe_kind kind, const char *host,
			  unsigned int port, unsigned int timeout_ms,
			  probe_done_cb *done, void *ctx);
/* Stop a running probe without calling its DONE. */
void probe_cancel(struct probe *probe);

#endif
