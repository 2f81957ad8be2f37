/* redis-pool.h - hummingbird-milter's Redis connections: a bounded pool of
 * synchronous hiredis connections shared by libmilter's session threads,
 * every command under redis_timeout, and the outage state (logged once per
 * outage, exported as a metric, retried at most once a second while down so
 * that a dead Redis costs a message no more than the bounded wait). */
#ifndef REDIS_POOL_H
#define REDIS_POOL_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct milter_conf;

struct pool_cmd {
	int argc;
	const char **argv;
	const size_t *argvlen;
};

/* A Lua script sent as EVALSHA(_RO) and loaded with EVAL(_RO) on NOSCRIPT. */
struct pool_script {
	const char *text;
	char sha[41];
	int read_only;
};

int redis_pool_init(void);
/* Close every connection (at exit). */
void redis_pool_deinit(void);

/* Run the N commands of CMDS pipelined on one connection; REPLIES gets one
 * reply each (error replies included: the caller judges them).  Returns 0,
 * or -1 with ERR when Redis could not be reached, timed out or broke the
 * connection (then no reply is returned and the outage state is updated). */
int redis_pool_exec(const struct milter_conf *conf, unsigned int n,
		    const struct pool_cmd *cmds, redisReply **replies,
		    char *err, size_t err_size);

/* Compute SCRIPT's SHA1 once. */
void pool_script_init(struct pool_script *script, const char *text, int read_only);
/* Run SCRIPT with ARGC arguments after the SHA (numkeys, keys, args).  Returns
 * the reply (maybe an error reply other than NOSCRIPT), or NULL with ERR as
 * redis_pool_exec(). */
redisReply *redis_pool_script(const struct milter_conf *conf, const struct pool_script *script,
			      int argc, const char **argv, const size_t *argvlen,
			      char *err, size_t err_size);

/* 1 while Redis answers, 0 during an outage. */
int redis_pool_up(void);

#endif
