/* redis-fixture.c - start and stop a private redis-server for tests: unix
 * socket only (--port 0), no RDB or AOF, everything inside one mkdtemp
 * directory that is removed afterwards.  Never touches a shared Redis. */
#include "redis-fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE_START_TIMEOUT_MS 10000
#define FIXTURE_STOP_TIMEOUT_MS 5000
#define FIXTURE_POLL_MS 20

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Remove the files redis-server may leave (socket, log) and the directory. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[256];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

static void exec_server(const struct redis_fixture *fx)
{
	const char *server = getenv("REDIS_SERVER");
	char log[128];
	int null_fd;

	if (server == NULL || server[0] == '\0')
		server = "redis-server";
	snprintf(log, sizeof(log), "%s/redis.log", fx->dir);
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		(void)dup2(null_fd, STDIN_FILENO);
		(void)dup2(null_fd, STDOUT_FILENO);
	}
	execlp(server, server, "--port", "0", "--unixsocket", fx->socket,
	       "--unixsocketperm", "700", "--dir", fx->dir, "--save", "",
	       "--appendonly", "no", "--daemonize", "no", "--logfile", log,
	       (char *)NULL);
	_exit(127);
}

static int ping(const struct redis_fixture *fx)
{
	redisContext *ctx = redis_fixture_connect(fx);
	redisReply *r;
	int ok;

	if (ctx == NULL)
		return 0;
	r = redisCommand(ctx, "PING");
	ok = r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
	if (r != NULL)
		freeReplyObject(r);
	redisFree(ctx);
	return ok;
}

/* Wait until the server answers; 0 or -1 (it died or timed out). */
static int wait_ready(struct redis_fixture *fx, char *err, size_t err_size)
{
	int status;

	for (int waited = 0; waited < FIXTURE_START_TIMEOUT_MS; waited += FIXTURE_POLL_MS) {
		if (ping(fx))
			return 0;
		if (waitpid(fx->pid, &status, WNOHANG) == fx->pid) {
			fx->pid = -1;
			snprintf(err, err_size, "redis-server exited at start (status %d)", status);
			return -1;
		}
		sleep_ms(FIXTURE_POLL_MS);
	}
	snprintf(err, err_size, "redis-server did not answer PING within %d ms",
		 FIXTURE_START_TIMEOUT_MS);
	return -1;
}

int redis_fixture_start(struct redis_fixture *fx, char *err, size_t err_size)
{
	const char *tmp = getenv("TMPDIR");

	memset(fx, 0, sizeof(*fx));
	fx->pid = -1;
	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 32)
		tmp = "/tmp";
	snprintf(fx->dir, sizeof(fx->dir), "%s/hb-redis-XXXXXX", tmp);
	if (mkdtemp(fx->dir) == NULL) {
		snprintf(err, err_size, "mkdtemp %s: %s", fx->dir, strerror(errno));
		fx->dir[0] = '\0';
		return -1;
	}
	snprintf(fx->socket, sizeof(fx->socket), "%s/redis.sock", fx->dir);
	fx->pid = fork();
	if (fx->pid < 0) {
		snprintf(err, err_size, "fork: %s", strerror(errno));
		redis_fixture_stop(fx);
		return -1;
	}
	if (fx->pid == 0)
		exec_server(fx);
	if (wait_ready(fx, err, err_size) < 0) {
		redis_fixture_stop(fx);
		return -1;
	}
	return 0;
}

redisContext *redis_fixture_connect(const struct redis_fixture *fx)
{
	struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
	redisContext *ctx = redisConnectUnixWithTimeout(fx->socket, tv);

	if (ctx != NULL && ctx->err != 0) {
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

void redis_fixture_stop(struct redis_fixture *fx)
{
	int status;

	if (fx->pid > 0) {
		(void)kill(fx->pid, SIGTERM);
		for (int waited = 0; waitpid(fx->pid, &status, WNOHANG) == 0; waited += FIXTURE_POLL_MS) {
			if (waited >= FIXTURE_STOP_TIMEOUT_MS) {
				(void)kill(fx->pid, SIGKILL);
				(void)waitpid(fx->pid, &status, 0);
				break;
			}
			sleep_ms(FIXTURE_POLL_MS);
		}
		fx->pid = -1;
	}
	if (fx->dir[0] != '\0') {
		remove_dir(fx->dir);
		fx->dir[0] = '\0';
	}
}

redisContext *redis_fixture_start_connected(struct redis_fixture *fx)
{
	char err[256];
	redisContext *ctx;

	if (redis_fixture_start(fx, err, sizeof(err)) < 0) {
		fprintf(stderr, "redis fixture: %s\n", err);
		return NULL;
	}
	ctx = redis_fixture_connect(fx);
	if (ctx == NULL) {
		fprintf(stderr, "redis fixture: cannot connect to %s\n", fx->socket);
		redis_fixture_stop(fx);
	}
	return ctx;
}
