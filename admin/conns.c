/* conns.c - the census of conns.h.  evhttp (libevent 2.1) owns each
 * connection and offers no hook per connection, so the census hangs on the
 * connection's SSL object: an ex_data slot points at its entry, the slot's
 * free callback (the SSL dies with the connection) removes it, and the info
 * callback sees the handshake end.  A connection admind gives up on is
 * shut down (shutdown(2)): evhttp then reads EOF and frees it itself, so
 * nothing here ever frees what evhttp owns.  Never logs per connection. */
#include "conns.h"
#include "admind.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

enum conn_state {
	CONN_NEW,		/* accepted; address not yet judged */
	CONN_HANDSHAKE,		/* TLS handshake under way */
	CONN_REQUEST,		/* waiting for a whole request */
	CONN_BUSY,		/* admind answers a request */
	CONN_CLOSING,		/* shut down; evhttp frees it soon */
};

struct conn {
	struct admind_conns *conns;	/* NULL once the census is gone */
	struct conn *prev, *next;	/* in accept order */
	struct bufferevent *bev;	/* evhttp's: never freed here */
	struct event *deadline;
	enum conn_state state;
	unsigned int requests;		/* answered so far */
	char addr[ADMIND_PEER_MAX];
};

struct refusals {
	char addr[ADMIND_PEER_MAX];
	unsigned int count;
};

struct admind_conns {
	struct admind *ad;
	struct evconnlistener *listener;
	struct conn *head, *tail;
	unsigned int open;		/* entries not CLOSING */
	unsigned int cap;		/* total cap: the setting, within the fd limit */
	int paused;
	struct event *census, *resume, *report;
	/* since the last report */
	struct refusals refused[ADMIND_FLOOD_ADDRS];
	unsigned int refused_other, pauses;
};

/* the SSL ex_data slot, set once before any connection (conns.h) */
static int conn_index = -1;
/* the listener's error callback gets evhttp's argument, not ours */
static struct admind_conns *listener_conns;

static void tv_ms(struct timeval *tv, unsigned int ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

static void report_arm(struct admind_conns *conns)
{
	struct timeval tv = { ADMIND_FLOOD_REPORT_S, 0 };

	if (!evtimer_pending(conns->report, NULL))
		evtimer_add(conns->report, &tv);
}

static void refused(struct admind_conns *conns, const char *addr)
{
	struct refusals *free_slot = NULL;

	for (size_t i = 0; i < ADMIND_FLOOD_ADDRS; i++) {
		struct refusals *r = &conns->refused[i];

		if (r->count > 0 && strcmp(r->addr, addr) == 0) {
			r->count++;
			report_arm(conns);
			return;
		}
		if (r->count == 0 && free_slot == NULL)
			free_slot = r;
	}
	if (free_slot != NULL) {
		snprintf(free_slot->addr, sizeof(free_slot->addr), "%s", addr);
		free_slot->count = 1;
	} else {
		conns->refused_other++;
	}
	report_arm(conns);
}

/* One line per flooding address, one for the rest, one for the pauses. */
static void on_report(evutil_socket_t fd, short what, void *arg)
{
	struct admind_conns *conns = arg;
	unsigned int others;

	(void)fd; (void)what;
	for (size_t i = 0; i < ADMIND_FLOOD_ADDRS; i++) {
		struct refusals *r = &conns->refused[i];

		if (r->count > 0)
			hb_warn("%u connections refused from %s in the last %d s (connection caps)",
				r->count, r->addr, ADMIND_FLOOD_REPORT_S);
		r->count = 0;
	}
	others = conns->refused_other;
	if (others > 0)
		hb_warn("%u connections refused from other addresses in the last %d s", others,
			ADMIND_FLOOD_REPORT_S);
	if (conns->pauses > 0)
		hb_warn("accepting paused %u times in the last %d s: out of file descriptors",
			conns->pauses, ADMIND_FLOOD_REPORT_S);
	conns->refused_other = 0;
	conns->pauses = 0;
}

/* Give up on C (a NEW one was never counted): evhttp reads EOF next and
 * frees the connection. */
static void conn_close(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->state == CONN_CLOSING)
		return;
	if (c->state != CONN_NEW)
		c->conns->open--;
	c->state = CONN_CLOSING;
	evtimer_del(c->deadline);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd; (void)what;
	if (c->conns != NULL)
		conn_close(c);
}

static void deadline_arm(struct conn *c, unsigned int ms)
{
	struct timeval tv;

	tv_ms(&tv, ms);
	evtimer_add(c->deadline, &tv);
}

static unsigned int from_addr(const struct admind_conns *conns, const char *addr)
{
	unsigned int n = 0;

	for (const struct conn *c = conns->head; c != NULL; c = c->next)
		if (c->state != CONN_NEW && c->state != CONN_CLOSING && strcmp(c->addr, addr) == 0)
			n++;
	return n;
}

/* The oldest connection that has not yet sent a whole request: when the
 * census is full it makes room for a new one (a flood of idle connections
 * from many addresses must not lock admins out). */
static struct conn *evictable(const struct admind_conns *conns)
{
	for (struct conn *c = conns->head; c != NULL; c = c->next)
		if ((c->state == CONN_HANDSHAKE || c->state == CONN_REQUEST) && c->requests == 0)
			return c;
	/* then a kept-alive connection waiting for its next request */
	for (struct conn *c = conns->head; c != NULL; c = c->next)
		if (c->state == CONN_REQUEST)
			return c;
	return NULL;
}

static void peer_addr(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	snprintf(c->addr, sizeof(c->addr), "unknown");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, c->addr, sizeof(c->addr), NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(c->addr, sizeof(c->addr), "unknown");
}

/* Judge one new connection against the caps. */
static void admit(struct admind_conns *conns, struct conn *c)
{
	const struct hb_settings *set = conns->ad->set;
	struct conn *victim;

	peer_addr(c);
	if (from_addr(conns, c->addr) >= set->admind_max_connections_per_addr) {
		refused(conns, c->addr);
		conn_close(c);
		return;
	}
	if (conns->open >= conns->cap) {
		if ((victim = evictable(conns)) == NULL) {
			refused(conns, c->addr);
			conn_close(c);
			return;
		}
		refused(conns, victim->addr);
		conn_close(victim);
	}
	c->state = CONN_HANDSHAKE;
	conns->open++;
	deadline_arm(c, set->admind_handshake_timeout_ms);
}

/* Runs right after libevent's accept loop: every new connection's socket
 * is known by now. */
static void on_census(evutil_socket_t fd, short what, void *arg)
{
	struct admind_conns *conns = arg;

	(void)fd; (void)what;
	for (struct conn *c = conns->head; c != NULL; c = c->next)
		if (c->state == CONN_NEW)
			admit(conns, c);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct admind_conns *conns = arg;

	(void)fd; (void)what;
	if (conns->paused && evconnlistener_enable(conns->listener) == 0)
		conns->paused = 0;
}

/* accept() failed for a reason that does not go away by itself (EMFILE,
 * ENFILE, ENOBUFS): libevent would call accept() again at once, forever.
 * Pause, and resume when a connection closes or after a short while. */
static void on_accept_error(struct evconnlistener *listener, void *arg)
{
	struct admind_conns *conns = listener_conns;
	struct timeval tv;
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (conns == NULL)
		return;
	if (evconnlistener_disable(listener) == 0)
		conns->paused = 1;
	conns->pauses++;
	report_arm(conns);
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM && conns->pauses == 1)
		hb_error("accept: %s", evutil_socket_error_to_string(err));
	tv_ms(&tv, ADMIND_ACCEPT_PAUSE_MS);
	evtimer_add(conns->resume, &tv);
}

/* The SSL of a connection is being freed: so is the connection. */
static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	struct conn *c = ptr;
	struct admind_conns *conns;

	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (c == NULL)
		return;
	conns = c->conns;
	if (conns != NULL) {
		if (c->state != CONN_NEW && c->state != CONN_CLOSING)
			conns->open--;
		if (c->prev != NULL) c->prev->next = c->next; else conns->head = c->next;
		if (c->next != NULL) c->next->prev = c->prev; else conns->tail = c->prev;
		if (conns->paused)
			event_active(conns->resume, EV_TIMEOUT, 0);
	}
	event_free(c->deadline);
	free(c);
}

int admind_conns_global_init(void)
{
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_cb);
	return conn_index < 0 ? -1 : 0;
}

static struct conn *conn_of(const SSL *ssl)
{
	struct conn *c = ssl != NULL && conn_index >= 0 ? SSL_get_ex_data(ssl, conn_index) : NULL;

	return c != NULL && c->conns != NULL ? c : NULL;
}

void admind_conns_ssl_info(const SSL *ssl, int where, int ret)
{
	struct conn *c;

	(void)ret;
	if ((where & SSL_CB_HANDSHAKE_DONE) == 0 || (c = conn_of(ssl)) == NULL)
		return;
	if (c->state != CONN_HANDSHAKE)
		return;		/* TLS 1.3 post-handshake messages, or closing */
	c->state = CONN_REQUEST;
	deadline_arm(c, c->conns->ad->set->admind_request_timeout_ms);
}

void admind_conns_add(struct admind_conns *conns, SSL *ssl, struct bufferevent *bev)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return;
	c->deadline = evtimer_new(conns->ad->base, on_deadline, c);
	if (c->deadline == NULL || SSL_set_ex_data(ssl, conn_index, c) != 1) {
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		return;
	}
	c->conns = conns;
	c->bev = bev;
	c->prev = conns->tail;
	if (conns->tail != NULL) conns->tail->next = c; else conns->head = c;
	conns->tail = c;
	event_active(conns->census, EV_TIMEOUT, 0);
}

void admind_conns_busy(SSL *ssl)
{
	struct conn *c = conn_of(ssl);

	if (c == NULL || c->state == CONN_CLOSING)
		return;
	if (c->state == CONN_NEW)
		admit(c->conns, c);
	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_BUSY;
	c->requests++;
	evtimer_del(c->deadline);
}

void admind_conns_idle(SSL *ssl)
{
	struct conn *c = conn_of(ssl);

	if (c == NULL || c->state != CONN_BUSY)
		return;
	c->state = CONN_REQUEST;
	deadline_arm(c, c->conns->ad->set->admind_request_timeout_ms);
}

void admind_conns_limits(struct admind_conns *conns)
{
	unsigned int want = conns->ad->set->admind_max_connections;
	struct rlimit rl;
	rlim_t room;

	conns->cap = want;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		room = rl.rlim_cur > ADMIND_FD_RESERVE + 8 ? rl.rlim_cur - ADMIND_FD_RESERVE : 8;
		if (room < want) {
			conns->cap = (unsigned int)room;
			hb_info("at most %u connections: the file descriptor limit is %llu "
				"(admind_max_connections = %u)", conns->cap,
				(unsigned long long)rl.rlim_cur, want);
		}
	}
}

struct admind_conns *admind_conns_create(struct admind *ad, struct evconnlistener *listener)
{
	struct admind_conns *conns = calloc(1, sizeof(*conns));

	if (conns == NULL)
		return NULL;
	conns->ad = ad;
	conns->listener = listener;
	conns->census = event_new(ad->base, -1, 0, on_census, conns);
	conns->resume = evtimer_new(ad->base, on_resume, conns);
	conns->report = evtimer_new(ad->base, on_report, conns);
	if (conns->census == NULL || conns->resume == NULL || conns->report == NULL) {
		admind_conns_destroy(&conns);
		return NULL;
	}
	listener_conns = conns;
	evconnlistener_set_error_cb(listener, on_accept_error);
	admind_conns_limits(conns);
	return conns;
}

void admind_conns_destroy(struct admind_conns **connsp)
{
	struct admind_conns *conns = *connsp;

	if (conns == NULL)
		return;
	if (listener_conns == conns)
		listener_conns = NULL;
	for (struct conn *c = conns->head; c != NULL; c = c->next) {
		c->conns = NULL;	/* freed with its SSL, whenever libevent does */
		evtimer_del(c->deadline);
	}
	if (conns->census != NULL)
		event_free(conns->census);
	if (conns->resume != NULL)
		event_free(conns->resume);
	if (conns->report != NULL)
		event_free(conns->report);
	free(conns);
	*connsp = NULL;
}
