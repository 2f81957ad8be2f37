/* route.h - answers "which backend serves USER for SERVICE" (docs/DESIGN.md, 2
 * and 7): Redis first, then the local cache and consistent hashing when Redis
 * is unreachable.  Every request is answered exactly once unless cancelled. */
#ifndef DIRECTOR_ROUTE_H
#define DIRECTOR_ROUTE_H

#include "hb-backend.h"

struct director;
struct route_request;

enum route_result { ROUTE_OK, ROUTE_TEMPFAIL };

/* BACKEND is valid only during the call; PORT is its port for the service. */
typedef void route_cb(void *ctx, enum route_result result,
		      const struct hb_backend *backend, unsigned int port,
		      const char *reason);

/* USER must already be normalised (hb_user_normalize).  Returns the handle
 * for route_cancel(), or NULL when CB was already called (and the request
 * freed) before this returned. */
struct route_request *route_lookup(struct director *d, const char *user,
				   enum hb_service service, route_cb *cb, void *ctx);
/* The callback will not be called; the request is freed as soon as it can be. */
void route_cancel(struct route_request *req);

#endif
