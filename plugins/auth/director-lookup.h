/* director-lookup.h - one asynchronous LOOKUP against the director's unix
 * socket from inside the Dovecot auth process (connect, send, read one reply
 * line, bounded by a timeout).  It must never block the auth process. */
#ifndef DIRECTOR_LOOKUP_H
#define DIRECTOR_LOOKUP_H

#include "director-reply.h"

struct director_lookup;

/* Called exactly once per started lookup: REPLY is non-NULL for a parsed
   reply (valid only during the call), otherwise ERROR says what failed. */
typedef void director_lookup_callback_t(const struct director_reply *reply,
					const char *error, void *context);

/* All lookups in flight of one passdb instance, so that deinit can end them. */
struct director_lookup_list {
	struct director_lookup *head;
};

/* Connect to SOCKET_PATH and send LINE (one complete request line, at most
   DIRECTOR_PROTO_MAX_LINE + 1 bytes); the reply must carry request ID.
   Returns 0 when the callback will be called later, or -1 with *ERROR_R set
   (and no callback) when the lookup could not even start. */
int director_lookup_start(struct director_lookup_list *list,
			  const char *socket_path, unsigned int timeout_msecs,
			  const char *id, const char *line,
			  director_lookup_callback_t *callback, void *context,
			  const char **error_r);

/* End every lookup in LIST, calling each callback with ERROR. */
void director_lookup_abort_all(struct director_lookup_list *list,
			       const char *error);

#endif
