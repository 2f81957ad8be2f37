/* socketmap.h - Postfix socketmap server (docs/DESIGN.md, 6): transport_maps
 * answers lmtp:inet:HOST:PORT for the recipient's backend. */
#ifndef DIRECTOR_SOCKETMAP_H
#define DIRECTOR_SOCKETMAP_H

#include <event2/listener.h>

void socketmap_accept(struct evconnlistener *listener, evutil_socket_t fd,
		      struct sockaddr *addr, int socklen, void *ctx);

#endif
