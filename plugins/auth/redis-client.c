/* redis-client.c - hiredis (0.14, async API) driven by Dovecot's ioloop in
 * the auth process.  hiredis asks for write readiness after every command;
 * instead of an epoll change per login the command is written at once
 * (redis_client_call flushes), and only a socket that is full or still
 * connecting gets a real IO_WRITE watch.  Every call has a timeout: when it
 * fires the connection is dropped, because one hung reply holds all the
 * replies behind it. */
#include "lib.h"
#include "ioloop.h"
#include "safe-memset.h"
#include "redis-client.h"

#include <hiredis/async.h>

#define REDIS_BACKOFF_MAX_SECS 30

struct redis_client {
	struct redis_client_settings set;	/* strings owned below */
	char *socket_path, *host, *user, *password;
	redisAsyncContext *ac;
	struct io *io_read, *io_write;
	struct timeout *to_flush;
	bool in_write;		/* inside redisAsyncHandleWrite() */
	bool outage_logged;
	unsigned int backoff_secs;
	time_t retry_at;
};

struct redis_call {
	struct timeout *to;
	redis_client_callback_t *callback;
	void *context;
	struct redis_client *client;
	bool done;
};

static const char *client_where(const struct redis_client *client)
{
	return client->set.socket_path[0] != '\0' ? client->set.socket_path :
		t_strdup_printf("%s:%u", client->set.host, client->set.port);
}

static void client_mark_down(struct redis_client *client, const char *why)
{
	client->backoff_secs = client->backoff_secs == 0 ? 1 :
		I_MIN(client->backoff_secs * 2, REDIS_BACKOFF_MAX_SECS);
	client->retry_at = ioloop_time + client->backoff_secs;
	if (!client->outage_logged) {
		i_error("passdb hummingbird: Redis %s unusable: %s (routing "
			"through the director until it is back)",
			client_where(client), why);
		client->outage_logged = TRUE;
	}
}

static void client_mark_up(struct redis_client *client)
{
	if (client->outage_logged) {
		i_info("passdb hummingbird: Redis %s usable again",
		       client_where(client));
	}
	client->outage_logged = FALSE;
	client->backoff_secs = 0;
}

/* Drop the connection ourselves: no disconnect callback, every call in
   flight gets an error. */
static void client_drop(struct redis_client *client, const char *why)
{
	redisAsyncContext *ac = client->ac;

	if (ac == NULL)
		return;
	client->ac = NULL;
	ac->onDisconnect = NULL;
	client_mark_down(client, why);
	redisAsyncFree(ac);
}

/* hiredis event hooks */

static void client_write_now(struct redis_client *client)
{
	client->in_write = TRUE;
	redisAsyncHandleWrite(client->ac);
	client->in_write = FALSE;
}

static void on_readable(struct redis_client *client)
{
	redisAsyncHandleRead(client->ac);
}

static void on_writable(struct redis_client *client)
{
	client_write_now(client);
}

static void on_flush_timeout(struct redis_client *client)
{
	timeout_remove(&client->to_flush);
	client_write_now(client);
}

static void ev_add_read(void *privdata)
{
	struct redis_client *client = privdata;

	if (client->io_read == NULL) {
		client->io_read = io_add(client->ac->c.fd, IO_READ,
					 on_readable, client);
	}
}

static void ev_del_read(void *privdata)
{
	struct redis_client *client = privdata;

	io_remove(&client->io_read);
}

static void ev_add_write(void *privdata)
{
	struct redis_client *client = privdata;
	bool connected = (client->ac->c.flags & REDIS_CONNECTED) != 0;

	if (client->io_write != NULL || client->to_flush != NULL)
		return;
	if (client->in_write || !connected) {
		client->io_write = io_add(client->ac->c.fd, IO_WRITE,
					  on_writable, client);
	} else {
		/* a safety net: redis_client_call() writes at once */
		client->to_flush = timeout_add_short(0, on_flush_timeout,
						     client);
	}
}

static void ev_del_write(void *privdata)
{
	struct redis_client *client = privdata;

	io_remove(&client->io_write);
	timeout_remove(&client->to_flush);
}

static void ev_cleanup(void *privdata)
{
	ev_del_read(privdata);
	ev_del_write(privdata);
}

/* connection */

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_client *client = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		client->ac = NULL;
		client_mark_down(client, ac->errstr);
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_client *client = ac->data;

	client->ac = NULL;
	client_mark_down(client, status == REDIS_OK ? "connection closed" :
			 ac->errstr);
}

/* AUTH and SELECT; PRIVDATA is set on the last one */
static void on_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
	struct redis_client *client = ac->data;
	redisReply *reply = r;

	if (reply == NULL || client->ac != ac)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		client_drop(client, t_strdup_printf("handshake failed: %s",
						    reply->str));
	} else if (privdata != NULL) {
		client_mark_up(client);
	}
}

static void client_handshake(struct redis_client *client)
{
	const char *argv[3];
	char db[16];
	int argc = 0;

	if (client->set.password != NULL) {
		argv[argc++] = "AUTH";
		if (client->set.user[0] != '\0')
			argv[argc++] = client->set.user;
		argv[argc++] = client->set.password;
		redisAsyncCommandArgv(client->ac, on_handshake, NULL, argc,
				      argv, NULL);
	}
	i_snprintf(db, sizeof(db), "%u", client->set.db);
	argv[0] = "SELECT";
	argv[1] = db;
	redisAsyncCommandArgv(client->ac, on_handshake, client, 2, argv, NULL);
}

static int client_connect(struct redis_client *client, const char **error_r)
{
	redisAsyncContext *ac;

	ac = client->set.socket_path[0] != '\0' ?
		redisAsyncConnectUnix(client->set.socket_path) :
		redisAsyncConnect(client->set.host, (int)client->set.port);
	if (ac == NULL || ac->err != 0) {
		*error_r = t_strdup_printf("connect failed: %s",
			ac == NULL ? "out of memory" : ac->errstr);
		if (ac != NULL)
			redisAsyncFree(ac);
		client_mark_down(client, *error_r);
		return -1;
	}
	client->ac = ac;
	ac->data = client;
	ac->ev.data = client;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	ev_add_read(client);
	ev_add_write(client);	/* completes the connect */
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	client_handshake(client);
	return 0;
}

/* calls */

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
		client->set.timeout_msecs), call->context);
	/* frees CALL through on_call_reply(NULL) */
	client_drop(client, "a reply timed out");
}

int redis_client_call(struct redis_client *client, int argc,
		      const char *const *argv, redis_client_callback_t *callback,
		      void *context, const char **error_r)
{
	struct redis_call *call;

	if (client->ac == NULL) {
		if (ioloop_time < client->retry_at) {
			*error_r = "Redis unusable, next attempt in a moment";
			return -1;
		}
		if (client_connect(client, error_r) < 0)
			return -1;
	}
	call = i_new(struct redis_call, 1);
	call->client = client;
	call->callback = callback;
	call->context = context;
	if (redisAsyncCommandArgv(client->ac, on_call_reply, call, argc,
				  (const char **)argv, NULL) != REDIS_OK) {
		i_free(call);
		*error_r = "Redis command could not be queued";
		return -1;
	}
	call->to = timeout_add(client->set.timeout_msecs, on_call_timeout, call);
	if ((client->ac->c.flags & REDIS_CONNECTED) != 0) {
		timeout_remove(&client->to_flush);
		client_write_now(client);	/* may call CALLBACK on an error */
	}
	return 0;
}

struct redis_client *redis_client_create(const struct redis_client_settings *set)
{
	struct redis_client *client = i_new(struct redis_client, 1);

	client->set = *set;
	client->set.socket_path = client->socket_path = i_strdup(set->socket_path);
	client->set.host = client->host = i_strdup(set->host);
	client->set.user = client->user = i_strdup(set->user);
	client->set.password = client->password = i_strdup(set->password);
	return client;
}

void redis_client_destroy(struct redis_client **_client)
{
	struct redis_client *client = *_client;
	redisAsyncContext *ac = client->ac;

	*_client = NULL;
	if (ac != NULL) {
		client->ac = NULL;
		ac->onDisconnect = NULL;
		redisAsyncFree(ac);
	}
	if (client->password != NULL)
		safe_memset(client->password, 0, strlen(client->password));
	i_free(client->socket_path);
	i_free(client->host);
	i_free(client->user);
	i_free(client->password);
	i_free(client);
}
