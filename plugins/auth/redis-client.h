/* redis-client.h - the fast path's calls to Redis inside the Dovecot auth
 * process, over one connection (redis-conn.h).  It never blocks: while Redis
 * is unreachable every call fails at once and a new connection is tried at
 * most once per back-off period, only when a call asks for it; a call that
 * takes longer than the timeout fails and drops the connection, so a hung
 * Redis cannot hold logins.  An outage is logged once, its end once. */
#ifndef REDIS_CLIENT_H
#define REDIS_CLIENT_H

#include "redis-conn.h"

struct redis_client;

/* Exactly once per call: REPLY (not an error reply) or ERROR.  REPLY is only
   valid during the callback. */
typedef void redis_client_callback_t(const redisReply *reply,
				     const char *error, void *context);

/* Copies SET; connects at the first call. */
struct redis_client *redis_client_create(const struct redis_client_settings *set);
/* Fails every call in flight and frees the client. */
void redis_client_destroy(struct redis_client **client);

/* Send ARGV and write it at once.  Returns 0 when CALLBACK will be called
   later, -1 with *ERROR_R (and no callback) when Redis is not usable now. */
int redis_client_call(struct redis_client *client, int argc,
		      const char *const *argv, redis_client_callback_t *callback,
		      void *context, const char **error_r);

#endif
