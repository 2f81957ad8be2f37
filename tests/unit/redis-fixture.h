/* redis-fixture.h - a private redis-server for tests that need real Redis:
 * started on a unix socket in a fresh mkdtemp directory (no TCP port, no
 * persistence), waited for with PING, stopped and its directory removed. */
#ifndef REDIS_FIXTURE_H
#define REDIS_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>
#include <hiredis/hiredis.h>

struct redis_fixture {
	pid_t pid;
	char dir[64];
	char socket[128];
};

/* Start redis-server (found in PATH, or $REDIS_SERVER) and wait up to 10 s
 * until it answers PING.  Returns 0, or -1 with ERR set and nothing left
 * running or on disk. */
int redis_fixture_start(struct redis_fixture *fx, char *err, size_t err_size);
/* A new connection to FX (caller frees with redisFree), or NULL. */
redisContext *redis_fixture_connect(const struct redis_fixture *fx);
/* Start FX and connect to it (the common case); on failure prints why to
 * stderr, leaves nothing running and returns NULL. */
redisContext *redis_fixture_start_connected(struct redis_fixture *fx);
/* Stop the server (SIGTERM, then SIGKILL after 5 s), reap it and remove its
 * directory.  Safe to call twice. */
void redis_fixture_stop(struct redis_fixture *fx);

#endif
