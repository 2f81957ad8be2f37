/* redis-subscriber.h - a subscription to one Redis pub/sub channel inside the
 * Dovecot auth process, on a connection of its own (a subscribed connection
 * can run nothing else), for the answer cache's health events
 * (docs/AUTH-MODULE.md, "The answer cache").  It says when the subscription
 * is confirmed (SUBSCRIBE acknowledged) and when it is lost, hands over every
 * message, and reconnects by itself with a bounded back-off, driven by a
 * timer.  It never blocks; an outage is logged once, its end once, and a
 * SUBSCRIBE the ACLs refuse once, with the ACL line to add. */
#ifndef REDIS_SUBSCRIBER_H
#define REDIS_SUBSCRIBER_H

#include "redis-conn.h"

struct redis_subscriber;

struct redis_subscriber_callbacks {
	/* SUBSCRIBED: the subscription is confirmed (TRUE), or it was lost
	   (FALSE; messages may have been missed since). */
	void (*state)(bool subscribed, void *context);
	/* One message of LEN bytes (not NUL-terminated, any bytes). */
	void (*message)(const char *msg, size_t len, void *context);
};

/* Copies SET and CHANNEL and starts connecting at once. */
struct redis_subscriber *
redis_subscriber_create(const struct redis_client_settings *set,
			const char *channel,
			const struct redis_subscriber_callbacks *callbacks,
			void *context);
/* Closes the connection without calling back. */
void redis_subscriber_destroy(struct redis_subscriber **sub);

bool redis_subscriber_is_subscribed(const struct redis_subscriber *sub);

#endif
