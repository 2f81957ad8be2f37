/* deferred.c - replies admind holds back for a while (a login of a name
 * under attack waits, docs/ADMIND.md 2) on a libevent timer, so that the
 * event loop keeps serving everyone else meanwhile.  evhttp keeps the
 * request alive until it is answered, even when its client has gone away
 * (then sending it only frees it).  Never blocks, never sleeps. */
#include "admind.h"

#include <event2/event.h>
#include <stdlib.h>

struct admind_deferred {
	struct admind_deferred *prev, *next;
	struct admind *ad;
	struct evhttp_request *ev;
	struct admind_reply reply;
	struct event *timer;
};

/* The head is told by identity, not by a NULL prev: the same for a
 * consistent list, and it keeps ad->deferred provably off a freed entry. */
static void unlink_entry(struct admind *ad, struct admind_deferred *d)
{
	if (ad->deferred == d)
		ad->deferred = d->next;
	else
		d->prev->next = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
}

static void entry_free(struct admind *ad, struct admind_deferred *d)
{
	unlink_entry(ad, d);
	event_free(d->timer);
	admind_reply_free(&d->reply);
	free(d);
}

static void on_due(evutil_socket_t fd, short what, void *arg)
{
	struct admind_deferred *d = arg;

	(void)fd; (void)what;
	admind_server_send(d->ev, &d->reply);
	entry_free(d->ad, d);
}

int admind_defer(struct admind *ad, struct evhttp_request *ev, struct admind_reply *reply)
{
	struct admind_deferred *d = calloc(1, sizeof(*d));
	struct timeval tv = { reply->delay_ms / 1000, (suseconds_t)(reply->delay_ms % 1000) * 1000 };

	if (d == NULL)
		return -1;
	d->timer = evtimer_new(ad->base, on_due, d);
	if (d->timer == NULL || evtimer_add(d->timer, &tv) < 0) {
		if (d->timer != NULL)
			event_free(d->timer);
		free(d);
		return -1;
	}
	d->ad = ad;
	d->ev = ev;
	d->reply = *reply;
	d->next = ad->deferred;
	if (d->next != NULL)
		d->next->prev = d;
	ad->deferred = d;
	return 0;
}

void admind_deferred_drop(struct admind *ad)
{
	/* answered now: a request whose connection is gone is freed only by
	 * being answered */
	while (ad->deferred != NULL) {
		admind_server_send(ad->deferred->ev, &ad->deferred->reply);
		entry_free(ad, ad->deferred);
	}
}
