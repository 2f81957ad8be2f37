/* kick.c - doveadm HTTP API "kick" of every session on a backend, then "who"
 * until none is left (bounded by kick_timeout), through doveadm-client.c.
 * The API key is read (and checked) by apikey.c and kept only in memory. */
#include "hb-config-auto.h"
#include "director.h"
#include "kick.h"
#include "apikey.h"
#include "doveadm-client.h"
#include "hb-dlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KICK_BODY "[[\"kick\",{\"mask\":[\"*\"],\"force\":true},\"hb-kick\"]]"
#define WHO_BODY "[[\"who\",{\"mask\":[\"*\"]},\"hb-who\"]]"
#define KICK_REPLY_MAX 65536
#define WHO_POLL_MS 200

enum kick_phase { PHASE_KICK, PHASE_WHO };

struct kick {
	struct director *d;
	struct kick *prev, *next;   /* in director->kicks, freed at shutdown */
	kick_done_cb *done;
	char backend[HB_BACKEND_NAME_MAX + 1];
	char host[HB_HOST_MAX + 1];
	unsigned int port;
	long long deadline_ms;
	enum kick_phase phase;
	struct doveadm_req *req;    /* the request in flight, or NULL */
	struct event *poll_timer;
	struct event *delay_timer;  /* before the kick, see kick_all() */
};

static void kick_send(struct kick *k);

int kick_init(struct director *d, char *err, size_t err_size)
{
	return apikey_load(d, err, err_size);
}

void kick_deinit(struct director *d)
{
	while (d->kicks != NULL) {
		struct kick *k = d->kicks;
		HB_DLIST_REMOVE(d->kicks, k);
		doveadm_cancel(&k->req);
		if (k->poll_timer != NULL)
			event_free(k->poll_timer);
		if (k->delay_timer != NULL)
			event_free(k->delay_timer);
		free(k);
	}
	apikey_unload(d);
}

int kick_available(const struct director *d)
{
	return d->doveadm_auth != NULL;
}

static void kick_finish(struct kick *k, enum kick_result result, const char *detail)
{
	struct director *d = k->d;
	char backend[sizeof(k->backend)];
	kick_done_cb *done = k->done;

	snprintf(backend, sizeof(backend), "%s", k->backend);
	HB_DLIST_REMOVE(d->kicks, k);
	if (k->poll_timer != NULL)
		event_free(k->poll_timer);
	if (k->delay_timer != NULL)
		event_free(k->delay_timer);
	free(k);
	done(d, backend, result, detail);
}

/* The reply body, NUL-terminated in BUF (cut at BUF_SIZE - 1). */
static const char *reply_body(const char *body, size_t len, char *buf, size_t buf_size)
{
	if (len > buf_size - 1)
		len = buf_size - 1;
	memcpy(buf, body, len);
	buf[len] = '\0';
	return buf;
}

/* doveadm's HTTP API answers 200 also when the command failed: the result is
 * in the body.  "kick" succeeded, or exit code 68 = no session to kick. */
static int kick_body_ok(const char *body)
{
	return strstr(body, "\"doveadmResponse\"") != NULL ||
		strstr(body, "\"exitCode\":68") != NULL;
}

static void on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
	kick_send(arg);
}

static void kick_who_result(struct kick *k, const char *body)
{
	struct timeval tv = { 0, WHO_POLL_MS * 1000 };

	if (strstr(body, "\"doveadmResponse\",[]") != NULL) {
		kick_finish(k, KICK_DONE, "sessions kicked, none left");
		return;
	}
	if (strstr(body, "\"doveadmResponse\"") == NULL) {
		kick_finish(k, KICK_REFUSED, "doveadm who failed");
		return;
	}
	/* kicked processes take a moment to exit: poll until they are gone */
	if (director_now_ms() + WHO_POLL_MS > k->deadline_ms) {
		kick_finish(k, KICK_TIMEOUT, "sessions still open after kick_timeout");
		return;
	}
	if (k->poll_timer == NULL)
		k->poll_timer = evtimer_new(k->d->base, on_poll_timer, k);
	evtimer_add(k->poll_timer, &tv);
}

static void on_kick_reply(void *ctx, enum doveadm_status status, int code,
			  const char *text, size_t len)
{
	struct kick *k = ctx;
	char body[1024], why[512];

	k->req = NULL;
	if (status == DOVEADM_TLS_FAILED) {
		/* something answers there: its sessions may still run */
		snprintf(why, sizeof(why), "%.*s; the API key was not sent", (int)len, text);
		kick_finish(k, KICK_REFUSED, why);
	} else if (status == DOVEADM_TIMEOUT)
		kick_finish(k, KICK_TIMEOUT, "doveadm API did not answer in time");
	else if (status == DOVEADM_UNREACHABLE)
		kick_finish(k, KICK_UNREACHABLE, "doveadm API unreachable");
	else if (status != DOVEADM_REPLY)
		kick_finish(k, KICK_REFUSED, "doveadm API reply unusable");
	else if (code != 200)
		kick_finish(k, KICK_REFUSED, apikey_http_error(k->d, code, why, sizeof(why)));
	else if (k->phase == PHASE_WHO)
		kick_who_result(k, reply_body(text, len, body, sizeof(body)));
	else if (!kick_body_ok(reply_body(text, len, body, sizeof(body))))
		kick_finish(k, KICK_REFUSED, "doveadm kick failed");
	else {
		k->phase = PHASE_WHO;
		kick_send(k);
	}
}

/* One request of the current phase on a fresh connection. */
static void kick_send(struct kick *k)
{
	long long left_ms = k->deadline_ms - director_now_ms();

	k->req = doveadm_post(k->d, k->host, k->port,
			      k->phase == PHASE_KICK ? KICK_BODY : WHO_BODY,
			      left_ms < 1000 ? 1000 : (unsigned int)left_ms, KICK_REPLY_MAX,
			      on_kick_reply, k);
	if (k->req == NULL)
		kick_finish(k, KICK_UNREACHABLE, "cannot send the request");
}

static void on_delay_timer(evutil_socket_t fd, short what, void *arg)
{
	struct kick *k = arg;

	k->deadline_ms = director_now_ms() + k->d->set->kick_timeout_ms;
	kick_send(k);
}

void kick_all(struct director *d, const char *backend, const char *host,
	      unsigned int port, unsigned int delay_ms, kick_done_cb *done)
{
	struct timeval tv = { delay_ms / 1000, (delay_ms % 1000) * 1000 };

	struct kick *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		done(d, backend, KICK_REFUSED, "out of memory");
		return;
	}
	k->d = d;
	k->done = done;
	k->port = port;
	k->phase = PHASE_KICK;
	k->deadline_ms = director_now_ms() + d->set->kick_timeout_ms;
	snprintf(k->backend, sizeof(k->backend), "%s", backend);
	snprintf(k->host, sizeof(k->host), "%s", host);
	HB_DLIST_PREPEND(d->kicks, k);
	if (delay_ms == 0) {
		kick_send(k);
		return;
	}
	k->delay_timer = evtimer_new(d->base, on_delay_timer, k);
	if (k->delay_timer == NULL) {
		kick_finish(k, KICK_REFUSED, "out of memory");
		return;
	}
	evtimer_add(k->delay_timer, &tv);
}
