/* server-tls.c - hbctl's HTTPS client for hummingbird-admind: a blocking
 * OpenSSL connection per request, TLS 1.2 or newer, trusting only the CA
 * file given with --ca (never the system store) and checking the server's
 * name or IP address against its certificate.  The reply is bounded and
 * parsed by cli/http-response.c.  The token travels only in the
 * Authorization header. */
#include "server.h"
#include "doveadm-http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* HOST and PORT out of "[v6]:port", "host:port" or "host" (the URL's authority). */
static int split_authority(const char *p, size_t len, struct hbctl_server *srv)
{
	const char *port = NULL, *host = p;
	char digits[8];
	size_t host_len = len;

	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);

		if (close == NULL)
			return -1;
		host = p + 1;
		host_len = (size_t)(close - host);
		if (close + 1 < p + len) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
		}
	} else if ((port = memchr(p, ':', len)) != NULL) {
		host_len = (size_t)(port - p);
		port++;
	}
	srv->port = HBCTL_SERVER_DEFAULT_PORT;
	if (port != NULL) {
		size_t n = (size_t)(p + len - port);

		if (n == 0 || n >= sizeof(digits))
			return -1;
		memcpy(digits, port, n);
		digits[n] = '\0';
		if (hbctl_parse_uint(digits, 1, 65535, &srv->port) < 0)
			return -1;
	}
	if (host_len == 0 || host_len >= sizeof(srv->host) || memchr(host, '@', host_len) != NULL)
		return -1;
	memcpy(srv->host, host, host_len);
	srv->host[host_len] = '\0';
	return 0;
}

int hbctl_server_parse_url(struct hbctl_server *srv, char *err, size_t err_size)
{
	const char *p = srv->url;
	size_t len;

	if (strncmp(p, "https://", 8) != 0) {
		snprintf(err, err_size, "--server must be https://HOST[:PORT]");
		return -1;
	}
	p += 8;
	len = strcspn(p, "/?#");
	if (p[len] != '\0' && strcmp(p + len, "/") != 0) {
		snprintf(err, err_size, "--server: no path or query in the URL");
		return -1;
	}
	if (split_authority(p, len, srv) < 0) {
		snprintf(err, err_size, "--server: invalid host or port in %.100s", srv->url);
		return -1;
	}
	return 0;
}

static int tcp_connect(struct hbctl *ctx, const struct hbctl_server *srv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { .tv_sec = HBCTL_SERVER_TIMEOUT_S };
	char port[8];
	int fd = -1, ret;

	snprintf(port, sizeof(port), "%u", srv->port);
	if ((ret = getaddrinfo(srv->host, port, &hints, &res)) != 0)
		return hbctl_fail(ctx, HBCTL_EXIT_UNREACHABLE, "%s: %s", srv->host, gai_strerror(ret)), -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		hbctl_fail(ctx, HBCTL_EXIT_UNREACHABLE, "cannot connect to %s port %u", srv->host, srv->port);
	return fd;
}

static int tls_error(struct hbctl *ctx, const char *what)
{
	char why[256];

	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	ERR_clear_error();
	return hbctl_fail(ctx, HBCTL_EXIT_UNREACHABLE, "%s: %s", what, why);
}

/* A client context that trusts only the CA of --ca. */
static SSL_CTX *tls_context(struct hbctl *ctx, const struct hbctl_server *srv)
{
	SSL_CTX *tls = SSL_CTX_new(TLS_client_method());

	if (tls == NULL) {
		tls_error(ctx, "TLS");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
	SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(tls, srv->ca_file, NULL) != 1) {
		tls_error(ctx, srv->ca_file);
		SSL_CTX_free(tls);
		return NULL;
	}
	return tls;
}

/* The certificate must name srv->host: its IP address or its DNS name. */
static int expect_name(SSL *ssl, const struct hbctl_server *srv)
{
	unsigned char addr[16];
	int ip = inet_pton(AF_INET, srv->host, addr) == 1 || inet_pton(AF_INET6, srv->host, addr) == 1;

	if (ip)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), srv->host) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(ssl, srv->host) != 1)
		return -1;
	return SSL_set1_host(ssl, srv->host) == 1 ? 0 : -1;
}

static int tls_write_all(SSL *ssl, const char *data, size_t len)
{
	while (len > 0) {
		int n = SSL_write(ssl, data, len > 65536 ? 65536 : (int)len);

		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the server closes (Connection: close), at most the bound. */
static int tls_read_all(SSL *ssl, char **buf_r, size_t *len_r)
{
	size_t len = 0, size = 16384;
	char *buf = malloc(size);

	while (buf != NULL) {
		int n;

		if (len == size) {
			char *bigger = size >= HBCTL_SERVER_REPLY_MAX ? NULL : realloc(buf, size * 2);

			if (bigger == NULL)
				break;
			buf = bigger;
			size *= 2;
		}
		n = SSL_read(ssl, buf + len, (int)(size - len));
		if (n <= 0) {
			*buf_r = buf;
			*len_r = len;
			return len > 0 ? 0 : -1;
		}
		len += (size_t)n;
	}
	free(buf);
	return -1;
}

static char *build_request(const struct hbctl_server *srv, const char *method, const char *path,
			   const char *token, const char *body)
{
	char *req = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&req, &size);

	if (f == NULL)
		return NULL;
	fprintf(f, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nAccept: application/json\r\n",
		method, path, srv->host);
	if (token != NULL)
		fprintf(f, "Authorization: Bearer %s\r\n", token);
	if (body != NULL)
		fprintf(f, "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
	fprintf(f, "\r\n%s", body != NULL ? body : "");
	if (fclose(f) != 0) {
		free(req);
		return NULL;
	}
	return req;
}

/* Handshake (verified), send the request, read and parse the reply. */
static int exchange(struct hbctl *ctx, SSL *ssl, const char *request, unsigned int *status_r,
		    char **reply_r)
{
	char *raw = NULL, err[HBCTL_ERR_MAX];
	size_t raw_len = 0, body_len;
	int ret;

	if (SSL_connect(ssl) != 1) {
		long verify = SSL_get_verify_result(ssl);

		if (verify != X509_V_OK)
			return hbctl_fail(ctx, HBCTL_EXIT_UNREACHABLE, "server certificate refused: %s",
					  X509_verify_cert_error_string(verify));
		return tls_error(ctx, "TLS handshake");
	}
	if (tls_write_all(ssl, request, strlen(request)) < 0 || tls_read_all(ssl, &raw, &raw_len) < 0) {
		free(raw);
		return hbctl_fail(ctx, HBCTL_EXIT_UNREACHABLE, "no reply from the server");
	}
	ret = hbctl_http_parse_response(raw, raw_len, status_r, reply_r, &body_len, err, sizeof(err));
	free(raw);
	if (ret < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_UNREACHABLE, "bad reply from the server: %s", err);
	return HBCTL_EXIT_OK;
}

int hbctl_server_request(struct hbctl *ctx, const struct hbctl_server *srv, const char *method,
			 const char *path, const char *token, const char *body,
			 unsigned int *status_r, char **reply_r)
{
	SSL_CTX *tls = NULL;
	SSL *ssl = NULL;
	char *request = build_request(srv, method, path, token, body);
	int fd = -1, ret = HBCTL_EXIT_UNREACHABLE;

	*reply_r = NULL;
	if (request == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	if ((tls = tls_context(ctx, srv)) == NULL || (fd = tcp_connect(ctx, srv)) < 0)
		goto out;
	if ((ssl = SSL_new(tls)) == NULL || SSL_set_fd(ssl, fd) != 1 || expect_name(ssl, srv) < 0) {
		ret = tls_error(ctx, "TLS setup");
		goto out;
	}
	ret = exchange(ctx, ssl, request, status_r, reply_r);
	SSL_shutdown(ssl);
out:
	if (request != NULL) {
		OPENSSL_cleanse(request, strlen(request));	/* holds the token or a password */
		free(request);
	}
	SSL_free(ssl);
	SSL_CTX_free(tls);
	if (fd >= 0)
		close(fd);
	return ret;
}
