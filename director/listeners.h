/* listeners.h - opens and closes the director's sockets: the lookup protocol
 * on a unix socket (and optionally TCP), the Postfix socketmap, /metrics. */
#ifndef DIRECTOR_LISTENERS_H
#define DIRECTOR_LISTENERS_H

#include <stddef.h>
#include <event2/listener.h>

struct director;

/* Open SPEC ("/path" = unix socket with MODE, else "ADDR:PORT"). */
struct evconnlistener *listener_open(struct director *d, const char *spec,
				     unsigned int mode, evconnlistener_cb cb,
				     void *ctx, char *err, size_t err_size);
int listeners_start(struct director *d, char *err, size_t err_size);
void listeners_stop(struct director *d);

#endif
