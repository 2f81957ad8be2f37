/* hb-secret-file.c - the one reader (and writer) of secret files: Redis
 * passwords, admind's private key, the doveadm API key, health-login and
 * admin passwords (docs/SECURITY.md 3).  A secret is only ever read from a
 * regular file, never through a symlink, owned by the reading euid and with
 * no group/other permission bits; the only exception, root reading the
 * director's doveadm key, is hb_secret_read_verbatim()'s.  No OpenSSL here:
 * the passdb module compiles this file into Dovecot's auth process.  Must
 * never log or print a secret. */
#include "hb-secret-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_ERROR_MAX 640
/* paths in error messages are cut to this many bytes */
#define ERROR_PATH_MAX "400"


static _Thread_local char secret_error[SECRET_ERROR_MAX];

/* explicit_bzero survives the optimiser like OPENSSL_cleanse, without
 * OpenSSL (this file is linked into Dovecot's auth process too). */
static void wipe(void *buf, size_t len)
{
	explicit_bzero(buf, len);
}

static const char *file_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *file_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(secret_error, sizeof(secret_error), fmt, args);
	va_end(args);
	return secret_error;
}

/* Refuse anything but a regular file of ours without group/other bits;
 * with ROOT_READS_ANY, root may read a file of another owner. */
static int check_secret_stat(int fd, const char *path, int root_reads_any,
			     const char **error_r)
{
	struct stat st;
	unsigned int mode;

	if (fstat(fd, &st) < 0) {
		*error_r = file_error("fstat(%." ERROR_PATH_MAX "s) failed: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid() && !(root_reads_any && geteuid() == 0)) {
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is owned by uid %u, not by "
				      "uid %u that reads it (chown it to that user)",
				      path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -1;
	}
	mode = (unsigned int)st.st_mode & 07777;
	if ((mode & 077) != 0) {
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is %s by group/others (mode %04o): "
				      "chmod 600 %." ERROR_PATH_MAX "s",
				      path, (mode & 044) != 0 ? "readable" : "accessible", mode, path);
		return -1;
	}
	return 0;
}

/* Read up to SIZE bytes (until EOF) into BUF; returns the count or -1. */
static ssize_t read_bounded(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/* Strip one line end from BUF[0..*LEN) and check what remains. */
static int check_content(const char *path, const char *buf, size_t *len, size_t out_size,
			 const char **error_r)
{
	size_t n = *len;

	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n == 0)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is empty", path);
	else if (n > HB_SECRET_MAX)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is longer than %d bytes",
				      path, HB_SECRET_MAX);
	else if (memchr(buf, '\0', n) != NULL)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s contains a NUL byte", path);
	else if (memchr(buf, '\n', n) != NULL || memchr(buf, '\r', n) != NULL)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s has more than one line", path);
	else if (n >= out_size)
		*error_r = file_error("secret in %." ERROR_PATH_MAX "s does not fit the buffer (%zu bytes)",
				      path, out_size);
	else {
		*len = n;
		return 0;
	}
	return -1;
}

static int secret_open(const char *path, int root_reads_any, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ELOOP)
			*error_r = file_error("secret file %." ERROR_PATH_MAX "s is a symbolic link", path);
		else
			*error_r = file_error("cannot open secret file %." ERROR_PATH_MAX "s: %s",
					      path, strerror(errno));
		return -1;
	}
	if (check_secret_stat(fd, path, root_reads_any, error_r) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int hb_secret_open(const char *path, const char **error_r)
{
	return secret_open(path, 0, error_r);
}

int hb_secret_read_file(const char *path, char *out, size_t out_size, const char **error_r)
{
	char buf[HB_SECRET_MAX + 3];
	ssize_t n;
	size_t len;
	int fd, ret = -1;

	if (out_size > 0)
		out[0] = '\0';
	if ((fd = hb_secret_open(path, error_r)) < 0)
		return -1;
	n = read_bounded(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		*error_r = file_error("cannot read secret file %." ERROR_PATH_MAX "s: %s",
				      path, strerror(errno));
		return -1;
	}
	len = (size_t)n;
	if (check_content(path, buf, &len, out_size, error_r) == 0) {
		memcpy(out, buf, len);
		out[len] = '\0';
		ret = 0;
	}
	wipe(buf, sizeof(buf));
	return ret;
}

size_t hb_secret_line_end(const char *secret)
{
	size_t len = strlen(secret), n = 0;

	while (n < len && (secret[len - n - 1] == '\n' || secret[len - n - 1] == '\r'))
		n++;
	return n;
}

/* The whole of BUF[0..LEN) is the key: check it as Dovecot cannot. */
static int check_verbatim(const char *path, const char *buf, size_t len, size_t out_size,
			  const char **error_r)
{
	if (len == 0)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is empty", path);
	else if (len > HB_SECRET_MAX)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is longer than %d bytes",
				      path, HB_SECRET_MAX);
	else if (memchr(buf, '\0', len) != NULL)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s contains a NUL byte", path);
	else if (strspn(buf, "\r\n") >= len)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s holds only a line break",
				      path);
	else if (len >= out_size)
		*error_r = file_error("secret in %." ERROR_PATH_MAX "s does not fit the buffer (%zu bytes)",
				      path, out_size);
	else
		return 0;
	return -1;
}

int hb_secret_read_verbatim(const char *path, char *out, size_t out_size, const char **error_r)
{
	char buf[HB_SECRET_MAX + 2];
	ssize_t n;
	int fd, ret = -1;

	if (out_size > 0)
		out[0] = '\0';
	if ((fd = secret_open(path, 1, error_r)) < 0)
		return -1;
	n = read_bounded(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		*error_r = file_error("cannot read secret file %." ERROR_PATH_MAX "s: %s",
				      path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	if (check_verbatim(path, buf, (size_t)n, out_size, error_r) == 0) {
		memcpy(out, buf, (size_t)n + 1);
		ret = 0;
	}
	wipe(buf, sizeof(buf));
	return ret;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write SECRET "\n" to the new file FD, force it to disk and close FD. */
static int write_and_close(int fd, const char *path, const char *secret, const char **error_r)
{
	const char *what = NULL;

	if (fchmod(fd, 0600) < 0)
		what = "fchmod";
	else if (write_all(fd, secret, strlen(secret)) < 0 || write_all(fd, "\n", 1) < 0)
		what = "write";
	else if (fsync(fd) < 0)
		what = "fsync";
	if (what != NULL) {
		*error_r = file_error("%s(%." ERROR_PATH_MAX "s) failed: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		*error_r = file_error("close(%." ERROR_PATH_MAX "s) failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int hb_secret_write_file(const char *path, const char *secret, const char **error_r)
{
	size_t len = strnlen(secret, HB_SECRET_MAX + 1);
	int fd;

	if (len == 0 || len > HB_SECRET_MAX || strpbrk(secret, "\r\n") != NULL) {
		*error_r = file_error("refusing to write %." ERROR_PATH_MAX "s: the secret must be "
				      "1-%d bytes on one line", path, HB_SECRET_MAX);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			*error_r = file_error("secret file %." ERROR_PATH_MAX "s already exists: "
					      "refusing to overwrite it", path);
		else
			*error_r = file_error("cannot create secret file %." ERROR_PATH_MAX "s: %s",
					      path, strerror(errno));
		return -1;
	}
	if (write_and_close(fd, path, secret, error_r) < 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

int hb_read_secret_file(const char *path, char **secret_r, char *err, size_t err_size)
{
	char buf[HB_SECRET_MAX + 1];
	const char *error;

	*secret_r = NULL;
	if (hb_secret_read_file(path, buf, sizeof(buf), &error) < 0) {
		snprintf(err, err_size, "%s", error);
		return -1;
	}
	*secret_r = strdup(buf);
	wipe(buf, sizeof(buf));
	if (*secret_r == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		return -1;
	}
	return 0;
}
