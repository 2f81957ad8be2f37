/* client.h - connections speaking the director lookup protocol (docs/DESIGN.md, 3;
 * USERDB: docs/DOMAINS.md, 6). */
#ifndef DIRECTOR_CLIENT_H
#define DIRECTOR_CLIENT_H

#include <event2/listener.h>

void client_accept(struct evconnlistener *listener, evutil_socket_t fd,
		   struct sockaddr *addr, int socklen, void *ctx);
/* The same protocol plus USERDB (password hashes): the userdb socket only. */
void client_accept_userdb(struct evconnlistener *listener, evutil_socket_t fd,
			  struct sockaddr *addr, int socklen, void *ctx);

#endif
