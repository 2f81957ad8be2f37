/* conn.h - what the lookup and socketmap connections share: a socket with
 * buffers and bounded idle time, a list of routing requests in flight, and a "close once
 * the reply is written" state.  Protocol parsing lives in proto.c/netstring.c. */
#ifndef DIRECTOR_CONN_H
#define DIRECTOR_CONN_H

#include <event2/event.h>
#include <event2/buffer.h>
#include "hb-backend.h"
#include "route.h"

#define CONN_MAX_PENDING 128
#define CONN_IDLE_TIMEOUT_S 300
#define CONN_REPLY_MAX 512

struct director;
struct conn;

/* Called with the routing answer for a request started with conn_route(). */
typedef void conn_answer_cb(struct conn *conn, const char *tag,
			    enum route_result result, const struct hb_backend *backend,
			    unsigned int port, const char *reason);

struct conn {
	struct director *d;
	evutil_socket_t fd;
	struct evbuffer *in, *out;
	struct event *read_ev;    /* persistent; its timeout is the idle limit */
	struct event *write_ev;   /* only while the socket is full */
	void (*on_input)(struct conn *conn);
	conn_answer_cb *on_answer;
	struct conn *prev, *next;    /* in director->conns */
	struct conn_pending *pending;
	unsigned int pending_count;
	int closing;
	int in_input;    /* inside on_input: answers must not re-enter it */
	int userdb_allowed;  /* accepted on the userdb socket (password hashes) */
	void *proto_state;   /* the protocol's own step in flight, if any */
	void (*proto_free)(struct conn *conn);  /* drops it when the connection goes */
};

struct conn *conn_create(struct director *d, evutil_socket_t fd,
			 void (*on_input)(struct conn *), conn_answer_cb *on_answer);
/* Start routing USER; ON_ANSWER gets TAG back (copied, at most 32 bytes). */
void conn_route(struct conn *conn, const char *tag, const char *user,
		enum hb_service service);
/* Answer a USERDB request for USER (docs/DOMAINS.md, 6); the reply line
 * carries TAG (at most 32 bytes). */
void conn_userdb(struct conn *conn, const char *tag, const char *user);
/* What the peer sent and the protocol has not consumed yet. */
struct evbuffer *conn_input(struct conn *conn);
/* Write now (the rest once the socket has room); CLOSE_AFTER closes once
 * everything was written.  Never destroys the connection synchronously. */
void conn_write(struct conn *conn, const void *data, size_t len, int close_after);
void conn_destroy(struct conn *conn);
/* Close every connection (shutdown). */
void conn_destroy_all(struct director *d);

#endif
