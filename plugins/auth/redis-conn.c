/* redis-conn.c - hiredis (0.14, async API) on Dovecot's ioloop, the only copy
 * of that glue in the module.  hiredis asks for write readiness after every
 * command; instead of an epoll change per login a command is written at once
 * (redis_conn_send flushes), and only a socket that is full or still
 * connecting gets a real IO_WRITE watch.  The back-off is counted before a
 * dropped context is freed, so that nothing its callbacks do can reconnect
 * while it is still being torn down. */
#include "lib.h"
#include "ioloop.h"
#include "safe-memset.h"
#include "redis-conn.h"

#define REDIS_BACKOFF_MAX_SECS 30

struct redis_conn {
	struct redis_client_settings set;	/* strings owned below */
	char *socket_path, *host, *user, *password;
	char *label;		/* "Redis WHERE[ WHAT]" */
	char *consequence;
	const struct redis_conn_vfuncs *v;
	void *context;

	redisAsyncContext *ac;
	struct io *io_read, *io_write;
	struct timeout *to_flush;
	bool in_write;		/* inside redisAsyncHandleWrite() */
	bool outage_logged;
	unsigned int backoff_secs;
	time_t retry_at;
};

/* back-off and the outage log */

static void conn_count_failure(struct redis_conn *conn)
{
	conn->backoff_secs = conn->backoff_secs == 0 ? 1 :
		I_MIN(conn->backoff_secs * 2, REDIS_BACKOFF_MAX_SECS);
	conn->retry_at = ioloop_time + conn->backoff_secs;
}

static void conn_log_outage(struct redis_conn *conn, const char *why)
{
	if (!conn->outage_logged) {
		i_error("passdb hummingbird: %s unusable: %s (%s)",
			conn->label, why, conn->consequence);
	}
	conn->outage_logged = TRUE;
}

/* The context is gone or going: tell the owner, then log. */
static void conn_lost(struct redis_conn *conn, const char *why)
{
	if (conn->v->lost(conn->context, why))
		conn->outage_logged = TRUE;
	else
		conn_log_outage(conn, why);
}

void redis_conn_mark_up(struct redis_conn *conn)
{
	if (conn->outage_logged)
		i_info("passdb hummingbird: %s usable again", conn->label);
	conn->outage_logged = FALSE;
	conn->backoff_secs = 0;
	conn->retry_at = 0;
}

void redis_conn_drop(struct redis_conn *conn, const char *why)
{
	redisAsyncContext *ac = conn->ac;

	if (ac == NULL)
		return;
	conn->ac = NULL;
	ac->onDisconnect = NULL;
	conn_count_failure(conn);
	/* inside a hiredis callback the free happens when it returns */
	redisAsyncFree(ac);
	conn_lost(conn, why);
}

/* hiredis event hooks */

static void conn_write_now(struct redis_conn *conn)
{
	conn->in_write = TRUE;
	redisAsyncHandleWrite(conn->ac);
	conn->in_write = FALSE;
}

static void on_readable(struct redis_conn *conn)
{
	redisAsyncHandleRead(conn->ac);
}

static void on_writable(struct redis_conn *conn)
{
	conn_write_now(conn);
}

static void on_flush_timeout(struct redis_conn *conn)
{
	timeout_remove(&conn->to_flush);
	conn_write_now(conn);
}

static void ev_add_read(void *privdata)
{
	struct redis_conn *conn = privdata;

	if (conn->io_read == NULL)
		conn->io_read = io_add(conn->ac->c.fd, IO_READ, on_readable, conn);
}

static void ev_del_read(void *privdata)
{
	struct redis_conn *conn = privdata;

	io_remove(&conn->io_read);
}

static void ev_add_write(void *privdata)
{
	struct redis_conn *conn = privdata;
	bool connected = (conn->ac->c.flags & REDIS_CONNECTED) != 0;

	if (conn->io_write != NULL || conn->to_flush != NULL)
		return;
	if (conn->in_write || !connected) {
		conn->io_write = io_add(conn->ac->c.fd, IO_WRITE,
					on_writable, conn);
	} else {
		/* a safety net: redis_conn_send() writes at once */
		conn->to_flush = timeout_add_short(0, on_flush_timeout, conn);
	}
}

static void ev_del_write(void *privdata)
{
	struct redis_conn *conn = privdata;

	io_remove(&conn->io_write);
	timeout_remove(&conn->to_flush);
}

static void ev_cleanup(void *privdata)
{
	ev_del_read(privdata);
	ev_del_write(privdata);
}

/* connection */

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_conn *conn = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		conn->ac = NULL;
		conn_count_failure(conn);
		conn_lost(conn, ac->errstr);
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_conn *conn = ac->data;

	conn->ac = NULL;
	conn_count_failure(conn);
	conn_lost(conn, status == REDIS_OK ? "connection closed" : ac->errstr);
}

/* AUTH and SELECT; PRIVDATA is set on the last one */
static void on_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
	struct redis_conn *conn = ac->data;
	redisReply *reply = r;

	if (reply == NULL || conn->ac != ac)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		redis_conn_drop(conn, t_strdup_printf("handshake failed: %s",
						      reply->str));
	} else if (privdata != NULL) {
		conn->v->ready(conn->context);
	}
}

static void conn_handshake(struct redis_conn *conn)
{
	const char *argv[3];
	char db[16];
	int argc = 0;

	if (conn->set.password != NULL) {
		argv[argc++] = "AUTH";
		if (conn->set.user[0] != '\0')
			argv[argc++] = conn->set.user;
		argv[argc++] = conn->set.password;
		redisAsyncCommandArgv(conn->ac, on_handshake, NULL, argc,
				      argv, NULL);
	}
	i_snprintf(db, sizeof(db), "%u", conn->set.db);
	argv[0] = "SELECT";
	argv[1] = db;
	redisAsyncCommandArgv(conn->ac, on_handshake, conn, 2, argv, NULL);
}

int redis_conn_connect(struct redis_conn *conn, const char **error_r)
{
	redisAsyncContext *ac;

	i_assert(conn->ac == NULL);
	ac = conn->set.socket_path[0] != '\0' ?
		redisAsyncConnectUnix(conn->set.socket_path) :
		redisAsyncConnect(conn->set.host, (int)conn->set.port);
	if (ac == NULL || ac->err != 0) {
		*error_r = t_strdup_printf("connect failed: %s",
			ac == NULL ? "out of memory" : ac->errstr);
		if (ac != NULL)
			redisAsyncFree(ac);
		conn_count_failure(conn);
		conn_log_outage(conn, *error_r);
		return -1;
	}
	/* a dead peer is noticed within about 30 s, not only at the next
	   write (which a subscription never does); a refusal (not seen on
	   Linux) is no reason to give up the connection */
	if (conn->set.socket_path[0] == '\0' &&
	    redisEnableKeepAlive(&ac->c) != REDIS_OK) {
		ac->c.err = 0;
		ac->c.errstr[0] = '\0';
	}
	conn->ac = ac;
	ac->data = conn;
	ac->ev.data = conn;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	ev_add_read(conn);
	ev_add_write(conn);	/* completes the connect */
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	conn_handshake(conn);
	return 0;
}

int redis_conn_send(struct redis_conn *conn, redisCallbackFn *callback,
		    void *privdata, int argc, const char *const *argv)
{
	i_assert(conn->ac != NULL);
	if (redisAsyncCommandArgv(conn->ac, callback, privdata, argc,
				  (const char **)argv, NULL) != REDIS_OK)
		return -1;
	if ((conn->ac->c.flags & REDIS_CONNECTED) != 0) {
		timeout_remove(&conn->to_flush);
		conn_write_now(conn);
	}
	return 0;
}

bool redis_conn_is_open(const struct redis_conn *conn)
{
	return conn->ac != NULL;
}

bool redis_conn_may_connect(const struct redis_conn *conn)
{
	return ioloop_time >= conn->retry_at;
}

unsigned int redis_conn_backoff_msecs(const struct redis_conn *conn)
{
	return conn->backoff_secs * 1000;
}

const struct redis_client_settings *
redis_conn_get_settings(const struct redis_conn *conn)
{
	return &conn->set;
}

struct redis_conn *
redis_conn_create(const struct redis_client_settings *set, const char *what,
		  const char *consequence, const struct redis_conn_vfuncs *v,
		  void *context)
{
	struct redis_conn *conn = i_new(struct redis_conn, 1);
	const char *where = set->socket_path[0] != '\0' ? set->socket_path :
		t_strdup_printf("%s:%u", set->host, set->port);

	conn->set = *set;
	conn->set.socket_path = conn->socket_path = i_strdup(set->socket_path);
	conn->set.host = conn->host = i_strdup(set->host);
	conn->set.user = conn->user = i_strdup(set->user);
	conn->set.password = conn->password = i_strdup(set->password);
	conn->label = i_strdup_printf("Redis %s%s%s", where,
				      what[0] == '\0' ? "" : " ", what);
	conn->consequence = i_strdup(consequence);
	conn->v = v;
	conn->context = context;
	return conn;
}

void redis_conn_destroy(struct redis_conn **_conn)
{
	struct redis_conn *conn = *_conn;
	redisAsyncContext *ac = conn->ac;

	*_conn = NULL;
	if (ac != NULL) {
		conn->ac = NULL;
		ac->onDisconnect = NULL;
		redisAsyncFree(ac);
	}
	if (conn->password != NULL)
		safe_memset(conn->password, 0, strlen(conn->password));
	i_free(conn->socket_path);
	i_free(conn->host);
	i_free(conn->user);
	i_free(conn->password);
	i_free(conn->label);
	i_free(conn->consequence);
	i_free(conn);
}
