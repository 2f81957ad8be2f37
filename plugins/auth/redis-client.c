/* redis-client.c - calls over one Redis connection (redis-conn.c), each with
 * a timeout: when it fires the connection is dropped, because one hung reply
 * holds all the replies behind it.  A new connection is only tried by a call,
 * once the back-off since the last failure has passed. */
#include "lib.h"
#include "ioloop.h"
#include "redis-client.h"

struct redis_client {
	struct redis_conn *conn;
};

struct redis_call {
	struct timeout *to;
	redis_client_callback_t *callback;
	void *context;
	struct redis_client *client;
	bool done;
};

static void client_ready(void *context)
{
	struct redis_client *client = context;

	redis_conn_mark_up(client->conn);
}

static bool client_lost(void *context ATTR_UNUSED, const char *why ATTR_UNUSED)
{
	/* the next call reconnects, after the back-off */
	return FALSE;
}

static const struct redis_conn_vfuncs client_vfuncs = {
	.ready = client_ready,
	.lost = client_lost,
};

static void on_call_reply(redisAsyncContext *ac ATTR_UNUSED, void *r,
			  void *privdata)
{
	struct redis_call *call = privdata;
	redisReply *reply = r;

	if (!call->done) {
		call->done = TRUE;
		timeout_remove(&call->to);
		if (reply == NULL)
			call->callback(NULL, "Redis connection lost", call->context);
		else if (reply->type == REDIS_REPLY_ERROR)
			call->callback(NULL, reply->str, call->context);
		else
			call->callback(reply, NULL, call->context);
	}
	i_free(call);
}

static void on_call_timeout(struct redis_call *call)
{
	struct redis_client *client = call->client;

	timeout_remove(&call->to);
	call->done = TRUE;
	call->callback(NULL, t_strdup_printf("no reply from Redis within %u ms",
		redis_conn_get_settings(client->conn)->timeout_msecs),
		call->context);
	/* frees CALL through on_call_reply(NULL) */
	redis_conn_drop(client->conn, "a reply timed out");
}

int redis_client_call(struct redis_client *client, int argc,
		      const char *const *argv, redis_client_callback_t *callback,
		      void *context, const char **error_r)
{
	struct redis_call *call;

	if (!redis_conn_is_open(client->conn)) {
		if (!redis_conn_may_connect(client->conn)) {
			*error_r = "Redis unusable, next attempt in a moment";
			return -1;
		}
		if (redis_conn_connect(client->conn, error_r) < 0)
			return -1;
	}
	call = i_new(struct redis_call, 1);
	call->client = client;
	call->callback = callback;
	call->context = context;
	/* set before the send: a write error calls back at once */
	call->to = timeout_add(redis_conn_get_settings(client->conn)->timeout_msecs,
			       on_call_timeout, call);
	if (redis_conn_send(client->conn, on_call_reply, call, argc, argv) < 0) {
		timeout_remove(&call->to);
		i_free(call);
		*error_r = "Redis command could not be queued";
		return -1;
	}
	return 0;
}

struct redis_client *redis_client_create(const struct redis_client_settings *set)
{
	struct redis_client *client = i_new(struct redis_client, 1);

	client->conn = redis_conn_create(set, "",
		"routing through the director until it is back",
		&client_vfuncs, client);
	return client;
}

void redis_client_destroy(struct redis_client **_client)
{
	struct redis_client *client = *_client;

	*_client = NULL;
	redis_conn_destroy(&client->conn);
	i_free(client);
}
