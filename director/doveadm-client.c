/* doveadm-client.c - a POST to a doveadm HTTP API on a fresh evhttp
 * connection, freed with the request (on the loop iteration after its
 * answer: see doveadm_reaper).  The Authorization header comes from
 * the director (apikey.c reads the key once); replies are size-bounded.
 * With doveadm_tls = yes every connection is TLS through bufferevent_openssl
 * and the request (key included) is written only into the TLS session, so
 * a server that fails verification never sees it; there is no plain
 * fallback. */
#include "hb-config-auto.h"
#include "director.h"
#include "doveadm-client.h"
#include "apikey.h"
#include "hb-tls-client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/x509.h>

struct doveadm_req {
	struct doveadm_req *next;  /* in the reaper, once answered */
	struct doveadm_reaper *reaper;
	struct evhttp_connection *conn;
	doveadm_reply_cb *cb;
	void *ctx;
	enum evhttp_request_error error;
	int failed;
	int tls;                  /* over TLS */
	int tls_started;          /* the TCP connection stood, the handshake began */
	int tls_done;             /* ... and completed (verified) */
	char tls_error[200];      /* why the server's certificate was refused */
};

/* Answered requests and their connections, freed on the next loop
 * iteration: libevent may still use a connection when its request callback
 * returns, and its own auto-free (evhttp_connection_free_on_completion)
 * skips a refused connect and a failed TLS handshake - a connection leaked
 * per failed attempt on a backend that was down. */
struct doveadm_reaper {
	struct event *ev;
	struct doveadm_req *dead;
};

static void reap(evutil_socket_t fd, short what, void *arg)
{
	struct doveadm_reaper *reaper = arg;
	struct doveadm_req *r;

	while ((r = reaper->dead) != NULL) {
		reaper->dead = r->next;
		evhttp_connection_free(r->conn);
		free(r);
	}
}

static struct doveadm_reaper *reaper_get(struct director *d)
{
	if (d->doveadm_reaper != NULL)
		return d->doveadm_reaper;
	d->doveadm_reaper = calloc(1, sizeof(*d->doveadm_reaper));
	if (d->doveadm_reaper == NULL)
		return NULL;
	d->doveadm_reaper->ev = event_new(d->base, -1, 0, reap, d->doveadm_reaper);
	if (d->doveadm_reaper->ev == NULL) {
		free(d->doveadm_reaper);
		d->doveadm_reaper = NULL;
	}
	return d->doveadm_reaper;
}

void doveadm_client_deinit(struct director *d)
{
	struct doveadm_reaper *reaper = d->doveadm_reaper;

	if (reaper == NULL)
		return;
	reap(-1, 0, reaper);
	event_free(reaper->ev);
	free(reaper);
	d->doveadm_reaper = NULL;
}

static void on_error(enum evhttp_request_error error, void *arg)
{
	struct doveadm_req *r = arg;

	r->failed = 1;
	r->error = error;
}

/* Why a request without an HTTP answer failed. */
static enum doveadm_status failure_status(struct doveadm_req *r)
{
	if (r->tls && r->tls_error[0] != '\0')
		return DOVEADM_TLS_FAILED;
	if (r->failed && r->error == EVREQ_HTTP_TIMEOUT)
		return DOVEADM_TIMEOUT;
	if (r->failed && r->error == EVREQ_HTTP_DATA_TOO_LONG)
		return DOVEADM_FAILED;
	if (r->tls && r->tls_started && !r->tls_done) {
		snprintf(r->tls_error, sizeof(r->tls_error), "TLS handshake failed (is the "
			 "backend's doveadm inet_listener http set to ssl = yes?)");
		return DOVEADM_TLS_FAILED;
	}
	return DOVEADM_UNREACHABLE;
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
	char why[sizeof(r->tls_error)];
	size_t len = 0;

	if (code == 0) {
		status = failure_status(r);
		if (status == DOVEADM_TLS_FAILED) {
			len = (size_t)snprintf(why, sizeof(why), "%s", r->tls_error);
			body = why;
		}
	} else {
		in = evhttp_request_get_input_buffer(req);
		len = evbuffer_get_length(in);
		body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
		if (body == NULL) {
			status = DOVEADM_FAILED;
			len = 0;
		}
	}
	r->next = r->reaper->dead;
	r->reaper->dead = r;
	event_active(r->reaper->ev, EV_TIMEOUT, 0);
	cb(ctx, status, code, body, len);
}

/* Certificate problems, kept for the log: OpenSSL only says "handshake
 * failed" afterwards. */
static int on_verify(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct doveadm_req *r = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	if (!ok && r != NULL && r->tls_error[0] == '\0')
		snprintf(r->tls_error, sizeof(r->tls_error), "server certificate refused: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)));
	return ok;
}

static void on_tls_info(const SSL *ssl, int where, int ret)
{
	struct doveadm_req *r = SSL_get_app_data(ssl);

	(void)ret;
	if (r == NULL)
		return;
	if ((where & SSL_CB_HANDSHAKE_START) != 0)
		r->tls_started = 1;
	if ((where & SSL_CB_HANDSHAKE_DONE) != 0) {
		r->tls_done = 1;
		/* R may be freed before the SSL: nothing refers to it from now on */
		SSL_set_app_data((SSL *)ssl, NULL);
	}
}

/* An evhttp connection to HOST:PORT over TLS with TLS_CTX, verified
 * against HOST; NULL when out of memory. */
static struct evhttp_connection *tls_connection(struct director *d, SSL_CTX *tls_ctx,
						struct doveadm_req *r, const char *host,
						unsigned int port)
{
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	SSL *ssl = SSL_new(tls_ctx);

	if (ssl == NULL || hb_tls_client_expect(ssl, host) < 0) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_app_data(ssl, r);
	SSL_set_verify(ssl, SSL_VERIFY_PEER, on_verify);
	SSL_set_info_callback(ssl, on_tls_info);
	bev = bufferevent_openssl_socket_new(d->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);   /* not taken over on failure */
		return NULL;
	}
	/* doveadm may close without close_notify; the reply has its length */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	conn = evhttp_connection_base_bufferevent_new(d->base, NULL, bev, host, (ev_uint16_t)port);
	if (conn == NULL)
		bufferevent_free(bev);
	r->tls = 1;
	return conn;
}

/* A connection as doveadm_tls says: TLS or plain, never plain instead of
 * TLS.  NULL when TLS is wanted but not loaded, or out of memory. */
static struct evhttp_connection *connection(struct director *d, struct doveadm_req *r,
					    const char *host, unsigned int port)
{
	SSL_CTX *tls_ctx = apikey_tls(d);

	if (strcmp(d->set->doveadm_tls, "yes") != 0)
		return evhttp_connection_base_new(d->base, NULL, host, (ev_uint16_t)port);
	return tls_ctx == NULL ? NULL : tls_connection(d, tls_ctx, r, host, port);
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

	if (auth == NULL || reaper_get(d) == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->reaper = d->doveadm_reaper;
	r->cb = cb;
	r->ctx = ctx;
	r->conn = connection(d, r, host, port);
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
	evhttp_connection_free(r->conn); /* frees the request and the TLS session, no callback */
	free(r);
	*_r = NULL;
}
