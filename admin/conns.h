/* conns.h - admind's census of its TLS connections, so that a flood of
 * them cannot starve admins or the process (docs/ADMIND.md 1): caps in
 * total and per client address, deadlines for the TLS handshake and for each
 * whole request (a slowloris that sends a byte a second is still closed),
 * accepting paused at the file descriptor limit instead of spinning on
 * accept(), and refusals logged once per interval, never per connection. */
#ifndef ADMIND_CONNS_H
#define ADMIND_CONNS_H

#include <openssl/ssl.h>

/* descriptors kept free for Redis, the log, reloads and the listener */
#define ADMIND_FD_RESERVE 32
/* accepting resumes after this when no connection closed before */
#define ADMIND_ACCEPT_PAUSE_MS 100
/* refusals and pauses are logged at most once per this many seconds */
#define ADMIND_FLOOD_REPORT_S 10
/* client addresses named in one report; the rest are summed up */
#define ADMIND_FLOOD_ADDRS 8

struct admind;
struct admind_conns;
struct bufferevent;
struct evconnlistener;

/* Once per process, before the first TLS context: the SSL ex_data slot
 * that ties a connection's SSL object to its census entry.  -1 on failure. */
int admind_conns_global_init(void);
/* The SSL info callback every admind TLS context gets (tls.c): it moves a
 * connection from the handshake deadline to the request deadline. */
void admind_conns_ssl_info(const SSL *ssl, int where, int ret);

/* The census of AD, watching LISTENER (evhttp's). NULL when out of memory. */
struct admind_conns *admind_conns_create(struct admind *ad, struct evconnlistener *listener);
/* Only after the connections are gone (evhttp_free); entries left over are
 * detached, their SSL objects freed later by libevent. */
void admind_conns_destroy(struct admind_conns **conns);
/* Recompute the total cap from the settings and the fd limit (start, reload). */
void admind_conns_limits(struct admind_conns *conns);

/* A new connection's bufferevent BEV over SSL was just made (evhttp's bevcb):
 * it is counted, and judged against the caps once its socket is known. */
void admind_conns_add(struct admind_conns *conns, SSL *ssl, struct bufferevent *bev);
/* The connection of SSL has sent a whole request: no deadline while admind
 * answers it. */
void admind_conns_busy(SSL *ssl);
/* Its reply is on the way: the next request has admind_request_timeout. */
void admind_conns_idle(SSL *ssl);

#endif
