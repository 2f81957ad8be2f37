/* watch.h - one idle IMAP connection to a backend, kept open by the health
 * lease holder between its probes (health.c keeps one per backend).  When a
 * node crashes its kernel closes the connection at once; the health checks
 * hear of it in milliseconds instead of at the next round (docs/DESIGN.md 5).
 * A watch only ever reports; health.c confirms with a probe before it acts. */
#ifndef DIRECTOR_WATCH_H
#define DIRECTOR_WATCH_H

#include <event2/event.h>
#include "hb-backend.h"

struct watch;

/* The watch's connection ended and the watch is freed (the owner forgets its
 * pointer here).  REASON is set when the end suggests a death: closed or
 * reset without a BYE, or a BYE that says the server shuts down; NULL when
 * it does not (a BYE for inactivity, "Connection queue full", a connect
 * that failed: the probes deal with that). */
typedef void watch_end_cb(void *ctx, const char *reason);

/* Connect to BACKEND's IMAP port; NULL when it has none or memory ran out. */
struct watch *watch_open(struct event_base *base, const struct hb_backend *backend,
			 watch_end_cb *end, void *ctx);
/* 1 when the watch should be replaced: BACKEND's address or IMAP port
 * changed, or it is older than Dovecot's login timeout allows. */
int watch_stale(const struct watch *watch, const struct hb_backend *backend, long long now_ms);
/* Close quietly (END is not called). */
void watch_close(struct watch **watch);

#endif
