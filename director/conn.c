/* conn.c - connection plumbing shared by the lookup protocol and socketmap:
 * a socket with input and output buffers, written at once when it can be.
 * A connection that goes away cancels its requests in flight; a request that
 * finishes after that is dropped by route.c, never written to freed memory. */
#include "hb-config-auto.h"
#include "director.h"
#include "conn.h"
#include "hb-dlist.h"
#include "metrics.h"
#include "userdb.h"
#include "redis.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

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

	if (conn->proto_free != NULL)
		conn->proto_free(conn);
	for (p = conn->pending; p != NULL; p = next) {
		next = p->next;
		if (p->route != NULL)
			route_cancel(p->route);
		userdb_cancel(p->userdb);
		free(p);
	}
	HB_DLIST_REMOVE(conn->d->conns, conn);
	metrics_conn_closed(conn->d->metrics);
	event_free(conn->read_ev);
	event_free(conn->write_ev);
	evbuffer_free(conn->in);
	evbuffer_free(conn->out);
	evutil_closesocket(conn->fd);
	free(conn);
}

void conn_destroy_all(struct director *d)
{
	while (d->conns != NULL)
		conn_destroy(d->conns);
}

static int socket_error_is_retriable(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

struct evbuffer *conn_input(struct conn *conn)
{
	return conn->in;
}

/* Write what is queued; 0 when all of it went out, 1 when the socket is
 * full (the write event finishes the job), -1 when the peer is gone. */
static int conn_flush(struct conn *conn)
{
	while (evbuffer_get_length(conn->out) > 0) {
		int n = evbuffer_write(conn->out, conn->fd);

		if (n < 0 && socket_error_is_retriable())
			return 1;
		if (n <= 0)
			return -1;
	}
	return 0;
}

/* The read event doubles as the idle timer: a persistent event's timeout
 * starts again every time it fires. */
static void on_read(evutil_socket_t fd, short what, void *ctx)
{
	struct conn *conn = ctx;
	char buf[4096];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		conn_destroy(conn);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && socket_error_is_retriable())
		return;
	if (n <= 0 || evbuffer_add(conn->in, buf, (size_t)n) < 0) {
		conn_destroy(conn);
		return;
	}
	if (!conn->closing)
		conn->on_input(conn);
	/* one write for all the Redis calls this input started, now instead of
	 * one loop iteration later */
	director_redis_flush(conn->d);
}

/* Destroying happens from the event loop, never inside conn_write(): its
 * callers are often still reading the connection's input. */
static void conn_close_soon(struct conn *conn)
{
	conn->closing = 1;
	event_del(conn->read_ev);
	event_active(conn->write_ev, EV_TIMEOUT, 0);
}

static void conn_after_flush(struct conn *conn, int flushed)
{
	if (flushed < 0 || (flushed == 0 && conn->closing)) {
		conn_close_soon(conn);
	} else if (flushed > 0) {
		struct timeval idle = { CONN_IDLE_TIMEOUT_S, 0 };

		event_add(conn->write_ev, &idle);
	}
}

static void on_write(evutil_socket_t fd, short what, void *ctx)
{
	struct conn *conn = ctx;
	int flushed;

	if (what & EV_TIMEOUT) {
		conn_destroy(conn);
		return;
	}
	flushed = conn_flush(conn);
	if (flushed < 0 || (flushed == 0 && conn->closing))
		conn_destroy(conn);
	else if (flushed == 0)
		event_del(conn->write_ev);
}

/* Replies are written at once: a login waits for this line, and waiting for
 * the next loop iteration costs two more system calls per lookup. */
void conn_write(struct conn *conn, const void *data, size_t len, int close_after)
{
	if (evbuffer_add(conn->out, data, len) < 0) {
		conn_close_soon(conn);
		return;
	}
	if (close_after) {
		conn->closing = 1;
		event_del(conn->read_ev);
	}
	if (event_pending(conn->write_ev, EV_WRITE | EV_TIMEOUT, NULL) ||
	    (conn->closing && !close_after))
		return; /* waiting for room, or already on its way out */
	conn_after_flush(conn, conn_flush(conn));
}

struct conn *conn_create(struct director *d, evutil_socket_t fd,
			 void (*on_input)(struct conn *), conn_answer_cb *on_answer)
{
	struct conn *conn = calloc(1, sizeof(*conn));
	struct timeval idle = { CONN_IDLE_TIMEOUT_S, 0 };

	if (conn == NULL || evutil_make_socket_nonblocking(fd) < 0) {
		evutil_closesocket(fd);
		free(conn);
		return NULL;
	}
	conn->d = d;
	conn->fd = fd;
	conn->on_input = on_input;
	conn->on_answer = on_answer;
	conn->in = evbuffer_new();
	conn->out = evbuffer_new();
	conn->read_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, on_read, conn);
	conn->write_ev = event_new(d->base, fd, EV_WRITE, on_write, conn);
	if (conn->in == NULL || conn->out == NULL || conn->read_ev == NULL ||
	    conn->write_ev == NULL || event_add(conn->read_ev, &idle) < 0) {
		if (conn->read_ev != NULL)
			event_free(conn->read_ev);
		if (conn->write_ev != NULL)
			event_free(conn->write_ev);
		if (conn->in != NULL)
			evbuffer_free(conn->in);
		if (conn->out != NULL)
			evbuffer_free(conn->out);
		evutil_closesocket(fd);
		free(conn);
		return NULL;
	}
	HB_DLIST_PREPEND(d->conns, conn);
	metrics_conn_opened(d->metrics);
	return conn;
}
