/* director-lookup.c - LOOKUPs from the auth process to the director over kept
 * unix-socket connections (docs/DESIGN.md section 3).  Requests are pipelined
 * and replies matched by request id, so one connection serves many logins
 * instead of a connect, accept and close per login.  A connection carries at
 * most DIRECTOR_CONN_MAX_PENDING lookups at once; more open another one.  An
 * unused connection is closed after DIRECTOR_CONN_IDLE_MSECS.
 *
 * When a connection breaks (director restarted, or its idle close crossed a
 * request), the lookups on it are sent once more on a new connection: a LOOKUP
 * asks for the same answer twice, so repeating it is safe.  A second break, a
 * reply we cannot read, or the timeout ends the lookup with an error.  Every
 * lookup ends in lookup_finish(), which calls its callback exactly once. */
#include "lib.h"
#include "ioloop.h"
#include "istream.h"
#include "ostream.h"
#include "llist.h"
#include "net.h"
#include "str-sanitize.h"
#include "director-lookup.h"
#include "director-reply.h"

#define DIRECTOR_LOG_MAX_REPLY 160	/* bytes of a bad reply put in the log */
#define DIRECTOR_MAX_SENDS 2		/* first send + one after a break */

struct director_conn {
	struct director_conn *prev, *next;
	struct director_client *client;

	int fd;
	struct io *io;
	struct istream *input;
	struct ostream *output;
	struct timeout *to_idle;

	struct director_lookup *lookups;	/* sent here, not answered */
	unsigned int lookup_count;
};

struct director_lookup {
	struct director_lookup *prev, *next;
	struct director_client *client;
	struct director_conn *conn;	/* NULL between connections */
	struct timeout *to;
	unsigned int sends;

	char id[DIRECTOR_PROTO_MAX_ID + 1];
	char line[DIRECTOR_PROTO_MAX_LINE + 2];
	size_t line_len;

	director_lookup_callback_t *callback;
	void *context;
};

struct director_client {
	char *socket_path;
	unsigned int timeout_msecs;
	struct director_conn *conns;
	unsigned int conn_count;
};

static void conn_input(struct director_conn *conn);

/* connections */

static void conn_idle_timeout(struct director_conn *conn);

static void conn_close(struct director_conn *conn)
{
	i_assert(conn->lookups == NULL);
	DLLIST_REMOVE(&conn->client->conns, conn);
	conn->client->conn_count--;
	io_remove(&conn->io);
	timeout_remove(&conn->to_idle);
	i_stream_destroy(&conn->input);
	o_stream_destroy(&conn->output);
	i_close_fd(&conn->fd);
	i_free(conn);
}

static struct director_conn *
conn_open(struct director_client *client, const char **error_r)
{
	struct director_conn *conn;
	int fd;

	if (client->conn_count >= DIRECTOR_MAX_CONNS) {
		*error_r = t_strdup_printf("%u lookups in flight already",
			DIRECTOR_MAX_CONNS * DIRECTOR_CONN_MAX_PENDING);
		return NULL;
	}
	/* non-blocking: a unix socket connects at once or fails (EAGAIN =
	   listen backlog full, a failure rather than a retry loop); writes
	   before the director accepts wait in the ostream's buffer */
	fd = net_connect_unix(client->socket_path);
	if (fd == -1) {
		*error_r = t_strdup_printf("connect(%s) failed: %m",
					   client->socket_path);
		return NULL;
	}
	conn = i_new(struct director_conn, 1);
	conn->client = client;
	conn->fd = fd;
	conn->input = i_stream_create_fd(fd, DIRECTOR_PROTO_MAX_LINE + 2);
	conn->output = o_stream_create_fd(fd, SIZE_MAX);
	o_stream_set_no_error_handling(conn->output, TRUE);
	conn->io = io_add(fd, IO_READ, conn_input, conn);
	DLLIST_PREPEND(&client->conns, conn);
	client->conn_count++;
	return conn;
}

static void conn_idle_timeout(struct director_conn *conn)
{
	conn_close(conn);
}

/* A connection that can take one more lookup, or NULL. */
static struct director_conn *conn_find_room(struct director_client *client)
{
	struct director_conn *conn;

	for (conn = client->conns; conn != NULL; conn = conn->next) {
		if (conn->lookup_count < DIRECTOR_CONN_MAX_PENDING)
			return conn;
	}
	return NULL;
}

static void conn_attach(struct director_conn *conn,
			struct director_lookup *lookup)
{
	lookup->conn = conn;
	DLLIST_PREPEND(&conn->lookups, lookup);
	conn->lookup_count++;
	timeout_remove(&conn->to_idle);
	lookup->sends++;
	/* a failed send shows up as EOF or an error on the input side,
	   which resends or fails the lookups in conn_input() */
	o_stream_nsend(conn->output, lookup->line, lookup->line_len);
}

static void conn_detach(struct director_lookup *lookup)
{
	struct director_conn *conn = lookup->conn;

	if (conn == NULL)
		return;
	DLLIST_REMOVE(&conn->lookups, lookup);
	conn->lookup_count--;
	lookup->conn = NULL;
	if (conn->lookups == NULL && conn->to_idle == NULL) {
		conn->to_idle = timeout_add(DIRECTOR_CONN_IDLE_MSECS,
					    conn_idle_timeout, conn);
	}
}

/* lookups */

/* Release everything, then call the callback: the callback may start a new
   lookup or end the auth request, so nothing of LOOKUP is used after it. */
static void lookup_finish(struct director_lookup *lookup, const char *line,
			  const char *error)
{
	director_lookup_callback_t *callback = lookup->callback;
	void *context = lookup->context;

	conn_detach(lookup);
	timeout_remove(&lookup->to);
	i_free(lookup);
	callback(line, error, context);
}

static void lookup_timeout(struct director_lookup *lookup)
{
	lookup_finish(lookup, NULL, t_strdup_printf(
		"timed out after %u ms waiting for the reply",
		lookup->client->timeout_msecs));
}

/* LINE lives in the connection's input buffer, which a callback may reuse:
   hand over a copy on this stack frame. */
static void lookup_reply(struct director_lookup *lookup, const char *line)
{
	char copy[DIRECTOR_PROTO_MAX_LINE + 2];

	i_strocpy(copy, line, sizeof(copy));
	lookup_finish(lookup, copy, NULL);
}

/* Each lookup that was on a broken connection goes once more to a new one
   (not to another old one, which may be just as broken), else fails. */
static void lookups_resend(struct director_client *client,
			   struct director_lookup *list, const char *error)
{
	struct director_conn *fresh = NULL;
	struct director_lookup *lookup;
	const char *connect_error = NULL;

	while ((lookup = list) != NULL) {
		DLLIST_REMOVE(&list, lookup);
		if (lookup->sends >= DIRECTOR_MAX_SENDS) {
			lookup_finish(lookup, NULL, error);
			continue;
		}
		if (connect_error == NULL && (fresh == NULL ||
		    fresh->lookup_count >= DIRECTOR_CONN_MAX_PENDING))
			fresh = conn_open(client, &connect_error);
		if (fresh == NULL) {
			lookup_finish(lookup, NULL, t_strdup_printf(
				"%s, then %s", error, connect_error));
			continue;
		}
		conn_attach(fresh, lookup);
	}
}

/* Close CONN; its lookups are resent (RESEND) or failed with ERROR. */
static void conn_break(struct director_conn *conn, bool resend,
		       const char *error)
{
	struct director_client *client = conn->client;
	struct director_lookup *list = conn->lookups, *lookup;

	for (lookup = list; lookup != NULL; lookup = lookup->next)
		lookup->conn = NULL;
	conn->lookups = NULL;
	conn->lookup_count = 0;
	conn_close(conn);
	if (resend) {
		lookups_resend(client, list, error);
		return;
	}
	while ((lookup = list) != NULL) {
		DLLIST_REMOVE(&list, lookup);
		lookup_finish(lookup, NULL, error);
	}
}

static struct director_lookup *
conn_find_lookup(struct director_conn *conn, const char *id)
{
	struct director_lookup *lookup;

	for (lookup = conn->lookups; lookup != NULL; lookup = lookup->next) {
		if (strcmp(lookup->id, id) == 0)
			return lookup;
	}
	return NULL;
}

/* Returns FALSE when CONN was closed. */
static bool conn_reply_line(struct director_conn *conn, const char *line)
{
	char id[DIRECTOR_PROTO_MAX_ID + 1];
	struct director_lookup *lookup;

	if (director_reply_id(line, id, sizeof(id)) < 0) {
		conn_break(conn, FALSE, t_strdup_printf(
			"invalid reply (no request id): %s",
			str_sanitize(line, DIRECTOR_LOG_MAX_REPLY)));
		return FALSE;
	}
	if (strcmp(id, "-") == 0) {
		/* the director could not read one of our lines and cannot
		   say which: every lookup on this connection is in doubt */
		conn_break(conn, FALSE, t_strdup_printf(
			"director rejected a request: %s",
			str_sanitize(line, DIRECTOR_LOG_MAX_REPLY)));
		return FALSE;
	}
	lookup = conn_find_lookup(conn, id);
	/* none: the reply of a lookup that timed out already */
	if (lookup != NULL)
		lookup_reply(lookup, line);
	return TRUE;
}

static void conn_input(struct director_conn *conn)
{
	const char *line;

	switch (i_stream_read(conn->input)) {
	case -2:
		conn_break(conn, FALSE, t_strdup_printf(
			"reply line longer than %u bytes",
			DIRECTOR_PROTO_MAX_LINE));
		return;
	case -1:
		conn_break(conn, TRUE, conn->input->stream_errno == 0 ?
			   "director closed the connection" :
			   t_strdup_printf("read() failed: %s",
				i_stream_get_error(conn->input)));
		return;
	}
	/* a callback may start lookups that land on this connection, but
	   nothing below closes it except conn_reply_line() itself */
	while ((line = i_stream_next_line(conn->input)) != NULL) {
		if (!conn_reply_line(conn, line))
			return;
	}
}

/* client */

struct director_client *
director_client_create(const char *socket_path, unsigned int timeout_msecs)
{
	struct director_client *client = i_new(struct director_client, 1);

	client->socket_path = i_strdup(socket_path);
	client->timeout_msecs = timeout_msecs;
	return client;
}

void director_client_destroy(struct director_client **_client,
			     const char *error)
{
	struct director_client *client = *_client;

	*_client = NULL;
	while (client->conns != NULL)
		conn_break(client->conns, FALSE, error);
	i_free(client->socket_path);
	i_free(client);
}

int director_lookup_start(struct director_client *client, const char *id,
			  const char *line,
			  director_lookup_callback_t *callback, void *context,
			  const char **error_r)
{
	struct director_lookup *lookup;
	struct director_conn *conn;
	size_t len = strlen(line);

	if (len >= sizeof(lookup->line) || strlen(id) >= sizeof(lookup->id)) {
		*error_r = "request line too long";
		return -1;
	}
	conn = conn_find_room(client);
	if (conn == NULL && (conn = conn_open(client, error_r)) == NULL)
		return -1;
	lookup = i_new(struct director_lookup, 1);
	lookup->client = client;
	i_strocpy(lookup->id, id, sizeof(lookup->id));
	memcpy(lookup->line, line, len);
	lookup->line_len = len;
	lookup->callback = callback;
	lookup->context = context;
	lookup->to = timeout_add(client->timeout_msecs, lookup_timeout, lookup);
	conn_attach(conn, lookup);
	return 0;
}
