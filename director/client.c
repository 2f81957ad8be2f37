/* client.c - the lookup protocol on a connection: reads bounded lines, parses
 * them with proto.c, routes LOOKUPs and writes one reply per request.  An
 * overlong line closes the connection after an ERROR reply. */
#include "hb-config-auto.h"
#include "director.h"
#include "client.h"
#include "conn.h"
#include "proto.h"
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>

static void client_reply(struct conn *conn, int close_after, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void client_reply(struct conn *conn, int close_after, const char *fmt, ...)
{
	char line[CONN_REPLY_MAX];
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	if (len < 0 || (size_t)len >= sizeof(line))
		len = snprintf(line, sizeof(line), "ERROR\t-\treply too long\n");
	conn_write(conn, line, (size_t)len, close_after);
}

static void client_answer(struct conn *conn, const char *id, enum route_result result,
			  const struct hb_backend *backend, unsigned int port,
			  const char *reason)
{
	if (result == ROUTE_OK)
		client_reply(conn, 0, "OK\t%s\t%s\t%s\t%u\n", id, backend->name, backend->host, port);
	else
		client_reply(conn, 0, "TEMPFAIL\t%s\t%s\n", id, reason);
}

static void client_handle_line(struct conn *conn, const char *line)
{
	struct proto_request req;
	const char *reason;

	switch (proto_parse_request(line, conn->d->set->recipient_delimiter, &req, &reason)) {
	case PROTO_PARSE_ERROR:
		metrics_protocol_error(conn->d->metrics);
		client_reply(conn, 0, "ERROR\t%s\t%s\n", req.id, reason);
		return;
	case PROTO_PARSE_FAIL:
		metrics_lookup(conn->d->metrics, req.service, LOOKUP_FAIL, 0);
		client_reply(conn, 0, "FAIL\t%s\t%s\n", req.id, reason);
		return;
	case PROTO_PARSE_OK:
		break;
	}
	if (req.command == PROTO_PING) {
		client_reply(conn, 0, "PONG\t%s\n", req.id);
	} else if (req.command == PROTO_USERDB && !conn->userdb_allowed) {
		metrics_protocol_error(conn->d->metrics);
		client_reply(conn, 0, "ERROR\t%s\tUSERDB is only served on the userdb socket\n",
			     req.id);
	} else if (conn->pending_count >= CONN_MAX_PENDING) {
		client_reply(conn, 0, "TEMPFAIL\t%s\ttoo many requests in flight\n", req.id);
	} else if (req.command == PROTO_USERDB) {
		conn_userdb(conn, req.id, req.user);
	} else {
		conn_route(conn, req.id, req.user, req.service);
	}
}

static void client_input(struct conn *conn)
{
	struct evbuffer *in = conn_input(conn);
	char line[HB_PROTO_MAX_LINE + 2];

	while (!conn->closing) {
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		size_t len = eol.pos < 0 ? evbuffer_get_length(in) : (size_t)eol.pos;

		if (len > HB_PROTO_MAX_LINE) {
			metrics_protocol_error(conn->d->metrics);
			client_reply(conn, 1, "ERROR\t-\tline too long\n");
			return;
		}
		if (eol.pos < 0)
			return; /* wait for the rest of the line */
		evbuffer_remove(in, line, len + 1);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strlen(line) != len) {
			metrics_protocol_error(conn->d->metrics);
			client_reply(conn, 0, "ERROR\t-\tNUL byte in request\n");
			continue;
		}
		client_handle_line(conn, line);
	}
}

void client_accept(struct evconnlistener *listener, evutil_socket_t fd,
		   struct sockaddr *addr, int socklen, void *ctx)
{
	conn_create(ctx, fd, client_input, client_answer);
}

void client_accept_userdb(struct evconnlistener *listener, evutil_socket_t fd,
			  struct sockaddr *addr, int socklen, void *ctx)
{
	struct conn *conn = conn_create(ctx, fd, client_input, client_answer);

	if (conn != NULL)
		conn->userdb_allowed = 1;
}
