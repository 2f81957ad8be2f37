/* doveadm-http.h - client for Dovecot's doveadm HTTP API (POST /doveadm/v1,
 * "Authorization: X-Dovecot-API base64(key)"): one bounded request per
 * connection, over verified TLS when a CA file is given (never plain then).
 * The API key is passed in memory, never on a command line. */
#ifndef HBCTL_DOVEADM_HTTP_H
#define HBCTL_DOVEADM_HTTP_H

#include <stddef.h>

#define HBCTL_HTTP_MAX_HEADER (16 * 1024)
#define HBCTL_HTTP_MAX_BODY (1024 * 1024)

enum hbctl_http_result {
	HBCTL_HTTP_OK = 0,
	HBCTL_HTTP_FAILED = -1,		/* reply was an error or malformed */
	HBCTL_HTTP_UNREACHABLE = -2,	/* connect/send/receive failed or timed out */
	HBCTL_HTTP_TLS_FAILED = -3,	/* no verified TLS session: the key was not sent */
};

/* POST BODY to http://HOST:PORT/doveadm/v1 within TIMEOUT_MS, or to
 * https:// when CA_FILE is not NULL: the server's certificate must chain to
 * CA_FILE and name HOST, else nothing is sent.  On success *REPLY_R is the
 * malloc'd response body (NUL-terminated, caller frees). */
enum hbctl_http_result
hbctl_doveadm_http_post(const char *host, unsigned int port, const char *ca_file,
			const char *api_key, const char *body, unsigned int timeout_ms,
			char **reply_r, size_t *reply_len_r,
			char *err, size_t err_size);

/* Split a complete HTTP/1.x response: status code and body (malloc'd,
 * NUL-terminated), decoding chunked transfer coding.  Pure. */
int hbctl_http_parse_response(const char *buf, size_t len, unsigned int *status_r,
			      char **body_r, size_t *body_len_r,
			      char *err, size_t err_size);

#endif
