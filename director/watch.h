/* watch.h - one idle IMAP connection per backend, kept open by the health
 * lease holder between its probes.  When a node crashes its kernel closes
 * the connection at once; the health checks hear of it in milliseconds
 * instead of at the next round (docs/DESIGN.md 5).  A watch only ever
 * reports; health.c confirms with a probe before it acts. */
#ifndef DIRECTOR_WATCH_H
#define DIRECTOR_WATCH_H

#include "hb-backend.h"

struct director;
struct watches;

/* BACKEND's watch connection ended in a way that suggests its death: closed
 * or reset without a BYE, or a BYE that says the server shuts down. */
typedef void watch_lost_cb(void *ctx, const char *backend, const char *reason);

struct watches *watches_create(struct director *d, watch_lost_cb *lost, void *ctx);
/* Open a watch for every backend of the table with an IMAP port that has
 * none (or whose address changed), close those of vanished backends, and
 * renew connections older than the login timeout allows. */
void watches_sync(struct watches *w);
/* Close every watch (the lease was lost). */
void watches_clear(struct watches *w);
void watches_destroy(struct watches **w);

#endif
