/* redis-conn.h - one hiredis (0.14, async API) connection driven by Dovecot's
 * ioloop in the auth process, shared by the passdb module's two uses of
 * Redis: the fast path's calls (redis-client.c) and the answer cache's
 * subscription (redis-subscriber.c).  It connects, sends AUTH and SELECT,
 * keeps the back-off between attempts (1, 2, 4 ... 30 s) and logs an outage
 * once and its end once.  It never blocks and never reconnects by itself:
 * its owner decides when to try again. */
#ifndef REDIS_CONN_H
#define REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

struct redis_client_settings {
	const char *socket_path;	/* "" = TCP to host:port */
	const char *host;
	unsigned int port;
	const char *user;		/* "" = AUTH with the password only */
	const char *password;		/* NULL = no AUTH */
	unsigned int db;
	unsigned int timeout_msecs;
};

struct redis_conn;

struct redis_conn_vfuncs {
	/* AUTH and SELECT were answered: the connection is usable. */
	void (*ready)(void *context);
	/* The connection is gone (connect failed, closed, handshake refused,
	   redis_conn_drop()); the back-off is already counted.  Returns TRUE
	   when it logged WHY itself, FALSE for the usual line once per outage:
	   "Redis WHERE WHAT unusable: WHY (CONSEQUENCE)". */
	bool (*lost)(void *context, const char *why);
};

/* Copies SET.  WHAT names this connection's use in log lines ("" for none:
   "Redis WHERE WHAT unusable"); CONSEQUENCE says what an outage means. */
struct redis_conn *
redis_conn_create(const struct redis_client_settings *set, const char *what,
		  const char *consequence, const struct redis_conn_vfuncs *v,
		  void *context);
/* Closes the connection without calling lost(); commands in flight get their
   callback with a NULL reply. */
void redis_conn_destroy(struct redis_conn **conn);

/* Start connecting and queue AUTH and SELECT.  -1 with *ERROR_R when it
   cannot even start (counted and logged like a lost connection, without
   calling lost()). */
int redis_conn_connect(struct redis_conn *conn, const char **error_r);
/* Close the connection now, calling lost(WHY). */
void redis_conn_drop(struct redis_conn *conn, const char *why);
/* The owner's own success (e.g. the reply it waited for): ends the back-off
   and logs the end of an outage. */
void redis_conn_mark_up(struct redis_conn *conn);

/* TRUE while a connection exists (connecting or connected). */
bool redis_conn_is_open(const struct redis_conn *conn);
/* TRUE when the back-off since the last failure has passed. */
bool redis_conn_may_connect(const struct redis_conn *conn);
/* The back-off after the last failure (0 after a success). */
unsigned int redis_conn_backoff_msecs(const struct redis_conn *conn);
const struct redis_client_settings *
redis_conn_get_settings(const struct redis_conn *conn);

/* Queue ARGV on the open connection and write it at once when connected
   (CALLBACK may then run before this returns, with an error).  -1 when
   hiredis refuses it (the connection is closing). */
int redis_conn_send(struct redis_conn *conn, redisCallbackFn *callback,
		    void *privdata, int argc, const char *const *argv);

#endif
