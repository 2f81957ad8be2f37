/* socketmap.c - Postfix socketmap connections.  Postfix sends one request at a
 * time and replies carry no id, so a connection handles its requests strictly
 * in order: the next netstring is read only after the previous one's answer. */
#include "hb-config-auto.h"
#include "director.h"
#include "socketmap.h"
#include "conn.h"
#include "netstring.h"
#include "metrics.h"
#include "hb-user.h"

#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>

#define MAP_NAME_MAX 32

static void socketmap_reply(struct conn *conn, const char *text, int close_after)
{
	char out[CONN_REPLY_MAX];
	int len = snprintf(out, sizeof(out), "%zu:%s,", strlen(text), text);

	conn_write(conn, out, (size_t)len, close_after);
}

static void socketmap_input(struct conn *conn);

static void socketmap_answer(struct conn *conn, const char *map, enum route_result result,
			     const struct hb_backend *backend, unsigned int port,
			     const char *reason)
{
	char value[CONN_REPLY_MAX - 16];
	int ipv6;

	if (result != ROUTE_OK) {
		snprintf(value, sizeof(value), "TEMP %s", reason);
	} else if (strcmp(map, "backend") == 0) {
		snprintf(value, sizeof(value), "OK %s", backend->name);
	} else {
		ipv6 = strchr(backend->host, ':') != NULL;
		snprintf(value, sizeof(value), "OK lmtp:inet:%s%s%s:%u", ipv6 ? "[" : "",
			 backend->host, ipv6 ? "]" : "", port);
	}
	socketmap_reply(conn, value, 0);
	/* requests that arrived meanwhile are still in the input buffer */
	if (!conn->in_input)
		socketmap_input(conn);
}

static void socketmap_request(struct conn *conn, const char *data, size_t len)
{
	char map[MAP_NAME_MAX], key[HB_USER_MAX + 1], user[HB_USER_MAX + 1];
	const char *error;

	if (socketmap_split(data, len, map, sizeof(map), key, sizeof(key)) < 0) {
		metrics_protocol_error(conn->d->metrics);
		socketmap_reply(conn, "PERM malformed request", 0);
		return;
	}
	if (strcmp(map, "transport") != 0 && strcmp(map, "backend") != 0) {
		socketmap_reply(conn, "PERM unknown map name (use transport or backend)", 0);
		return;
	}
	/* Postfix also asks for bare domains and local parts: not ours */
	if (strchr(key, '@') == NULL) {
		socketmap_reply(conn, "NOTFOUND ", 0);
		return;
	}
	if (hb_user_normalize(key, conn->d->set->recipient_delimiter, user, &error) < 0) {
		socketmap_reply(conn, "NOTFOUND ", 0);
		return;
	}
	conn_route(conn, map, user, HB_SERVICE_LMTP);
}

static void socketmap_input(struct conn *conn)
{
	struct evbuffer *in = conn_input(conn);
	const char *data, *reason;
	size_t avail, data_len, used;

	conn->in_input = 1;
	while (!conn->closing && conn->pending_count == 0) {
		avail = evbuffer_get_length(in);
		if (avail == 0)
			break;
		/* a whole request is at most the limit plus its framing */
		const char *buf = (const char *)evbuffer_pullup(in, avail < SOCKETMAP_MAX_REQUEST + 16 ?
							       (ev_ssize_t)avail : SOCKETMAP_MAX_REQUEST + 16);
		size_t view = avail < SOCKETMAP_MAX_REQUEST + 16 ? avail : SOCKETMAP_MAX_REQUEST + 16;
		switch (netstring_parse(buf, view, SOCKETMAP_MAX_REQUEST, &data, &data_len,
					&used, &reason)) {
		case NETSTRING_MORE:
			conn->in_input = 0;
			return;
		case NETSTRING_ERROR:
			metrics_protocol_error(conn->d->metrics);
			socketmap_reply(conn, "PERM bad netstring", 1);
			conn->in_input = 0;
			return;
		case NETSTRING_OK:
			break;
		}
		char request[SOCKETMAP_MAX_REQUEST + 1];
		memcpy(request, data, data_len);
		evbuffer_drain(in, used);
		socketmap_request(conn, request, data_len);
	}
	conn->in_input = 0;
}

void socketmap_accept(struct evconnlistener *listener, evutil_socket_t fd,
		      struct sockaddr *addr, int socklen, void *ctx)
{
	conn_create(ctx, fd, socketmap_input, socketmap_answer);
}
