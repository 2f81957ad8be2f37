/* watch.c - the idle IMAP connection per backend.  It waits for the greeting,
 * then only listens: a "* BYE" is remembered, the close that follows tells
 * what happened.  Dovecot drops idle unauthenticated clients after three
 * minutes, so a watch is renewed (closed quietly and opened again) every
 * WATCH_RENEW_MS.  Input is bounded; nothing is ever sent. */
#include "hb-config-auto.h"
#include "director.h"
#include "watch.h"
#include "probe-reply.h"
#include "hb-dlist.h"
#include "hb-log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#define WATCH_RENEW_MS (60 * 1000)
#define WATCH_INPUT_MAX 4096
#define WATCH_BYE_MAX 80

struct watch {
	struct watches *ws;
	struct watch *prev, *next;
	char backend[HB_BACKEND_NAME_MAX + 1];
	char host[HB_HOST_MAX + 1];
	unsigned int port;
	struct bufferevent *bev;
	long long opened_ms;
	int greeted;
	int present;                  /* still in the table (sync's sweep) */
	char bye[WATCH_BYE_MAX + 1];  /* the server's BYE text, "" = none */
};

struct watches {
	struct director *d;
	watch_lost_cb *lost;
	void *ctx;
	struct watch *list;
};

struct watches *watches_create(struct director *d, watch_lost_cb *lost, void *ctx)
{
	struct watches *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->d = d;
	w->lost = lost;
	w->ctx = ctx;
	return w;
}

static void watch_free(struct watch *wt)
{
	HB_DLIST_REMOVE(wt->ws->list, wt);
	if (wt->bev != NULL)
		bufferevent_free(wt->bev);
	free(wt);
}

/* The connection ended: only a greeted watch that was closed without a BYE,
 * or with one saying the server shuts down, is news; a BYE for inactivity
 * or "Connection queue full" (an overloaded Dovecot drops its oldest
 * waiting clients) is not. */
static void watch_ended(struct watch *wt, const char *how)
{
	struct watches *ws = wt->ws;
	char backend[sizeof(wt->backend)], reason[160];
	int news = 0;

	if (wt->greeted && wt->bye[0] == '\0') {
		snprintf(reason, sizeof(reason), "IMAP connection %s without a BYE", how);
		news = 1;
	} else if (wt->greeted && probe_reply_bye_is_shutdown(wt->bye)) {
		snprintf(reason, sizeof(reason), "IMAP server said: %s", wt->bye);
		news = 1;
	}
	snprintf(backend, sizeof(backend), "%s", wt->backend);
	watch_free(wt);
	if (news)
		ws->lost(ws->ctx, backend, reason);
}

static void watch_line(struct watch *wt, const char *line)
{
	size_t i;

	if (!wt->greeted && strncmp(line, "* OK", 4) == 0) {
		wt->greeted = 1;
		return;
	}
	if (strncmp(line, "* BYE", 5) != 0)
		return;
	for (i = 0; i < WATCH_BYE_MAX && line[i] != '\0'; i++)
		wt->bye[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	wt->bye[i] = '\0';
}

static void on_watch_read(struct bufferevent *bev, void *arg)
{
	struct watch *wt = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		watch_line(wt, line);
		free(line);
	}
	if (evbuffer_get_length(in) > WATCH_INPUT_MAX)
		watch_free(wt);	/* not Dovecot talking: the probes will say */
}

static void on_watch_event(struct bufferevent *bev, short what, void *arg)
{
	struct watch *wt = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	watch_ended(wt, (what & BEV_EVENT_EOF) ? "closed" : "reset");
}

static void watch_open(struct watches *ws, const struct hb_backend *b)
{
	struct watch *wt = calloc(1, sizeof(*wt));
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char spec[HB_HOST_MAX + 16];

	if (wt == NULL)
		return;
	wt->ws = ws;
	wt->present = 1;
	wt->port = b->ports[HB_SERVICE_IMAP];
	wt->opened_ms = director_now_ms();
	snprintf(wt->backend, sizeof(wt->backend), "%s", b->name);
	snprintf(wt->host, sizeof(wt->host), "%s", b->host);
	HB_DLIST_PREPEND(ws->list, wt);
	snprintf(spec, sizeof(spec), strchr(b->host, ':') != NULL ? "[%s]:%u" : "%s:%u",
		 b->host, wt->port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) < 0) {
		watch_free(wt);
		return;
	}
	wt->bev = bufferevent_socket_new(ws->d->base, -1,
					 BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (wt->bev == NULL) {
		watch_free(wt);
		return;
	}
	bufferevent_setcb(wt->bev, on_watch_read, NULL, on_watch_event, wt);
	bufferevent_enable(wt->bev, EV_READ);
	(void)bufferevent_socket_connect(wt->bev, (struct sockaddr *)&ss, sslen);
}

static struct watch *watch_find(struct watches *ws, const char *backend)
{
	for (struct watch *wt = ws->list; wt != NULL; wt = wt->next)
		if (strcmp(wt->backend, backend) == 0)
			return wt;
	return NULL;
}

void watches_sync(struct watches *ws)
{
	const struct backend_table *t = &ws->d->table;
	long long now = director_now_ms();
	struct watch *wt, *next;

	for (wt = ws->list; wt != NULL; wt = wt->next)
		wt->present = 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct hb_backend *b = &t->backends[i];

		if (b->ports[HB_SERVICE_IMAP] == 0)
			continue;
		wt = watch_find(ws, b->name);
		if (wt != NULL && (strcmp(wt->host, b->host) != 0 ||
				   wt->port != b->ports[HB_SERVICE_IMAP] ||
				   now - wt->opened_ms > WATCH_RENEW_MS)) {
			watch_free(wt);	/* quietly: a new one follows */
			wt = NULL;
		}
		if (wt == NULL)
			watch_open(ws, b);
		else
			wt->present = 1;
	}
	for (wt = ws->list; wt != NULL; wt = next) {
		next = wt->next;
		if (!wt->present)
			watch_free(wt);
	}
}

void watches_clear(struct watches *ws)
{
	while (ws->list != NULL)
		watch_free(ws->list);
}

void watches_destroy(struct watches **_ws)
{
	struct watches *ws = *_ws;

	if (ws == NULL)
		return;
	*_ws = NULL;
	watches_clear(ws);
	free(ws);
}
