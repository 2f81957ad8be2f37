/* redis-subscriber.c - SUBSCRIBE over a connection of its own (redis-conn.c).
 * One timer does all the waiting: while closed it waits out the back-off
 * before the next connect, while connecting it bounds connect + AUTH + SELECT
 * + SUBSCRIBE by redis_timeout.  Once confirmed nothing runs on a timer:
 * the subscription costs nothing until a message comes.  A dead peer on TCP
 * is noticed by keepalive; until then the answer cache's TTL bounds what a
 * half-open connection can hide. */
#include "lib.h"
#include "ioloop.h"
#include "redis-subscriber.h"

struct redis_subscriber {
	struct redis_conn *conn;
	char *channel;
	const struct redis_subscriber_callbacks *callbacks;
	void *context;
	struct timeout *to;	/* next connect, or the SUBSCRIBE deadline */
	bool subscribed;
	bool refusal_logged;	/* NOPERM, until the next confirmation */
};

static void subscriber_connect(struct redis_subscriber *sub);

static void subscriber_retry_later(struct redis_subscriber *sub)
{
	timeout_remove(&sub->to);
	sub->to = timeout_add(redis_conn_backoff_msecs(sub->conn),
			      subscriber_connect, sub);
}

static void subscriber_deadline(struct redis_subscriber *sub)
{
	timeout_remove(&sub->to);
	redis_conn_drop(sub->conn, t_strdup_printf(
		"SUBSCRIBE not confirmed within %u ms",
		redis_conn_get_settings(sub->conn)->timeout_msecs));
}

static void subscriber_connect(struct redis_subscriber *sub)
{
	const char *error;

	timeout_remove(&sub->to);
	if (redis_conn_connect(sub->conn, &error) < 0) {
		subscriber_retry_later(sub);
		return;
	}
	sub->to = timeout_add(redis_conn_get_settings(sub->conn)->timeout_msecs,
			      subscriber_deadline, sub);
}

static void subscriber_confirmed(struct redis_subscriber *sub)
{
	if (sub->subscribed)
		return;
	timeout_remove(&sub->to);
	sub->subscribed = TRUE;
	sub->refusal_logged = FALSE;
	redis_conn_mark_up(sub->conn);
	sub->callbacks->state(TRUE, sub->context);
}

/* Every reply on the subscribed connection: the confirmation, messages, and
   (newer hiredis) errors.  NULL when the connection is going: lost() says. */
static void on_subscription_reply(redisAsyncContext *ac ATTR_UNUSED, void *r,
				  void *privdata)
{
	struct redis_subscriber *sub = privdata;
	const redisReply *reply = r;
	const char *kind;

	if (reply == NULL || !redis_conn_is_open(sub->conn))
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		redis_conn_drop(sub->conn, t_strdup(reply->str));
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING)
		return;
	kind = reply->element[0]->str;
	if (strcmp(kind, "subscribe") == 0 &&
	    strcmp(reply->element[1]->str, sub->channel) == 0) {
		subscriber_confirmed(sub);
	} else if (strcmp(kind, "message") == 0 && sub->subscribed &&
		   reply->element[2]->type == REDIS_REPLY_STRING) {
		sub->callbacks->message(reply->element[2]->str,
					reply->element[2]->len, sub->context);
	}
}

static void subscriber_ready(void *context)
{
	struct redis_subscriber *sub = context;
	const char *argv[] = { "SUBSCRIBE", sub->channel };

	if (redis_conn_send(sub->conn, on_subscription_reply, sub,
			    N_ELEMENTS(argv), argv) < 0)
		redis_conn_drop(sub->conn, "SUBSCRIBE could not be queued");
}

/* Said once: the ACLs will not change by themselves.  The connection is
   still tried again (after the longest back-off), so that an ACL LOAD with
   the fix is picked up without a restart. */
static bool subscriber_log_refusal(struct redis_subscriber *sub,
				   const char *why)
{
	const char *user = redis_conn_get_settings(sub->conn)->user;

	if (!sub->refusal_logged) {
		i_error("passdb hummingbird: Redis refused SUBSCRIBE %s: %s; "
			"add \"&%s +subscribe\" to the ACL of Redis user %s "
			"(conf.d/redis-users.acl, docs/SECURITY.md 2): until "
			"then logins are answered from Redis, but none is "
			"cached", sub->channel, why, sub->channel,
			user[0] == '\0' ? "default" : user);
		sub->refusal_logged = TRUE;
	}
	return TRUE;
}

static bool subscriber_lost(void *context, const char *why)
{
	struct redis_subscriber *sub = context;
	bool was_subscribed = sub->subscribed;

	sub->subscribed = FALSE;
	subscriber_retry_later(sub);
	if (was_subscribed)
		sub->callbacks->state(FALSE, sub->context);
	if (strncmp(why, "NOPERM", 6) == 0)
		return subscriber_log_refusal(sub, why);
	return FALSE;
}

static const struct redis_conn_vfuncs subscriber_vfuncs = {
	.ready = subscriber_ready,
	.lost = subscriber_lost,
};

struct redis_subscriber *
redis_subscriber_create(const struct redis_client_settings *set,
			const char *channel,
			const struct redis_subscriber_callbacks *callbacks,
			void *context)
{
	struct redis_subscriber *sub = i_new(struct redis_subscriber, 1);

	sub->channel = i_strdup(channel);
	sub->callbacks = callbacks;
	sub->context = context;
	sub->conn = redis_conn_create(set, t_strdup_printf(
		"subscription to %s", channel),
		"answers are not cached until it is back",
		&subscriber_vfuncs, sub);
	subscriber_connect(sub);
	return sub;
}

void redis_subscriber_destroy(struct redis_subscriber **_sub)
{
	struct redis_subscriber *sub = *_sub;

	*_sub = NULL;
	timeout_remove(&sub->to);
	/* no lost() and no state callback from here on */
	redis_conn_destroy(&sub->conn);
	i_free(sub->channel);
	i_free(sub);
}

bool redis_subscriber_is_subscribed(const struct redis_subscriber *sub)
{
	return sub->subscribed;
}
