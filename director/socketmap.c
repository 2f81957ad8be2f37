/* socketmap.c - Postfix socketmap connections.  Postfix sends one request at a
 * time and replies carry no id, so a connection handles its requests strictly
 * in order: the next netstring is read only after the previous one's answer.
 * Only recipients in domains Hummingbird routes (hosted.h) get a backend;
 * everything else is NOTFOUND, so Postfix delivers it as it would without
 * us (outbound mail, local recipients). */
#include "hb-config-auto.h"
#include "director.h"
#include "socketmap.h"
#include "conn.h"
#include "netstring.h"
#include "hosted.h"
#include "metrics.h"
#include "hb-addr.h"
#include "hb-user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#define MAP_NAME_MAX 32

/* a request waiting for hosted_check() (conn->proto_state) */
struct socketmap_wait {
	struct conn *conn;
	struct hosted_request *req;
	char map[MAP_NAME_MAX];
	char user[HB_USER_MAX + 1];
};

static void socketmap_reply(struct conn *conn, const char *text, int close_after)
{
	char out[CONN_REPLY_MAX];
	int len = snprintf(out, sizeof(out), "%zu:%s,", strlen(text), text);

	conn_write(conn, out, (size_t)len, close_after);
}

static void socketmap_input(struct conn *conn);

/* Reply, then go on with requests that arrived meanwhile (the input loop
 * does that itself when the answer came from inside it). */
static void socketmap_reply_next(struct conn *conn, const char *text)
{
	socketmap_reply(conn, text, 0);
	if (!conn->in_input)
		socketmap_input(conn);
}

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
	socketmap_reply_next(conn, value);
}

static void socketmap_wait_free(struct conn *conn)
{
	struct socketmap_wait *wait = conn->proto_state;

	if (wait == NULL)
		return;
	hosted_cancel(wait->req);
	free(wait);
	conn->proto_state = NULL;
}

static void on_hosted(void *ctx, enum hosted_answer answer)
{
	struct socketmap_wait *wait = ctx;
	struct conn *conn = wait->conn;
	char map[MAP_NAME_MAX], user[HB_USER_MAX + 1];

	memcpy(map, wait->map, sizeof(map));
	memcpy(user, wait->user, sizeof(user));
	conn->proto_state = NULL;
	free(wait);
	switch (answer) {
	case HOSTED_YES:
		conn_route(conn, map, user, HB_SERVICE_LMTP);
		break;
	case HOSTED_NO:
		socketmap_reply_next(conn, "NOTFOUND ");
		break;
	case HOSTED_UNKNOWN:
		/* NOTFOUND could send a hosted domain's mail out to the Internet */
		socketmap_reply_next(conn, "TEMP hosted domains unknown: Redis unavailable");
		break;
	}
}

/* Route USER only if its domain is one of ours. */
static void socketmap_route_hosted(struct conn *conn, const char *map, const char *user)
{
	char domain[HB_DOMAIN_MAX + 1];
	const char *error, *at = strrchr(user, '@');
	struct socketmap_wait *wait;
	struct hosted_request *req;

	/* not a valid domain name (root@localhost): never a hosted one */
	if (at == NULL || hb_domain_normalize(at + 1, domain, sizeof(domain), &error) < 0) {
		socketmap_reply(conn, "NOTFOUND ", 0);
		return;
	}
	if ((wait = calloc(1, sizeof(*wait))) == NULL) {
		socketmap_reply(conn, "TEMP out of memory", 0);
		return;
	}
	wait->conn = conn;
	snprintf(wait->map, sizeof(wait->map), "%s", map);
	snprintf(wait->user, sizeof(wait->user), "%s", user);
	conn->proto_state = wait;
	conn->proto_free = socketmap_wait_free;
	req = hosted_check(conn->d, domain, on_hosted, wait);
	if (req != NULL)	/* else on_hosted() already ran and freed WAIT */
		wait->req = req;
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
	socketmap_route_hosted(conn, map, user);
}

static void socketmap_input(struct conn *conn)
{
	struct evbuffer *in = conn_input(conn);
	const char *data, *reason;
	size_t avail, data_len, used;

	conn->in_input = 1;
	while (!conn->closing && conn->pending_count == 0 && conn->proto_state == NULL) {
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
