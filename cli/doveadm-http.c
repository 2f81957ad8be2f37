/* doveadm-http.c - sends one request to a backend's doveadm HTTP API and
 * reads the whole reply, every step bounded by one deadline and the reply by
 * HBCTL_HTTP_MAX_*.  Only IP literals are accepted: no DNS here.  With a CA
 * file the request goes only into a TLS session whose certificate was
 * verified (lib/hb-tls-client.c): a failed handshake sends nothing. */
#include "doveadm-http.h"
#include "hb-base64.h"
#include "hb-tls-client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#define HBCTL_HTTP_PATH "/doveadm/v1"
#define HBCTL_API_KEY_MAX 1024

struct http_conn {
	int fd;
	SSL_CTX *tls_ctx;	/* NULL: plain HTTP */
	SSL *ssl;
	long long deadline_ms;
	char *err;
	size_t err_size;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for EVENTS on the connection until the deadline. */
static int wait_fd(struct http_conn *c, short events, const char *what)
{
	for (;;) {
		long long left = c->deadline_ms - now_ms();
		if (left <= 0) {
			snprintf(c->err, c->err_size, "timed out while %s", what);
			return -1;
		}
		struct pollfd pfd = { .fd = c->fd, .events = events };
		int ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR) {
			snprintf(c->err, c->err_size, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

static int conn_open(struct http_conn *c, const char *host, unsigned int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char portstr[8];
	int soerr = 0;
	socklen_t slen = sizeof(soerr);

	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0) {
		snprintf(c->err, c->err_size, "%s is not an IP address", host);
		return -1;
	}
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(c->err, c->err_size, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	int ret = connect(c->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (ret < 0 && errno != EINPROGRESS) {
		snprintf(c->err, c->err_size, "connect: %s", strerror(errno));
		return -1;
	}
	if (ret < 0) {
		if (wait_fd(c, POLLOUT, "connecting") < 0)
			return -1;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0 || soerr != 0) {
			snprintf(c->err, c->err_size, "connect: %s", strerror(soerr ? soerr : errno));
			return -1;
		}
	}
	return 0;
}

/* A failed TLS call: OpenSSL's reason into C->err. */
static void tls_fail(struct http_conn *c, const char *what)
{
	char why[160];

	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	ERR_clear_error();
	snprintf(c->err, c->err_size, "TLS error while %s: %s", what, why);
}

/* After TLS call RET: wait for what OpenSSL needs, or -1 with C->err. */
static int tls_wait(struct http_conn *c, int ret, const char *what)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c, POLLIN, what);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, POLLOUT, what);
	tls_fail(c, what);
	return -1;
}

/* The TLS handshake on the connected socket, verified against CA_FILE and
 * HOST.  -1 with C->err: then nothing has been sent. */
static int conn_tls(struct http_conn *c, const char *host, const char *ca_file)
{
	const char *error;
	int ret;

	if ((c->tls_ctx = hb_tls_client_ctx(ca_file, &error)) == NULL) {
		snprintf(c->err, c->err_size, "doveadm_ca_file %s: %s", ca_file, error);
		return -1;
	}
	if ((c->ssl = SSL_new(c->tls_ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    hb_tls_client_expect(c->ssl, host) < 0) {
		tls_fail(c, "setting up");
		return -1;
	}
	while ((ret = SSL_connect(c->ssl)) != 1) {
		long verify = SSL_get_verify_result(c->ssl);

		if (verify != X509_V_OK) {
			ERR_clear_error();
			snprintf(c->err, c->err_size, "server certificate refused: %s (checked "
				 "against %s and %s)", X509_verify_cert_error_string(verify),
				 ca_file, host);
			return -1;
		}
		if (tls_wait(c, ret, "in the TLS handshake (is the backend's doveadm "
			     "inet_listener http set to ssl = yes?)") < 0)
			return -1;
	}
	return 0;
}

/* Write some of DATA: bytes written, 0 after waiting, -1 with C->err. */
static ssize_t conn_write_some(struct http_conn *c, const char *data, size_t len)
{
	if (c->ssl != NULL) {
		int n = SSL_write(c->ssl, data, len > 65536 ? 65536 : (int)len);

		return n > 0 ? n : tls_wait(c, n, "sending");
	}
	ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno != EAGAIN && errno != EINTR) {
		snprintf(c->err, c->err_size, "send: %s", strerror(errno));
		return -1;
	}
	return wait_fd(c, POLLOUT, "sending");
}

/* Read some into BUF: bytes read, 0 at the end, -1 with C->err, -2 after
 * waiting (try again). */
static ssize_t conn_read_some(struct http_conn *c, char *buf, size_t size)
{
	const char *what = "waiting for the reply";

	if (c->ssl != NULL) {
		int n = SSL_read(c->ssl, buf, size > 65536 ? 65536 : (int)size);

		if (n > 0)
			return n;
		if (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN)
			return 0;	/* also a close without close_notify */
		return tls_wait(c, n, what) < 0 ? -1 : -2;
	}
	ssize_t n = recv(c->fd, buf, size, 0);
	if (n >= 0)
		return n;
	if (errno != EAGAIN && errno != EINTR) {
		snprintf(c->err, c->err_size, "recv: %s", strerror(errno));
		return -1;
	}
	return wait_fd(c, POLLIN, what) < 0 ? -1 : -2;
}

static int conn_send(struct http_conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = conn_write_some(c, data, len);

		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the server closes the connection: doveadm's HTTP server closes
 * after every response (it answers "Connection: close"). */
static int conn_read_all(struct http_conn *c, char **buf_r, size_t *len_r)
{
	size_t max = HBCTL_HTTP_MAX_HEADER + HBCTL_HTTP_MAX_BODY + 64, len = 0, size = 4096;
	char *buf = malloc(size);

	while (buf != NULL) {
		if (len + 1 >= size) {
			char *nbuf = size >= max ? NULL : realloc(buf, size * 2);
			if (nbuf == NULL) {
				snprintf(c->err, c->err_size, "reply larger than %zu bytes", max);
				break;
			}
			buf = nbuf;
			size *= 2;
		}
		ssize_t n = conn_read_some(c, buf + len, size - len - 1);
		if (n > 0) {
			len += (size_t)n;
		} else if (n == 0) {
			buf[len] = '\0';
			*buf_r = buf;
			*len_r = len;
			return 0;
		} else if (n == -1) {
			break;
		}
	}
	if (buf == NULL)
		snprintf(c->err, c->err_size, "out of memory");
	free(buf);
	return -1;
}

static void conn_close(struct http_conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);	/* best effort close_notify, not waited for */
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->tls_ctx);
	if (c->fd >= 0)
		close(c->fd);
}

/* The request head plus body, malloc'd.  No "Connection: close": with it
 * Dovecot 2.3.19 never answers a POST whose key it refuses (no 401, the
 * request hangs until our timeout), and a wrong key would look like an
 * unreachable backend. */
static char *build_request(const char *host, unsigned int port, const char *api_key,
			   const char *body, size_t *len_r)
{
	char auth[(HBCTL_API_KEY_MAX + 2) / 3 * 4 + 1];
	size_t key_len = strlen(api_key), body_len = strlen(body);
	int v6 = strchr(host, ':') != NULL;

	if (key_len > HBCTL_API_KEY_MAX ||
	    hb_base64_encode((const unsigned char *)api_key, key_len, auth, sizeof(auth)) == 0)
		return NULL;
	size_t size = body_len + strlen(host) + sizeof(auth) + 256;
	char *req = malloc(size);
	if (req == NULL)
		return NULL;
	int n = snprintf(req, size,
			 "POST " HBCTL_HTTP_PATH " HTTP/1.1\r\n"
			 "Host: %s%s%s:%u\r\n"
			 "Authorization: X-Dovecot-API %s\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 v6 ? "[" : "", host, v6 ? "]" : "", port, auth, body_len, body);
	explicit_bzero(auth, sizeof(auth));
	if (n < 0 || (size_t)n >= size) {
		free(req);
		return NULL;
	}
	*len_r = (size_t)n;
	return req;
}

static enum hbctl_http_result check_status(unsigned int status, const char *api_key,
					   char *err, size_t err_size)
{
	size_t len = strlen(api_key);

	if (status == 200)
		return HBCTL_HTTP_OK;
	if (status == 401 || status == 403)
		snprintf(err, err_size, "doveadm API key refused (HTTP %u): doveadm_api_key_file "
			 "must hold exactly the backend's doveadm_api_key; the whole file is the "
			 "key (%s), as Dovecot's doveadm_api_key = <FILE reads it", status,
			 len > 0 && api_key[len - 1] == '\n' ? "its trailing newline too: a key "
			 "written inline in dovecot.conf has none" : "it has no trailing newline: "
			 "a key file written with echo has one");
	else
		snprintf(err, err_size, "doveadm API answered HTTP %u", status);
	return HBCTL_HTTP_FAILED;
}

/* The reply RAW: its body into *REPLY_R when the status is 200. */
static enum hbctl_http_result parse_reply(const char *raw, size_t raw_len, const char *api_key,
					  char **reply_r, size_t *reply_len_r,
					  char *err, size_t err_size)
{
	enum hbctl_http_result result;
	unsigned int status;

	if (hbctl_http_parse_response(raw, raw_len, &status, reply_r, reply_len_r,
				      err, err_size) < 0)
		return HBCTL_HTTP_FAILED;
	result = check_status(status, api_key, err, err_size);
	if (result != HBCTL_HTTP_OK) {
		free(*reply_r);
		*reply_r = NULL;
	}
	return result;
}

/* Connect (and with CA_FILE shake hands); the result when it fails. */
static enum hbctl_http_result conn_start(struct http_conn *c, const char *host,
					 unsigned int port, const char *ca_file)
{
	if (conn_open(c, host, port) < 0)
		return HBCTL_HTTP_UNREACHABLE;
	if (ca_file != NULL && conn_tls(c, host, ca_file) < 0) {
		size_t used = strlen(c->err);

		snprintf(c->err + used, c->err_size - used, "; the API key was not sent");
		return HBCTL_HTTP_TLS_FAILED;
	}
	return HBCTL_HTTP_OK;
}

enum hbctl_http_result
hbctl_doveadm_http_post(const char *host, unsigned int port, const char *ca_file,
			const char *api_key, const char *body, unsigned int timeout_ms,
			char **reply_r, size_t *reply_len_r,
			char *err, size_t err_size)
{
	struct http_conn c = { .fd = -1, .deadline_ms = now_ms() + timeout_ms,
			       .err = err, .err_size = err_size };
	enum hbctl_http_result result;
	char *req, *raw = NULL;
	size_t req_len, raw_len;

	*reply_r = NULL;
	req = build_request(host, port, api_key, body, &req_len);
	if (req == NULL) {
		snprintf(err, err_size, "cannot build the request (API key too long?)");
		return HBCTL_HTTP_FAILED;
	}
	result = conn_start(&c, host, port, ca_file);
	if (result == HBCTL_HTTP_OK) {
		result = HBCTL_HTTP_UNREACHABLE;
		if (conn_send(&c, req, req_len) == 0 && conn_read_all(&c, &raw, &raw_len) == 0)
			result = parse_reply(raw, raw_len, api_key, reply_r, reply_len_r,
					     err, err_size);
	}
	explicit_bzero(req, req_len);
	free(req);
	free(raw);
	conn_close(&c);
	return result;
}
