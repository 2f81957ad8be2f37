/* hb-redis.h - synchronous Redis connection for tools (hbctl, tests): connect,
 * authenticate from a password file, select the database.  Commands are always
 * built with the argv API. */
#ifndef HB_REDIS_H
#define HB_REDIS_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct hb_settings;

/* Returns a connected context or NULL with ERR set. */
redisContext *hb_redis_connect(const struct hb_settings *set, char *err, size_t err_size);
/* Send the AUTH/SELECT that SET asks for on an already connected context. */
int hb_redis_handshake(redisContext *ctx, const struct hb_settings *set,
		       char *err, size_t err_size);
/* redisCommandArgv with NUL-terminated strings; returns the reply (caller
 * frees) or NULL with ERR set (connection error or error reply). */
redisReply *hb_redis_cmd(redisContext *ctx, char *err, size_t err_size,
			 int argc, const char **argv);

/* The value of field NAME in PAIRS, a flat field/value array reply (HGETALL,
 * XRANGE entry fields), or NULL when it is absent or not a string pair. */
const char *hb_redis_pair_value(const redisReply *pairs, const char *name);

#endif
