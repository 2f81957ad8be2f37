/* probe.c - checks that a backend speaks its protocol, not just that a port is
 * open: IMAP must greet "* OK" (and answer a health user's LOGIN, when one is
 * configured: then the probe times a whole login), LMTP must greet 220 and
 * answer LHLO with 250.  Every outcome is classified (probe.h): only what
 * proves a death may fail a backend over at once.  Input is bounded
 * (PROBE_INPUT_MAX) and every probe ends within its timeout. */
#include "hb-config-auto.h"
#include "probe.h"
#include "probe-reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#define PROBE_INPUT_MAX 4096
#define PROBE_LINE_MAX 1024
/* how much of an unexpected reply a reason quotes */
#define PROBE_QUOTE_MAX 60

struct probe {
	enum probe_kind kind;
	int lhlo_sent;
	int login_sent;
	int heard;
	char *login_cmd;		/* "h1 LOGIN ...", wiped when freed */
	struct bufferevent *bev;
	struct event *timer;
	probe_done_cb *done;
	void *ctx;
	char reason[160];
};

const char *probe_status_name(enum probe_status status)
{
	switch (status) {
	case PROBE_OK: return "ok";
	case PROBE_SICK: return "sick";
	case PROBE_DEAD: return "dead";
	case PROBE_SILENT: return "silent";
	}
	return "?";
}

int probe_login_valid(const char *value)
{
	return value[0] != '\0' && strpbrk(value, "\"\\\r\n") == NULL;
}

int probe_heard(const struct probe *p)
{
	return p->heard;
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

static void probe_finish(struct probe *p, enum probe_status status, const char *reason)
{
	probe_done_cb *done = p->done;
	void *ctx = p->ctx;
	char copy[sizeof(p->reason)];

	if (reason != NULL)
		snprintf(copy, sizeof(copy), "%s", reason);
	probe_cancel(p);
	done(ctx, status, reason != NULL ? copy : NULL);
}

static void on_invalid_address(evutil_socket_t fd, short what, void *arg)
{
	probe_finish(arg, PROBE_DEAD, "invalid address");
}

/* "WHAT: LINE", LINE cut short and made printable */
static const char *quote_reply(struct probe *p, const char *what, const char *line)
{
	char shown[PROBE_QUOTE_MAX + 1];

	probe_reply_quote(shown, sizeof(shown), line);
	snprintf(p->reason, sizeof(p->reason), "%s: %s", what, shown);
	return p->reason;
}

/* IMAP: the greeting, then the health LOGIN's tagged answer if one is sent
 * (probe-reply.c says what each line means). */
static int probe_imap_line(struct probe *p, const char *line, const char **reason_r)
{
	int ret, refused;

	if (p->login_sent) {
		ret = probe_reply_imap_login(line, &refused);
		if (ret == PROBE_REPLY_MORE)
			return ret;
		bufferevent_write(p->bev, "h2 LOGOUT\r\n", 11);
		if (refused)
			*reason_r = "the backend refused the health login";
		else if (ret != PROBE_OK)
			*reason_r = quote_reply(p, "health login failed", line);
		return ret;
	}
	ret = probe_reply_imap_greeting(line);
	if (ret != PROBE_OK) {
		*reason_r = quote_reply(p, ret == PROBE_SICK ? "IMAP greeting" :
					"not an IMAP greeting", line);
		return ret;
	}
	if (p->login_cmd == NULL) {
		bufferevent_write(p->bev, "h LOGOUT\r\n", 10);
		return PROBE_OK;
	}
	bufferevent_write(p->bev, p->login_cmd, strlen(p->login_cmd));
	p->login_sent = 1;
	return PROBE_REPLY_MORE;
}

/* Handle one greeting/reply line: a probe_status when done, MORE for more. */
static int probe_line(struct probe *p, const char *line, const char **reason_r)
{
	int ret;

	if (p->kind == PROBE_IMAP)
		return probe_imap_line(p, line, reason_r);
	ret = probe_reply_lmtp(line, p->lhlo_sent ? "250" : "220");
	if (ret == PROBE_REPLY_MORE)
		return ret;
	if (ret != PROBE_OK) {
		*reason_r = quote_reply(p, p->lhlo_sent ? "LMTP LHLO answered" : "LMTP greeting", line);
		return ret;
	}
	if (p->lhlo_sent) {
		bufferevent_write(p->bev, "QUIT\r\n", 6);
		return PROBE_OK;
	}
	bufferevent_write(p->bev, "LHLO hummingbird-director\r\n", 27);
	p->lhlo_sent = 1;
	return PROBE_REPLY_MORE;
}

static void on_probe_read(struct bufferevent *bev, void *arg)
{
	struct probe *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const char *reason = NULL;
	char *line;
	size_t len;
	int ret = PROBE_REPLY_MORE;

	if (evbuffer_get_length(in) > 0)
		p->heard = 1;
	while (ret == PROBE_REPLY_MORE && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		if (len > PROBE_LINE_MAX) {
			ret = PROBE_DEAD;
			reason = "reply line too long";
		} else {
			ret = probe_line(p, line, &reason);
		}
		free(line);
	}
	if (ret == PROBE_REPLY_MORE && evbuffer_get_length(in) > PROBE_INPUT_MAX) {
		ret = PROBE_DEAD;
		reason = "too much input without a line end";
	}
	if (ret != PROBE_REPLY_MORE)
		probe_finish(p, (enum probe_status)ret, reason);
}

/* Refused and reset prove that the host is up and nothing serves the port;
 * other errors (unreachable, timed out) are what a busy network or a host
 * without power also cause. */
static void on_probe_event(struct bufferevent *bev, short what, void *arg)
{
	struct probe *p = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		probe_finish(p, PROBE_DEAD, p->heard ? "connection closed in the middle of a reply" :
			     "connection closed before the greeting");
	else if (err == ECONNREFUSED)
		probe_finish(p, PROBE_DEAD, "connection refused");
	else if (err == ECONNRESET || err == EPIPE)
		probe_finish(p, PROBE_DEAD, "connection reset");
	else {
		snprintf(p->reason, sizeof(p->reason), "connection failed: %s", strerror(err));
		probe_finish(p, PROBE_SILENT, p->reason);
	}
}

static void on_probe_timeout(evutil_socket_t fd, short what, void *arg)
{
	probe_finish(arg, PROBE_SILENT, "no answer in time");
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
