/* control.c - serves the hb-crashfs control socket from its own thread:
 * poll() over the listening socket, up to CFS_CTL_MAX_CLIENTS clients and a
 * stop pipe.  Lines are bounded (CFS_CTL_LINE_MAX); an over-long line gets an
 * error and is skipped up to its newline.  Never interprets a command. */
#define _GNU_SOURCE	/* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "ctl-parse.h"

#define CFS_CTL_REPLY_MAX 1024

struct client {
	int fd;				/* -1: free slot */
	char buf[CFS_CTL_LINE_MAX + 1];	/* a line and its newline */
	size_t len;
	int discard;			/* skipping the rest of an over-long line */
};

struct cfs_control {
	char *path;			/* absolute: the process may chdir("/") */
	int listen_fd, stop_pipe[2];
	pthread_t thread;
	int started, quitting;
	cfs_control_handler *handler;
	cfs_control_quit *quit;
	void *ctx;
	struct client clients[CFS_CTL_MAX_CLIENTS];
};

/* PATH made absolute; NULL on ENOMEM or when cwd is unknown */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if ((abs = malloc(strlen(cwd) + strlen(path) + 2)) != NULL)
		sprintf(abs, "%s/%s", cwd, path);
	return abs;
}

/* 0 when PATH is free (a dead socket there is removed) */
static int claim_path(const struct sockaddr_un *sun, char *error_r, size_t size)
{
	struct stat st;
	int fd, ret;

	if (lstat(sun->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(error_r, size, "%s exists and is not a socket", sun->sun_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(error_r, size, "socket: %s", strerror(errno));
		return -1;
	}
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (ret == 0) {
		snprintf(error_r, size, "%s is in use by a running process", sun->sun_path);
		return -1;
	}
	if (unlink(sun->sun_path) < 0 && errno != ENOENT) {
		snprintf(error_r, size, "unlink %s: %s", sun->sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* a listening socket of mode 0600 at SUN; -1 with ERROR_R */
static int listen_on(const struct sockaddr_un *sun, char *error_r, size_t size)
{
	mode_t old_umask;
	int fd, ret;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(error_r, size, "socket: %s", strerror(errno));
		return -1;
	}
	old_umask = umask(0077);
	ret = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old_umask);
	if (ret < 0 || listen(fd, 16) < 0) {
		snprintf(error_r, size, "control socket %s: %s", sun->sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct cfs_control *cfs_control_listen(const char *path, char *error_r, size_t size)
{
	struct sockaddr_un sun;
	struct cfs_control *c;
	int i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(error_r, size, "control socket path too long (max %zu bytes): %s",
			 sizeof(sun.sun_path) - 1, path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (claim_path(&sun, error_r, size) < 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = absolute_path(path)) == NULL ||
	    pipe2(c->stop_pipe, O_CLOEXEC) < 0) {
		snprintf(error_r, size, "control socket %s: %s", path, strerror(errno));
		if (c != NULL)
			free(c->path);
		free(c);
		return NULL;
	}
	for (i = 0; i < CFS_CTL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	if ((c->listen_fd = listen_on(&sun, error_r, size)) < 0) {
		c->path[0] = '\0';	/* not ours: leave it */
		cfs_control_free(&c);
	}
	return c;
}

static void client_close(struct client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
	cl->discard = 0;
}

static int client_send(struct client *cl, const char *reply)
{
	char line[CFS_CTL_REPLY_MAX + 2];
	int len = snprintf(line, sizeof(line), "%s\n", reply);

	if (len < 0 || (size_t)len >= sizeof(line))
		len = snprintf(line, sizeof(line), "error reply too long\n");
	return send(cl->fd, line, (size_t)len, MSG_NOSIGNAL) == len ? 0 : -1;
}

/* answers LINE; -1 when the client must be closed */
static int client_line(struct cfs_control *c, struct client *cl, const char *line)
{
	char reply[CFS_CTL_REPLY_MAX];

	if (c->quitting)
		return -1;
	if (c->handler(c->ctx, line, reply, sizeof(reply)) == 1)
		c->quitting = 1;
	return client_send(cl, reply);
}

/* handles every complete line in the buffer; -1 to close the client */
static int client_lines(struct cfs_control *c, struct client *cl)
{
	char *nl;

	while ((nl = memchr(cl->buf, '\n', cl->len)) != NULL) {
		size_t used = (size_t)(nl - cl->buf) + 1;

		*nl = '\0';
		if (!cl->discard && client_line(c, cl, cl->buf) < 0)
			return -1;
		cl->discard = 0;
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	if (cl->len == sizeof(cl->buf)) {
		/* no newline within the limit: answer once, then skip to it */
		if (!cl->discard && client_send(cl, "error line too long") < 0)
			return -1;
		cl->discard = 1;
		cl->len = 0;
	}
	return 0;
}

static void client_read(struct cfs_control *c, struct client *cl)
{
	ssize_t n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->len += (size_t)n;
	if (client_lines(c, cl) < 0)
		client_close(cl);
}

static void client_accept(struct cfs_control *c)
{
	struct timeval tv = { CFS_CTL_SEND_TIMEOUT, 0 };
	int i, fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (i = 0; i < CFS_CTL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd == -1) {
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			c->clients[i].fd = fd;
			return;
		}
	}
	close(fd);	/* cannot happen: the listener is polled only with room */
}

/* one poll round; 1 when told to stop */
static int control_round(struct cfs_control *c)
{
	struct pollfd fds[CFS_CTL_MAX_CLIENTS + 2];
	int slot[CFS_CTL_MAX_CLIENTS + 2], n = 0, i, room = 0;

	fds[n].fd = c->stop_pipe[0];
	fds[n++].events = POLLIN;
	for (i = 0; i < CFS_CTL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd == -1) {
			room = 1;
			continue;
		}
		slot[n] = i;
		fds[n].fd = c->clients[i].fd;
		fds[n++].events = POLLIN;
	}
	slot[n] = -1;
	fds[n].fd = room && !c->quitting ? c->listen_fd : -1;
	fds[n++].events = POLLIN;
	if (poll(fds, (nfds_t)n, c->quitting ? CFS_CTL_QUIT_RETRY_MS : -1) < 0)
		return 0;
	if (fds[0].revents != 0)
		return 1;
	for (i = 1; i < n; i++) {
		if (fds[i].revents == 0 || fds[i].fd < 0)
			continue;
		if (slot[i] < 0)
			client_accept(c);
		else if (c->clients[slot[i]].fd != -1)
			client_read(c, &c->clients[slot[i]]);
	}
	return 0;
}

static void *control_thread(void *arg)
{
	struct cfs_control *c = arg;

	while (!control_round(c)) {
		/* the loop thread may miss one wake-up: repeat until stopped */
		if (c->quitting)
			c->quit(c->ctx);
	}
	return NULL;
}

int cfs_control_start(struct cfs_control *c, cfs_control_handler *handler,
		      cfs_control_quit *quit, void *ctx)
{
	sigset_t all, old;
	int ret;

	c->handler = handler;
	c->quit = quit;
	c->ctx = ctx;
	/* signals belong to the FUSE loop thread, whose reads they interrupt */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&c->thread, NULL, control_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0)
		return -ret;
	c->started = 1;
	return 0;
}

void cfs_control_free(struct cfs_control **_c)
{
	struct cfs_control *c = *_c;
	int i;

	*_c = NULL;
	if (c == NULL)
		return;
	if (c->started) {
		/* a full pipe already says stop: the result does not matter */
		if (write(c->stop_pipe[1], "x", 1) < 0)
			c->quitting = 1;
		pthread_join(c->thread, NULL);
	}
	for (i = 0; i < CFS_CTL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd != -1)
			client_close(&c->clients[i]);
	}
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	if (c->path[0] != '\0')
		(void)unlink(c->path);
	free(c->path);
	free(c);
}
