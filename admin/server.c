/* server.c - admind's HTTPS front: evhttp over bufferevent_openssl, with
 * the limits of the settings (head and body size, idle timeout), turns each
 * request into a struct admind_request for dispatch.c and sends its JSON
 * reply.  Only what the TLS layer decrypted reaches the parsers; a request
 * that arrived in plain text, has a body over admind_max_body or repeats a
 * header admind reads is refused here.  Never logs a header value. */
#include "admind.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Every connection speaks TLS.  If SSL_new() fails, evhttp would fall back
 * to a plain socket: on_request() refuses whatever comes over one. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct admind *ad = arg;
	SSL *ssl = SSL_new(ad->ssl);
	struct bufferevent *bev;

	if (ssl == NULL) {
		hb_error("SSL_new failed");
		return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	else
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static enum admind_method method_of(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return ADMIND_GET;
	case EVHTTP_REQ_POST: return ADMIND_POST;
	case EVHTTP_REQ_PUT: return ADMIND_PUT;
	case EVHTTP_REQ_DELETE: return ADMIND_DELETE;
	default: return ADMIND_OTHER;
	}
}

/* The one value of header NAME; -1 when it is given twice. */
static int single_header(struct evkeyvalq *headers, const char *name, const char **value_r)
{
	struct evkeyval *h;

	*value_r = NULL;
	TAILQ_FOREACH(h, headers, next) {
		if (strcasecmp(h->key, name) != 0)
			continue;
		if (*value_r != NULL)
			return -1;
		*value_r = h->value;
	}
	return 0;
}

static void send_reply(struct evhttp_request *ev, struct admind_reply *reply)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(ev);
	struct evbuffer *buf = evbuffer_new();
	char retry[16];

	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	if (reply->status == 401)
		evhttp_add_header(out, "WWW-Authenticate", "Bearer");
	if (reply->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%u", reply->retry_after);
		evhttp_add_header(out, "Retry-After", retry);
	}
	if (buf == NULL || evbuffer_add(buf, reply->buf, reply->len) < 0) {
		evhttp_send_error(ev, 500, NULL);
	} else {
		evhttp_send_reply(ev, reply->status, reason(reply->status), buf);
	}
	if (buf != NULL)
		evbuffer_free(buf);
}

/* Fill REQ from EV; -1 with ERR for what the HTTP layer already refuses. */
static int read_request(struct admind *ad, struct evhttp_request *ev, struct admind_request *req,
			struct admind_error *err)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct evkeyvalq *headers = evhttp_request_get_input_headers(ev);
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	const char *length;
	char *host = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(req->peer, sizeof(req->peer), "%s", host != NULL ? host : "unknown");
	req->ad = ad;
	req->method = method_of(evhttp_request_get_command(ev));
	req->uri = evhttp_request_get_uri(ev);
	if (single_header(headers, "Authorization", &req->authorization) < 0 ||
	    single_header(headers, "Content-Type", &req->content_type) < 0 ||
	    single_header(headers, "Content-Length", &length) < 0)
		return admind_error_set(err, 400, "bad_request", "a header is given twice");
	req->body_len = evbuffer_get_length(in);
	if (req->body_len > ad->set->admind_max_body)
		return admind_error_set(err, 413, "too_large", "the body is larger than %u bytes",
					ad->set->admind_max_body);
	req->body = req->body_len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (req->body == NULL)
		return admind_error_set(err, 500, "internal", "out of memory");
	if (req->uri == NULL)
		return admind_error_set(err, 400, "bad_path", "no request target");
	return 0;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct admind *ad = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct admind_request *req;
	struct admind_reply reply;
	struct admind_error err;

	if (bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(evcon)) == NULL) {
		evhttp_send_error(ev, 400, "TLS only");
		return;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL || admind_reply_init(&reply) < 0) {
		free(req);
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	if (read_request(ad, ev, req, &err) < 0)
		admind_reply_error(&reply, &err);
	else
		admind_dispatch(req, &reply);
	if (admind_reply_finish(&reply) < 0) {
		evhttp_send_error(ev, 500, NULL);
	} else {
		send_reply(ev, &reply);
	}
	if (req->method != ADMIND_GET || reply.status >= 400)
		hb_info("%s %.200s from %s%s%s: %d", req->method == ADMIND_GET ? "GET" :
			req->method == ADMIND_POST ? "POST" : req->method == ADMIND_PUT ? "PUT" :
			req->method == ADMIND_DELETE ? "DELETE" : "other",
			req->uri != NULL ? req->uri : "?",
			req->peer, req->admin[0] != '\0' ? " as " : "", req->admin, reply.status);
	admind_reply_free(&reply);
	free(req);
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" */
static int parse_listen(const char *spec, char *host, size_t host_size, unsigned int *port_r)
{
	const char *colon = strrchr(spec, ':');
	const char *h = spec;
	size_t len;
	char *end;
	unsigned long port;

	if (colon == NULL)
		return -1;
	len = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (len < 2 || spec[len - 1] != ']')
			return -1;
		h = spec + 1;
		len -= 2;
	}
	if (len == 0 || len >= host_size)
		return -1;
	memcpy(host, h, len);
	host[len] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port == 0 || port > 65535)
		return -1;
	*port_r = (unsigned int)port;
	return 0;
}

/* Limits that a reload may change. */
void admind_server_limits(struct admind *ad)
{
	evhttp_set_max_headers_size(ad->http, ad->set->admind_max_headers);
	evhttp_set_max_body_size(ad->http, ad->set->admind_max_body);
	evhttp_set_timeout(ad->http, (int)ad->set->admind_timeout_s);
}

int admind_server_start(struct admind *ad, char *err, size_t err_size)
{
	char host[256];
	unsigned int port;

	if (parse_listen(ad->set->admind_listen, host, sizeof(host), &port) < 0) {
		snprintf(err, err_size, "admind_listen: expected ADDR:PORT, got '%.100s'",
			 ad->set->admind_listen);
		return -1;
	}
	ad->http = evhttp_new(ad->base);
	if (ad->http == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	evhttp_set_allowed_methods(ad->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_OPTIONS);
	admind_server_limits(ad);
	evhttp_set_bevcb(ad->http, make_bev, ad);
	evhttp_set_gencb(ad->http, on_request, ad);
	if (evhttp_bind_socket_with_handle(ad->http, host, (ev_uint16_t)port) == NULL) {
		snprintf(err, err_size, "cannot listen on %s", ad->set->admind_listen);
		return -1;
	}
	return 0;
}

void admind_server_stop(struct admind *ad)
{
	if (ad->http != NULL)
		evhttp_free(ad->http);
	ad->http = NULL;
}
