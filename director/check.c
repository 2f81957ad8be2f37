/* check.c - runs a backend's IMAP and LMTP probes side by side and combines
 * their outcomes.  A proof of death ends the check at once (the other probe
 * cannot change the verdict); otherwise it waits for both. */
#include "hb-config-auto.h"
#include "check.h"
#include "director.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHANNEL_IMAP, CHANNEL_LMTP, CHANNEL_COUNT };

struct check;

struct check_slot {
	struct check *check;
	unsigned int channel;
};

struct check {
	struct check_slot slots[CHANNEL_COUNT];
	struct probe *probes[CHANNEL_COUNT];
	unsigned int probes_left;
	int heard;               /* a finished probe got an answer */
	long long started_ms;
	check_done_cb *done;
	void *ctx;
	struct check_result result;
};

static const char *const channel_names[CHANNEL_COUNT] = { "IMAP", "LMTP" };

/* how much an outcome says: a later one replaces an earlier one only when
   it says more */
static int status_weight(enum probe_status status)
{
	switch (status) {
	case PROBE_DEAD: return 3;
	case PROBE_SICK: return 2;
	case PROBE_SILENT: return 1;
	case PROBE_OK: return 0;
	}
	return 0;
}

static void check_free(struct check *c)
{
	for (unsigned int i = 0; i < CHANNEL_COUNT; i++) {
		if (c->probes[i] != NULL)
			probe_cancel(c->probes[i]);
	}
	free(c);
}

static void check_finish(struct check *c)
{
	struct check_result result = c->result;
	check_done_cb *done = c->done;
	void *ctx = c->ctx;

	check_free(c);
	done(ctx, &result);
}

static void on_probe_done(void *arg, enum probe_status status, const char *reason)
{
	struct check_slot *slot = arg;
	struct check *c = slot->check;
	struct check_result *r = &c->result;
	long long took = director_now_ms() - c->started_ms;

	c->probes[slot->channel] = NULL;
	c->probes_left--;
	if (status == PROBE_OK || status == PROBE_SICK)
		c->heard = 1;
	if (status == PROBE_OK && reason != NULL)
		r->login_refused = 1;	/* slow on purpose: auth_failure_delay */
	else if (took > r->took_ms)
		r->took_ms = took;
	if (status_weight(status) > status_weight(r->status)) {
		r->status = status;
		snprintf(r->reason, sizeof(r->reason), "%s: %s", channel_names[slot->channel],
			 reason != NULL ? reason : probe_status_name(status));
	}
	if (c->probes_left == 0 || status == PROBE_DEAD)
		check_finish(c);
}

struct check *check_start(struct event_base *base, const struct hb_backend *b,
			  const struct probe_login *login, unsigned int timeout_ms,
			  check_done_cb *done, void *ctx)
{
	static const enum hb_service services[CHANNEL_COUNT] = { HB_SERVICE_IMAP, HB_SERVICE_LMTP };
	static const enum probe_kind kinds[CHANNEL_COUNT] = { PROBE_IMAP, PROBE_LMTP };
	struct check *c;

	if (b->ports[HB_SERVICE_IMAP] == 0 && b->ports[HB_SERVICE_LMTP] == 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->done = done;
	c->ctx = ctx;
	c->started_ms = director_now_ms();
	c->result.status = PROBE_OK;
	snprintf(c->result.reason, sizeof(c->result.reason), "ok");
	for (unsigned int i = 0; i < CHANNEL_COUNT; i++) {
		unsigned int port = b->ports[services[i]];

		if (port == 0)
			continue;
		c->slots[i].check = c;
		c->slots[i].channel = i;
		c->probes[i] = probe_start(base, kinds[i], b->host, port, timeout_ms,
					   i == CHANNEL_IMAP ? login : NULL, on_probe_done,
					   &c->slots[i]);
		if (c->probes[i] == NULL) {
			check_free(c);
			return NULL;
		}
		c->probes_left++;
	}
	return c;
}

int check_heard(const struct check *c)
{
	if (c->heard)
		return 1;
	for (unsigned int i = 0; i < CHANNEL_COUNT; i++) {
		if (c->probes[i] != NULL && probe_heard(c->probes[i]))
			return 1;
	}
	return 0;
}

void check_cancel(struct check **_c)
{
	if (*_c == NULL)
		return;
	check_free(*_c);
	*_c = NULL;
}
