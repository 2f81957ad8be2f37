/* probe.c - checks that a backend speaks its protocol, not just that a port is
 * open: IMAP must greet "* OK" (and answer a health user's LOGIN, when one is
 * configured: then the probe times a whole login), LMTP must greet 220 and
 * answer LHLO with 250.  Input is bounded (PROBE_INPUT_MAX) and every probe
 * ends within its timeout. */
#include "hb-config-auto.h"
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#define PROBE_INPUT_MAX 4096
#define PROBE_LINE_MAX 1024

struct probe {
	enum probe_kind kind;
	int lhlo_sent;
	int login_sent;
	char *login_cmd;		/* "h1 LOGIN ...", wiped when freed */
	struct bufferevent *bev;
	struct event *timer;
	probe_done_cb *done;
	void *ctx;
};

int probe_login_valid(const char *value)
{
	return value[0] != '\0' && strpbrk(value, "\"\\\r\n") == NULL;
}

void probe_cancel(struct probe *p)
{
	if (p->login_cmd != NULL) {
		explicit_bzero(p->login_cmd, strlen(p->login_cmd));
		free(p->login_cmd);
	}
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	event_free(p->timer);
	free(p);
}

static void probe_finish(struct probe *p, int ok, const char *reason)
{
	probe_done_cb *done = p->done;
	void *ctx = p->ctx;

	probe_cancel(p);
	done(ctx, ok, reason);
}

static void on_invalid_address(evutil_socket_t fd, short what, void *arg)
{
	probe_finish(arg, 0, "invalid address");
}

/* IMAP: the greeting, then the health LOGIN's tagged answer if one is sent;
 * untagged lines in between are skipped. */
static int probe_imap_line(struct probe *p, const char *line, const char **reason_r)
{
	if (!p->login_sent) {
		if (strncmp(line, "* OK", 4) != 0) {
			*reason_r = "IMAP greeting is not * OK";
			return -1;
		}
		if (p->login_cmd == NULL) {
			bufferevent_write(p->bev, "h LOGOUT\r\n", 10);
			return 1;
		}
		bufferevent_write(p->bev, p->login_cmd, strlen(p->login_cmd));
		p->login_sent = 1;
		return 0;
	}
	if (strncmp(line, "h1 ", 3) != 0)
		return 0;
	bufferevent_write(p->bev, "h2 LOGOUT\r\n", 11);
	if (strncmp(line, "h1 OK", 5) != 0)
		*reason_r = "the backend refused the health login";
	return 1;
}

/* Handle one greeting/reply line; returns 1 = success, -1 = failure, 0 = more. */
static int probe_line(struct probe *p, const char *line, const char **reason_r)
{
	if (p->kind == PROBE_IMAP)
		return probe_imap_line(p, line, reason_r);
	if (!p->lhlo_sent) {
		if (strncmp(line, "220-", 4) == 0)
			return 0;
		if (strncmp(line, "220 ", 4) != 0) {
			*reason_r = "LMTP greeting is not 220";
			return -1;
		}
		bufferevent_write(p->bev, "LHLO hummingbird-director\r\n", 27);
		p->lhlo_sent = 1;
		return 0;
	}
	if (strncmp(line, "250-", 4) == 0)
		return 0;
	if (strncmp(line, "250 ", 4) == 0) {
		bufferevent_write(p->bev, "QUIT\r\n", 6);
		return 1;
	}
	*reason_r = "LMTP LHLO was not answered with 250";
	return -1;
}

static void on_probe_read(struct bufferevent *bev, void *arg)
{
	struct probe *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const char *reason = NULL;
	char *line;
	size_t len;
	int ret = 0;

	while (ret == 0 && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		ret = len > PROBE_LINE_MAX ? -1 : probe_line(p, line, &reason);
		if (len > PROBE_LINE_MAX)
			reason = "reply line too long";
		free(line);
	}
	if (ret == 0 && evbuffer_get_length(in) > PROBE_INPUT_MAX) {
		ret = -1;
		reason = "too much input without a line end";
	}
	if (ret != 0)
		probe_finish(p, ret > 0, reason);
}

static void on_probe_event(struct bufferevent *bev, short what, void *arg)
{
	struct probe *p = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	probe_finish(p, 0, (what & BEV_EVENT_EOF) ? "connection closed" : "connection failed");
}

static void on_probe_timeout(evutil_socket_t fd, short what, void *arg)
{
	probe_finish(arg, 0, "timed out");
}

struct probe *probe_start(struct event_base *base, enum probe_kind kind, const char *host,
			  unsigned int port, unsigned int timeout_ms,
			  const struct probe_login *login, probe_done_cb *done, void *ctx)
{
	struct probe *p = calloc(1, sizeof(*p));
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char spec[128];
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (p == NULL)
		return NULL;
	p->kind = kind;
	if (kind == PROBE_IMAP && login != NULL &&
	    asprintf(&p->login_cmd, "h1 LOGIN \"%s\" \"%s\"\r\n", login->user,
		     login->password) < 0)
		p->login_cmd = NULL;	/* then the greeting alone */
	p->done = done;
	p->ctx = ctx;
	p->timer = evtimer_new(base, on_probe_timeout, p);
	snprintf(spec, sizeof(spec), strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) < 0) {
		/* report it from the loop, like every other failure */
		event_free(p->timer);
		p->timer = evtimer_new(base, on_invalid_address, p);
		struct timeval now = { 0, 0 };
		evtimer_add(p->timer, &now);
		return p;
	}
	/* deferred callbacks: a connect that fails at once must not call back
	 * into us before bufferevent_socket_connect() has returned */
	p->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(p->bev, on_probe_read, NULL, on_probe_event, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	evtimer_add(p->timer, &tv);
	/* a failure is reported through on_probe_event (or the timer) */
	(void)bufferevent_socket_connect(p->bev, (struct sockaddr *)&ss, sslen);
	return p;
}
