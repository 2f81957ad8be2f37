/* redis.c - asynchronous Redis connection of the director (hiredis + its
 * libevent adapter).  hiredis 0.14 has no command timeouts, so every call gets
 * its own timer; a call that times out drops the connection, which then
 * reconnects with back-off.  Never blocks the event loop. */
#include "hb-config-auto.h"
#include "director.h"
#include "redis.h"
#include "metrics.h"
#include "table.h"
#include "hb-log.h"
#include "hb-scripts.h"

#include <stdlib.h>
#include <string.h>
#include <hiredis/adapters/libevent.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct redis_call {
	struct director *d;
	redis_reply_cb *cb;
	void *ctx;
	struct event *timer;
	int done;
};

static void schedule_reconnect(struct director *d);

static void redis_mark_down(struct director *d, const char *why)
{
	d->redis.connected = 0;
	metrics_set_redis_up(d->metrics, 0);
	if (!d->redis.down_logged) {
		hb_error("Redis unreachable (%s): serving from cache and consistent "
			 "hashing until it returns", why);
		d->redis.down_logged = 1;
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct director *d = ac->data;

	d->redis.ctx = NULL;
	redis_mark_down(d, status == REDIS_OK ? "disconnected" : ac->errstr);
	schedule_reconnect(d);
}

static void on_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
	struct director *d = ac->data;
	redisReply *reply = r;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		/* wrong password or db: keep retrying, the operator sees the log */
		if (!d->redis.down_logged && reply != NULL)
			hb_error("Redis handshake failed: %s", reply->str);
		redis_mark_down(d, reply != NULL ? reply->str : "handshake failed");
		return;
	}
	if (privdata == NULL)
		return; /* AUTH reply; the final PING follows */
	d->redis.connected = 1;
	d->redis.backoff_ms = 0;
	metrics_set_redis_up(d->metrics, 1);
	if (d->redis.down_logged)
		hb_info("Redis connection restored");
	d->redis.down_logged = 0;
	table_refresh(d); /* do not route on a stale table after an outage */
}

static void on_script_loaded(redisAsyncContext *ac, void *r, void *privdata)
{
	struct director *d = ac->data;
	redisReply *reply = r;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING && reply->len == 40)
		memcpy(d->redis.route_sha, reply->str, 41);
}

void director_redis_load_scripts(struct director *d)
{
	const char *argv[] = { "SCRIPT", "LOAD", hb_script_route };

	d->redis.route_sha[0] = '\0';
	if (d->redis.ctx != NULL)
		redisAsyncCommandArgv(d->redis.ctx, on_script_loaded, NULL, 3, argv, NULL);
}

int director_redis_is_noscript(const char *error)
{
	return error != NULL && strncmp(error, "NOSCRIPT", 8) == 0;
}

static void send_handshake(struct director *d)
{
	const struct hb_settings *set = d->set;
	redisAsyncContext *ac = d->redis.ctx;
	char db[16];

	if (d->redis.password != NULL) {
		const char *argv[3] = { "AUTH", set->redis_user, d->redis.password };
		if (set->redis_user[0] != '\0')
			redisAsyncCommandArgv(ac, on_handshake, NULL, 3, argv, NULL);
		else {
			argv[1] = d->redis.password;
			redisAsyncCommandArgv(ac, on_handshake, NULL, 2, argv, NULL);
		}
	}
	if (set->redis_db != 0) {
		snprintf(db, sizeof(db), "%u", set->redis_db);
		const char *argv[2] = { "SELECT", db };
		redisAsyncCommandArgv(ac, on_handshake, NULL, 2, argv, NULL);
	}
	director_redis_load_scripts(d);
	const char *ping[1] = { "PING" };
	redisAsyncCommandArgv(ac, on_handshake, d, 1, ping, NULL);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct director *d = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		d->redis.ctx = NULL;
		redis_mark_down(d, ac->errstr);
		schedule_reconnect(d);
	}
}

static void redis_connect(struct director *d)
{
	const struct hb_settings *set = d->set;
	redisAsyncContext *ac;

	ac = set->redis_socket[0] != '\0' ? redisAsyncConnectUnix(set->redis_socket) :
		redisAsyncConnect(set->redis_host, (int)set->redis_port);
	if (ac == NULL || ac->err != 0) {
		redis_mark_down(d, ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		schedule_reconnect(d);
		return;
	}
	ac->data = d;
	d->redis.ctx = ac;
	redisLibeventAttach(ac, d->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	send_handshake(d);
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
	struct director *d = arg;

	if (d->redis.ctx == NULL)
		redis_connect(d);
}

static void schedule_reconnect(struct director *d)
{
	unsigned int ms = d->redis.backoff_ms;
	struct timeval tv;

	ms = ms == 0 ? BACKOFF_MIN_MS : (ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2);
	d->redis.backoff_ms = ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (d->redis.reconnect_timer != NULL)
		evtimer_add(d->redis.reconnect_timer, &tv);
}

void director_redis_start(struct director *d)
{
	char err[256];

	free(d->redis.password);
	d->redis.password = NULL;
	if (d->set->redis_password_file[0] != '\0' &&
	    hb_read_secret_file(d->set->redis_password_file, &d->redis.password,
				err, sizeof(err)) < 0)
		hb_error("Redis password: %s (connecting without AUTH)", err);
	if (d->redis.reconnect_timer == NULL)
		d->redis.reconnect_timer = evtimer_new(d->base, on_reconnect_timer, d);
	redis_connect(d);
}

void director_redis_stop(struct director *d)
{
	if (d->redis.reconnect_timer != NULL) {
		event_free(d->redis.reconnect_timer);
		d->redis.reconnect_timer = NULL;
	}
	if (d->redis.ctx != NULL) {
		redisAsyncContext *ac = d->redis.ctx;
		ac->onDisconnect = NULL; /* hiredis 0.14 cannot unset it */
		d->redis.ctx = NULL;
		redisAsyncFree(ac);
	}
	d->redis.connected = 0;
	if (d->redis.password != NULL) {
		explicit_bzero(d->redis.password, strlen(d->redis.password));
		free(d->redis.password);
		d->redis.password = NULL;
	}
}

int director_redis_usable(const struct director *d)
{
	return d->redis.ctx != NULL && d->redis.connected;
}

static void call_free(struct redis_call *call)
{
	event_free(call->timer);
	free(call);
}

static void on_call_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct redis_call *call = privdata;
	redisReply *reply = r;

	if (!call->done) {
		call->done = 1;
		if (reply == NULL)
			call->cb(call->d, NULL, "Redis connection lost", call->ctx);
		else if (reply->type == REDIS_REPLY_ERROR)
			call->cb(call->d, NULL, reply->str, call->ctx);
		else
			call->cb(call->d, reply, NULL, call->ctx);
	}
	call_free(call);
}

static void on_call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct redis_call *call = arg;
	struct director *d = call->d;

	call->done = 1;
	call->cb(d, NULL, "Redis timeout", call->ctx);
	/* A hung Redis would stall every later call: drop and reconnect. */
	if (d->redis.ctx != NULL) {
		redisAsyncContext *ac = d->redis.ctx;
		redis_mark_down(d, "command timed out");
		d->redis.ctx = NULL;
		ac->onDisconnect = NULL; /* hiredis 0.14 cannot unset it */
		redisAsyncFree(ac); /* runs on_call_reply(NULL) for all calls */
		schedule_reconnect(d);
	}
}

void director_redis_call(struct director *d, int argc, const char **argv,
			 redis_reply_cb *cb, void *ctx)
{
	struct redis_call *call;
	struct timeval tv;

	if (!director_redis_usable(d)) {
		cb(d, NULL, "Redis not connected", ctx);
		return;
	}
	call = calloc(1, sizeof(*call));
	if (call == NULL) {
		cb(d, NULL, "out of memory", ctx);
		return;
	}
	call->d = d;
	call->cb = cb;
	call->ctx = ctx;
	call->timer = evtimer_new(d->base, on_call_timeout, call);
	tv.tv_sec = d->set->redis_timeout_ms / 1000;
	tv.tv_usec = (d->set->redis_timeout_ms % 1000) * 1000;
	evtimer_add(call->timer, &tv);
	if (redisAsyncCommandArgv(d->redis.ctx, on_call_reply, call, argc, argv, NULL) != REDIS_OK) {
		call->done = 1;
		cb(d, NULL, "Redis command could not be sent", ctx);
		call_free(call);
	}
}

void director_redis_flush(struct director *d)
{
	redisAsyncContext *ac = d->redis.ctx;

	/* hiredis keeps unsent commands in an sds string that is emptied once
	 * written; protocol output never starts with a NUL byte */
	if (ac != NULL && d->redis.connected && ac->c.obuf != NULL && ac->c.obuf[0] != '\0')
		redisAsyncHandleWrite(ac);
}
