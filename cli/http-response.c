/* http-response.c - parses one HTTP/1.x response held in memory (status
 * line, headers, body by Content-Length, chunked coding or connection
 * close).  Pure: no I/O. */
#define _GNU_SOURCE /* memmem */
#include "doveadm-http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Find "\r\n" in [P, END); returns a pointer to it or NULL. */
static const char *find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	}
	return NULL;
}

static int parse_status_line(const char *line, size_t len, unsigned int *status_r)
{
	if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
	}
	if (len > 12 && line[12] != ' ')
		return -1;
	*status_r = (unsigned int)((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
	return 0;
}

/* Header line NAME: VALUE; VALUE has leading blanks removed. */
static int header_is(const char *line, size_t len, const char *name, const char **value_r,
		     size_t *value_len_r)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*value_r = v;
	*value_len_r = (size_t)(end - v);
	return 1;
}

static int parse_size(const char *s, size_t len, int hex, size_t *size_r)
{
	size_t v = 0;

	if (len == 0 || len > 8)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int d;
		char c = s[i];
		if (c >= '0' && c <= '9') d = c - '0';
		else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else if (hex && (c == ';' || c == ' ')) break;	/* chunk extension */
		else return -1;
		v = v * (hex ? 16 : 10) + (size_t)d;
	}
	*size_r = v;
	return 0;
}

static int decode_chunked(const char *p, const char *end, char *out, size_t *out_len_r,
			  const char **why_r)
{
	size_t o = 0, size;

	for (;;) {
		const char *eol = find_crlf(p, end);
		if (eol == NULL || parse_size(p, (size_t)(eol - p), 1, &size) < 0) {
			*why_r = "bad chunk size";
			return -1;
		}
		p = eol + 2;
		if (size == 0)
			break;
		if (size > (size_t)(end - p) || o + size > HBCTL_HTTP_MAX_BODY ||
		    (size_t)(end - p) - size < 2 || p[size] != '\r' || p[size + 1] != '\n') {
			*why_r = "truncated or oversized chunk";
			return -1;
		}
		memcpy(out + o, p, size);
		o += size;
		p += size + 2;
	}
	*out_len_r = o;
	return 0;
}

struct http_headers {
	int chunked;
	int have_length;
	size_t length;
};

static int parse_headers(const char *p, const char *hdr_end, struct http_headers *h)
{
	const char *value;
	size_t vlen;

	memset(h, 0, sizeof(*h));
	while (p < hdr_end) {
		const char *eol = find_crlf(p, hdr_end + 2);
		size_t len = (size_t)(eol - p);
		if (header_is(p, len, "Content-Length", &value, &vlen)) {
			if (parse_size(value, vlen, 0, &h->length) < 0)
				return -1;
			h->have_length = 1;
		} else if (header_is(p, len, "Transfer-Encoding", &value, &vlen)) {
			h->chunked = vlen == 7 && strncasecmp(value, "chunked", 7) == 0;
			if (!h->chunked)
				return -1;
		}
		p = eol + 2;
	}
	return 0;
}

int hbctl_http_parse_response(const char *buf, size_t len, unsigned int *status_r,
			      char **body_r, size_t *body_len_r,
			      char *err, size_t err_size)
{
	const char *end = buf + len, *why = NULL;
	const char *eol = find_crlf(buf, end);
	struct http_headers h;
	char *body;
	size_t body_len;

	*body_r = NULL;
	if (eol == NULL || parse_status_line(buf, (size_t)(eol - buf), status_r) < 0) {
		snprintf(err, err_size, "malformed HTTP status line");
		return -1;
	}
	const char *hdr_end = memmem(buf, len, "\r\n\r\n", 4);
	if (hdr_end == NULL || hdr_end - buf > HBCTL_HTTP_MAX_HEADER) {
		snprintf(err, err_size, "incomplete or oversized HTTP header");
		return -1;
	}
	if (parse_headers(eol + 2, hdr_end + 2, &h) < 0) {
		snprintf(err, err_size, "malformed HTTP header");
		return -1;
	}
	const char *p = hdr_end + 4;
	size_t avail = (size_t)(end - p);
	if ((h.have_length && h.length > HBCTL_HTTP_MAX_BODY) ||
	    (!h.have_length && avail > HBCTL_HTTP_MAX_BODY && !h.chunked)) {
		snprintf(err, err_size, "HTTP body larger than %d bytes", HBCTL_HTTP_MAX_BODY);
		return -1;
	}
	if (h.have_length && !h.chunked && avail < h.length) {
		snprintf(err, err_size, "HTTP body truncated (%zu of %zu bytes)", avail, h.length);
		return -1;
	}
	body = malloc((h.chunked ? (avail < HBCTL_HTTP_MAX_BODY ? avail : HBCTL_HTTP_MAX_BODY)
		       : (h.have_length ? h.length : avail)) + 1);
	if (body == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	if (h.chunked) {
		if (decode_chunked(p, end, body, &body_len, &why) < 0) {
			snprintf(err, err_size, "HTTP chunked body: %s", why);
			free(body);
			return -1;
		}
	} else {
		body_len = h.have_length ? h.length : avail;
		memcpy(body, p, body_len);
	}
	body[body_len] = '\0';
	*body_r = body;
	*body_len_r = body_len;
	return 0;
}
