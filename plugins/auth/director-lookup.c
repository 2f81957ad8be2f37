/* director-lookup.c - one non-blocking LOOKUP over the director's unix socket,
 * driven by the auth process' ioloop: connect, write (partial writes resume on
 * IO_WRITE), read until one '\n' (at most DIRECTOR_PROTO_MAX_LINE bytes), all
 * under one timeout.  Every path ends in lookup_finish(), which calls the
 * callback exactly once and frees the lookup. */
#include "lib.h"
#include "ioloop.h"
#include "llist.h"
#include "net.h"
#include "str-sanitize.h"
#include "director-lookup.h"

#include <unistd.h>

#define DIRECTOR_LOG_MAX_REPLY 160	/* bytes of a bad reply put in the log */

struct director_lookup {
	struct director_lookup *prev, *next;
	struct director_lookup_list *list;

	int fd;
	struct io *io;
	struct timeout *to;
	unsigned int timeout_msecs;
	const char *state;	/* for error messages: what we waited for */

	char id[DIRECTOR_PROTO_MAX_ID + 1];
	char out[DIRECTOR_PROTO_MAX_LINE + 2];
	size_t out_len, out_pos;
	char in[DIRECTOR_PROTO_MAX_LINE + 2];
	size_t in_len;

	director_lookup_callback_t *callback;
	void *context;
};

static void lookup_input(struct director_lookup *lookup);

/* Release everything, then call the callback: the callback may start a new
   lookup or end the auth request, so nothing of LOOKUP is used after it. */
static void lookup_finish(struct director_lookup *lookup,
			  const struct director_reply *reply, const char *error)
{
	director_lookup_callback_t *callback = lookup->callback;
	void *context = lookup->context;

	DLLIST_REMOVE(&lookup->list->head, lookup);
	io_remove(&lookup->io);
	timeout_remove(&lookup->to);
	if (lookup->fd != -1)
		i_close_fd(&lookup->fd);
	i_free(lookup);
	callback(reply, error, context);
}

static void lookup_timeout(struct director_lookup *lookup)
{
	lookup_finish(lookup, NULL, t_strdup_printf(
		"timed out after %u ms while %s", lookup->timeout_msecs,
		lookup->state));
}

static void lookup_output(struct director_lookup *lookup)
{
	ssize_t ret;

	ret = write(lookup->fd, lookup->out + lookup->out_pos,
		    lookup->out_len - lookup->out_pos);
	if (ret < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		lookup_finish(lookup, NULL, t_strdup_printf(
			"write() failed: %m"));
		return;
	}
	lookup->out_pos += (size_t)ret;
	if (lookup->out_pos < lookup->out_len)
		return;
	io_remove(&lookup->io);
	lookup->state = "waiting for the reply";
	lookup->io = io_add(lookup->fd, IO_READ, lookup_input, lookup);
}

/* LINE lives in LOOKUP, which lookup_finish() frees before the callback:
   parse a copy on this stack frame, which outlives the callback. */
static void lookup_line(struct director_lookup *lookup, const char *line)
{
	char copy[DIRECTOR_PROTO_MAX_LINE + 2];
	struct director_reply reply;
	const char *error;

	i_strocpy(copy, line, sizeof(copy));
	if (director_reply_parse(copy, lookup->id, &reply, &error) < 0) {
		lookup_finish(lookup, NULL, t_strdup_printf(
			"invalid reply (%s): %s", error,
			str_sanitize(line, DIRECTOR_LOG_MAX_REPLY)));
		return;
	}
	lookup_finish(lookup, &reply, NULL);
}

static void lookup_input(struct director_lookup *lookup)
{
	size_t room = sizeof(lookup->in) - 1 - lookup->in_len;
	char *nl;
	ssize_t ret;

	ret = read(lookup->fd, lookup->in + lookup->in_len, room);
	if (ret < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		lookup_finish(lookup, NULL, t_strdup_printf(
			"read() failed: %m"));
		return;
	}
	if (ret == 0) {
		lookup_finish(lookup, NULL, lookup->in_len == 0 ?
			"director closed the connection without a reply" :
			"director closed the connection inside a reply");
		return;
	}
	lookup->in_len += (size_t)ret;
	lookup->in[lookup->in_len] = '\0';
	nl = memchr(lookup->in, '\n', lookup->in_len);
	if (nl != NULL) {
		*nl = '\0';
		lookup_line(lookup, lookup->in);
	} else if (lookup->in_len > DIRECTOR_PROTO_MAX_LINE) {
		lookup_finish(lookup, NULL, t_strdup_printf(
			"reply line longer than %u bytes",
			DIRECTOR_PROTO_MAX_LINE));
	}
}

int director_lookup_start(struct director_lookup_list *list,
			  const char *socket_path, unsigned int timeout_msecs,
			  const char *id, const char *line,
			  director_lookup_callback_t *callback, void *context,
			  const char **error_r)
{
	struct director_lookup *lookup;
	size_t len = strlen(line);
	int fd;

	if (len >= sizeof(lookup->out) || strlen(id) >= sizeof(lookup->id)) {
		*error_r = "request line too long";
		return -1;
	}
	/* non-blocking connect: EINPROGRESS is handled by waiting for IO_WRITE,
	   EAGAIN (listen backlog full) is a failure rather than a retry loop */
	fd = net_connect_unix(socket_path);
	if (fd == -1) {
		*error_r = t_strdup_printf("connect(%s) failed: %m",
					   socket_path);
		return -1;
	}
	lookup = i_new(struct director_lookup, 1);
	lookup->fd = fd;
	lookup->list = list;
	lookup->timeout_msecs = timeout_msecs;
	lookup->state = "sending the request";
	i_strocpy(lookup->id, id, sizeof(lookup->id));
	memcpy(lookup->out, line, len);
	lookup->out_len = len;
	lookup->callback = callback;
	lookup->context = context;
	lookup->io = io_add(fd, IO_WRITE, lookup_output, lookup);
	lookup->to = timeout_add(timeout_msecs, lookup_timeout, lookup);
	DLLIST_PREPEND(&list->head, lookup);
	return 0;
}

void director_lookup_abort_all(struct director_lookup_list *list,
			       const char *error)
{
	while (list->head != NULL)
		lookup_finish(list->head, NULL, error);
}
