/* director-lookup.h - asynchronous LOOKUPs against the director's unix socket
 * from inside the Dovecot auth process, over kept connections on which
 * requests are pipelined and replies matched by request id.  It must never
 * block the auth process. */
#ifndef DIRECTOR_LOOKUP_H
#define DIRECTOR_LOOKUP_H

#include "director-reply.h"

/* lookups in flight per connection; the director allows 128 */
#define DIRECTOR_CONN_MAX_PENDING 64
/* connections per passdb instance: bounds the lookups in flight */
#define DIRECTOR_MAX_CONNS 64
/* an unused connection is closed after this long, well before the
   director's own idle timeout (300 s) */
#define DIRECTOR_CONN_IDLE_MSECS 60000

struct director_client;

/* Called exactly once per started lookup: LINE is the reply line carrying
   the request's id (without '\n', valid only during the call; the caller
   parses it), otherwise LINE is NULL and ERROR says what failed. */
typedef void director_lookup_callback_t(const char *line, const char *error,
					void *context);

/* A client of the director at SOCKET_PATH; connects lazily. */
struct director_client *
director_client_create(const char *socket_path, unsigned int timeout_msecs);
/* End every lookup in flight, calling its callback with ERROR, close the
   connections and free the client. */
void director_client_destroy(struct director_client **client,
			     const char *error);

/* Send LINE (one complete request line, at most DIRECTOR_PROTO_MAX_LINE + 1
   bytes); the reply must carry request ID, which must be unique among the
   lookups in flight.  Returns 0 when the callback will be called later, or -1
   with *ERROR_R set (and no callback) when the lookup could not even start. */
int director_lookup_start(struct director_client *client, const char *id,
			  const char *line,
			  director_lookup_callback_t *callback, void *context,
			  const char **error_r);

#endif
