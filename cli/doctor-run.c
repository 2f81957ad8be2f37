/* doctor-run.c - run one helper program (doveconf) without a shell and
 * collect what it printed: the doctor reads Dovecot's configuration the way
 * Dovecot itself does, through doveconf, instead of parsing it again. */
#define _GNU_SOURCE	/* pipe2 */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_exec(const char *const *argv, int out_fd, int err_fd)
{
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	execvp(argv[0], (char *const *)argv);
	/* the parent sees this on the error pipe */
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Append what FD has to BUF (cut at SIZE - 1); returns 0 at end of file. */
static int drain(int fd, char *buf, size_t size, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (*len + 1 < size) {
		size_t take = (size_t)n < size - 1 - *len ? (size_t)n : size - 1 - *len;
		memcpy(buf + *len, tmp, take);
		*len += take;
		buf[*len] = '\0';
	}
	return 1;
}

/* Read both pipes until both end: one full pipe must not block the other. */
static void collect(int out_fd, int err_fd, char *out, size_t out_size,
		    char *errtext, size_t errtext_size)
{
	struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	size_t out_len = 0, err_len = 0;
	int open_count = 2;

	while (open_count > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if (!drain(p[i].fd, i == 0 ? out : errtext,
				   i == 0 ? out_size : errtext_size,
				   i == 0 ? &out_len : &err_len)) {
				p[i].fd = -1;
				open_count--;
			}
		}
	}
}

int doctor_run(const char *const *argv, char *out, size_t out_size,
	       char *errtext, size_t errtext_size)
{
	int out_pipe[2], err_pipe[2], status;
	pid_t pid;

	out[0] = errtext[0] = '\0';
	if (pipe2(out_pipe, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(err_pipe, O_CLOEXEC) < 0) {
		close(out_pipe[0]);
		close(out_pipe[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec(argv, out_pipe[1], err_pipe[1]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (pid > 0)
		collect(out_pipe[0], err_pipe[0], out, out_size, errtext, errtext_size);
	close(out_pipe[0]);
	close(err_pipe[0]);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
