/* watch.c - the idle IMAP connection to one backend.  It waits for the
 * greeting, then only listens: a "* BYE" is remembered, the close that
 * follows tells what happened.  Dovecot drops idle unauthenticated clients
 * after three minutes, so health.c renews a watch (closes it quietly and
 * opens another) once watch_stale() says so.  Input is bounded; nothing is
 * ever sent. */
#include "hb-config-auto.h"
#include "director.h"
#include "watch.h"
#include "probe-reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#define WATCH_RENEW_MS (60 * 1000)
#define WATCH_INPUT_MAX 4096
#define WATCH_BYE_MAX 80

struct watch {
	char host[HB_HOST_MAX + 1];
	unsigned int port;
	struct bufferevent *bev;
	long long opened_ms;
	int greeted;
	char bye[WATCH_BYE_MAX + 1];  /* the server's BYE line, "" = none */
	watch_end_cb *end;
	void *ctx;
};

void watch_close(struct watch **_wt)
{
	struct watch *wt = *_wt;

	if (wt == NULL)
		return;
	*_wt = NULL;
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
	watch_end_cb *end = wt->end;
	void *ctx = wt->ctx;
	char reason[160];
	int news = 0;

	if (wt->greeted && wt->bye[0] == '\0') {
		snprintf(reason, sizeof(reason), "IMAP connection %s without a BYE", how);
		news = 1;
	} else if (wt->greeted && probe_reply_bye_is_shutdown(wt->bye)) {
		snprintf(reason, sizeof(reason), "IMAP server said: %s", wt->bye);
		news = 1;
	}
	watch_close(&wt);
	end(ctx, news ? reason : NULL);
}

static void watch_line(struct watch *wt, const char *line)
{
	if (!wt->greeted && probe_reply_imap_greeting(line) == PROBE_OK)
		wt->greeted = 1;
	else if (strncmp(line, "* BYE", 5) == 0)
		probe_reply_quote(wt->bye, sizeof(wt->bye), line);
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
	if (evbuffer_get_length(in) > WATCH_INPUT_MAX) {
		/* not Dovecot talking: the probes will say */
		wt->greeted = 0;
		watch_ended(wt, "flooded");
	}
}

static void on_watch_event(struct bufferevent *bev, short what, void *arg)
{
	struct watch *wt = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	watch_ended(wt, (what & BEV_EVENT_EOF) ? "closed" : "reset");
}

struct watch *watch_open(struct event_base *base, const struct hb_backend *b,
			 watch_end_cb *end, void *ctx)
{
	struct watch *wt;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char spec[HB_HOST_MAX + 16];

	if (b->ports[HB_SERVICE_IMAP] == 0 || (wt = calloc(1, sizeof(*wt))) == NULL)
		return NULL;
	wt->end = end;
	wt->ctx = ctx;
	wt->port = b->ports[HB_SERVICE_IMAP];
	wt->opened_ms = director_now_ms();
	snprintf(wt->host, sizeof(wt->host), "%s", b->host);
	snprintf(spec, sizeof(spec), strchr(b->host, ':') != NULL ? "[%s]:%u" : "%s:%u",
		 b->host, wt->port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) < 0 ||
	    (wt->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE |
					      BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		watch_close(&wt);
		return NULL;
	}
	bufferevent_setcb(wt->bev, on_watch_read, NULL, on_watch_event, wt);
	bufferevent_enable(wt->bev, EV_READ);
	/* a failure is reported through on_watch_event, from the loop */
	(void)bufferevent_socket_connect(wt->bev, (struct sockaddr *)&ss, sslen);
	return wt;
}

int watch_stale(const struct watch *wt, const struct hb_backend *b, long long now_ms)
{
	return strcmp(wt->host, b->host) != 0 || wt->port != b->ports[HB_SERVICE_IMAP] ||
		now_ms - wt->opened_ms > WATCH_RENEW_MS;
}
