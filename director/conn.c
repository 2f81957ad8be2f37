/* conn.c - connection plumbing shared by the lookup protocol and socketmap.
 * A connection that goes away cancels its requests in flight; a request that
 * finishes after that is dropped by route.c, never written to freed memory. */
#include "hb-config-auto.h"
#include "director.h"
#include "conn.h"
#include "hb-dlist.h"
#include "metrics.h"
#include "userdb.h"

#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

struct conn_pending {
	struct conn *conn;
	struct route_request *route;    /* one of these two */
	struct userdb_request *userdb;
	struct conn_pending *prev, *next;
	char tag[33];
	int linked;      /* in conn->pending; an answer before that is synchronous */
	int answered;
};

static void pending_unlink(struct conn_pending *p)
{
	HB_DLIST_REMOVE(p->conn->pending, p);
	p->conn->pending_count--;
}

static void on_route_answer(void *ctx, enum route_result result,
			    const struct hb_backend *backend, unsigned int port,
			    const char *reason)
{
	struct conn_pending *p = ctx;
	struct conn *conn = p->conn;

	p->answered = 1;
	if (!p->linked) {
		conn->on_answer(conn, p->tag, result, backend, port, reason);
		return; /* conn_route() frees it */
	}
	pending_unlink(p);
	conn->on_answer(conn, p->tag, result, backend, port, reason);
	free(p);
}

void conn_route(struct conn *conn, const char *tag, const char *user,
		enum hb_service service)
{
	struct conn_pending *p = calloc(1, sizeof(*p));
	struct route_request *route;

	if (p == NULL) {
		conn->on_answer(conn, tag, ROUTE_TEMPFAIL, NULL, 0, "out of memory");
		return;
	}
	p->conn = conn;
	snprintf(p->tag, sizeof(p->tag), "%s", tag);
	route = route_lookup(conn->d, user, service, on_route_answer, p);
	if (p->answered) {
		free(p);
		return;
	}
	p->route = route;
	p->linked = 1;
	HB_DLIST_PREPEND(conn->pending, p);
	conn->pending_count++;
}

static void on_userdb_answer(void *ctx, const char *line)
{
	struct conn_pending *p = ctx;
	struct conn *conn = p->conn;

	p->answered = 1;
	conn_write(conn, line, strlen(line), 0);
	if (p->linked) {
		pending_unlink(p);
		free(p);
	}
}

void conn_userdb(struct conn *conn, const char *tag, const char *user)
{
	struct conn_pending *p = calloc(1, sizeof(*p));
	struct userdb_request *req;

	if (p == NULL) {
		conn_write(conn, "TEMPFAIL\t-\tout of memory\n", strlen("TEMPFAIL\t-\tout of memory\n"), 0);
		return;
	}
	p->conn = conn;
	req = userdb_lookup(conn->d, tag, user, on_userdb_answer, p);
	if (p->answered) {
		free(p);
		return;
	}
	p->userdb = req;
	p->linked = 1;
	HB_DLIST_PREPEND(conn->pending, p);
	conn->pending_count++;
}

void conn_destroy(struct conn *conn)
{
	struct conn_pending *p, *next;

	for (p = conn->pending; p != NULL; p = next) {
		next = p->next;
		if (p->route != NULL)
			route_cancel(p->route);
		userdb_cancel(p->userdb);
		free(p);
	}
	HB_DLIST_REMOVE(conn->d->conns, conn);
	metrics_conn_closed(conn->d->metrics);
	bufferevent_free(conn->bev);
	free(conn);
}

void conn_destroy_all(struct director *d)
{
	while (d->conns != NULL)
		conn_destroy(d->conns);
}

static void on_read(struct bufferevent *bev, void *ctx)
{
	struct conn *conn = ctx;

	if (!conn->closing)
		conn->on_input(conn);
}

static void on_write(struct bufferevent *bev, void *ctx)
{
	struct conn *conn = ctx;

	if (conn->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_destroy(conn);
}

static void on_event(struct bufferevent *bev, short what, void *ctx)
{
	struct conn *conn = ctx;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_destroy(conn);
}

void conn_write(struct conn *conn, const void *data, size_t len, int close_after)
{
	bufferevent_write(conn->bev, data, len);
	if (close_after) {
		conn->closing = 1;
		bufferevent_disable(conn->bev, EV_READ);
	}
}

struct conn *conn_create(struct director *d, evutil_socket_t fd,
			 void (*on_input)(struct conn *), conn_answer_cb *on_answer)
{
	struct conn *conn = calloc(1, sizeof(*conn));
	struct timeval idle = { CONN_IDLE_TIMEOUT_S, 0 };

	if (conn == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	conn->d = d;
	conn->on_input = on_input;
	conn->on_answer = on_answer;
	conn->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL) {
		evutil_closesocket(fd);
		free(conn);
		return NULL;
	}
	HB_DLIST_PREPEND(d->conns, conn);
	metrics_conn_opened(d->metrics);
	bufferevent_setcb(conn->bev, on_read, on_write, on_event, conn);
	bufferevent_set_timeouts(conn->bev, &idle, &idle);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	return conn;
}
