/* redis-fixture-cmd.h - argv commands for cmocka tests on a redis-fixture
 * server: fx_cmd() returns the reply (never NULL), fx_run() also asserts it is
 * no error.  Include after <cmocka.h>. */
#ifndef REDIS_FIXTURE_CMD_H
#define REDIS_FIXTURE_CMD_H

#include <hiredis/hiredis.h>

#define FX_RUN(ctx, argv) fx_run((ctx), (int)(sizeof(argv) / sizeof((argv)[0])), (argv))

static inline redisReply *fx_cmd(redisContext *ctx, int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);

	assert_non_null(r);
	return r;
}

static inline void fx_run(redisContext *ctx, int argc, const char **argv)
{
	redisReply *r = fx_cmd(ctx, argc, argv);

	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
}

#endif
