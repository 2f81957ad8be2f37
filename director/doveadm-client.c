/* doveadm-client.c - a POST to a doveadm HTTP API on a fresh evhttp
 * connection, freed with the request.  The Authorization header comes from
 * the director (apikey.c reads the key once); replies are size-bounded. */
#include "hb-config-auto.h"
#include "director.h"
#include "doveadm-client.h"

#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>

struct doveadm_req {
	struct evhttp_connection *conn;
	doveadm_reply_cb *cb;
	void *ctx;
	enum evhttp_request_error error;
	int failed;
};

static void on_error(enum evhttp_request_error error, void *arg)
{
	struct doveadm_req *r = arg;

	r->failed = 1;
	r->error = error;
}

static void on_reply(struct evhttp_request *req, void *arg)
{
	struct doveadm_req *r = arg;
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	doveadm_reply_cb *cb = r->cb;
	void *ctx = r->ctx;
	enum doveadm_status status = DOVEADM_REPLY;
	struct evbuffer *in = NULL;
	const char *body = NULL;
	size_t len = 0;

	/* the connection frees itself once this request is complete */
	if (code == 0) {
		if (r->failed && r->error == EVREQ_HTTP_TIMEOUT)
			status = DOVEADM_TIMEOUT;
		else if (r->failed && r->error == EVREQ_HTTP_DATA_TOO_LONG)
			status = DOVEADM_FAILED;
		else
			status = DOVEADM_UNREACHABLE;
	} else {
		in = evhttp_request_get_input_buffer(req);
		len = evbuffer_get_length(in);
		body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
		if (body == NULL) {
			status = DOVEADM_FAILED;
			len = 0;
		}
	}
	free(r);
	cb(ctx, status, code, body, len);
}

struct doveadm_req *doveadm_post(struct director *d, const char *host, unsigned int port,
				 const char *body, unsigned int timeout_ms, size_t max_reply,
				 doveadm_reply_cb *cb, void *ctx)
{
	return doveadm_post_auth(d, d->doveadm_auth, host, port, body, timeout_ms, max_reply,
				 cb, ctx);
}

struct doveadm_req *doveadm_post_auth(struct director *d, const char *auth, const char *host,
				      unsigned int port, const char *body, unsigned int timeout_ms,
				      size_t max_reply, doveadm_reply_cb *cb, void *ctx)
{
	struct doveadm_req *r;
	struct evhttp_request *req;
	struct evkeyvalq *headers;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (auth == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->cb = cb;
	r->ctx = ctx;
	r->conn = evhttp_connection_base_new(d->base, NULL, host, (ev_uint16_t)port);
	req = evhttp_request_new(on_reply, r);
	if (r->conn == NULL || req == NULL) {
		if (req != NULL)
			evhttp_request_free(req);
		if (r->conn != NULL)
			evhttp_connection_free(r->conn);
		free(r);
		return NULL;
	}
	evhttp_connection_set_timeout_tv(r->conn, &tv);
	evhttp_connection_set_max_body_size(r->conn, (ev_ssize_t)max_reply);
	evhttp_connection_free_on_completion(r->conn);
	evhttp_request_set_error_cb(req, on_error);
	headers = evhttp_request_get_output_headers(req);
	evhttp_add_header(headers, "Host", host);
	evhttp_add_header(headers, "Authorization", auth);
	evhttp_add_header(headers, "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	if (evhttp_make_request(r->conn, req, EVHTTP_REQ_POST, "/doveadm/v1") != 0) {
		/* evhttp_make_request frees REQ on failure */
		evhttp_connection_free(r->conn);
		free(r);
		return NULL;
	}
	return r;
}

void doveadm_cancel(struct doveadm_req **_r)
{
	struct doveadm_req *r = *_r;

	if (r == NULL)
		return;
	evhttp_connection_free(r->conn); /* frees the request, no callback */
	free(r);
	*_r = NULL;
}
