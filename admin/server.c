/* server.c - admind's HTTPS front: evhttp over bufferevent_openssl, with
 * the limits of the settings (head and body size, idle timeout; connection
 * caps and deadlines in conns.c), turns each request into a struct
 * admind_request for dispatch.c and sends its JSON reply, at once or after
 * a failed login's delay (deferred.c).  Only what the TLS layer decrypted
 * reaches the parsers; a request that arrived in plain text, has a body over
 * admind_max_body or repeats a header admind reads is refused here.  Never
 * logs a header value, and the request target only escaped. */
#include "admind.h"
#include "conns.h"
#include "hb-log.h"
#include "hb-settings.h"
#include "hb-settings-addr.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* connections the kernel may queue before admind accepts them */
#define ADMIND_LISTEN_BACKLOG 1024

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
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	admind_conns_add(ad->conns, ssl, bev);
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

/* The SSL of EV's connection, or NULL (plain, or the connection is gone). */
static SSL *request_ssl(struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);

	return evcon == NULL ? NULL :
		bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(evcon));
}

void admind_server_send(struct evhttp_request *ev, struct admind_reply *reply)
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
	admind_conns_idle(request_ssl(ev));
	if (buf == NULL || evbuffer_add(buf, reply->buf, reply->len) < 0) {
		evhttp_send_error(ev, 500, NULL);
	} else {
		evhttp_send_reply(ev, reply->status, reason(reply->status), buf);
	}
	if (buf != NULL)
		evbuffer_free(buf);
}

/* The admin name a verified client certificate carries: the one subject
 * CN, which must be a valid admin name; "" when there is none. */
static void cert_name(SSL *ssl, char *out, size_t size)
{
	X509 *cert = SSL_get_peer_certificate(ssl);
	X509_NAME *subject = cert != NULL ? X509_get_subject_name(cert) : NULL;
	int i = subject != NULL ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
	unsigned char *cn = NULL;
	int len;

	out[0] = '\0';
	if (i >= 0 && X509_NAME_get_index_by_NID(subject, NID_commonName, i) < 0 &&
	    SSL_get_verify_result(ssl) == X509_V_OK &&
	    (len = ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subject, i)))) > 0 &&
	    (size_t)len < size && strlen((char *)cn) == (size_t)len &&
	    admind_admin_name_ok((char *)cn))
		memcpy(out, cn, (size_t)len + 1);
	OPENSSL_free(cn);
	X509_free(cert);
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
	req->cert_required = ad->set->admind_client_ca_file[0] != '\0';
	if (req->cert_required)
		cert_name(request_ssl(ev), req->cert_admin, sizeof(req->cert_admin));
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

static const char *method_name(enum admind_method method)
{
	switch (method) {
	case ADMIND_GET: return "GET";
	case ADMIND_POST: return "POST";
	case ADMIND_PUT: return "PUT";
	case ADMIND_DELETE: return "DELETE";
	default: return "other";
	}
}

/* One line per change and per refusal; the target escaped, as it may be
 * anything a client sent (escape sequences, invalid UTF-8). */
static void log_request(const struct admind_request *req, const struct admind_reply *reply)
{
	char target[ADMIND_LOG_TARGET_MAX * 4 + 8];

	if (req->method == ADMIND_GET && reply->status < 400)
		return;
	admind_target_escape(req->uri != NULL ? req->uri : "?", target, sizeof(target));
	hb_info("%s %s from %s%s%s: %d", method_name(req->method), target, req->peer,
		req->admin[0] != '\0' ? " as " : "", req->admin, reply->status);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct admind *ad = arg;
	SSL *ssl = request_ssl(ev);
	struct admind_request *req;
	struct admind_reply reply;
	struct admind_error err;

	if (ssl == NULL) {
		evhttp_send_error(ev, 400, "TLS only");
		return;
	}
	admind_conns_busy(ssl);
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
	log_request(req, &reply);
	free(req);
	if (admind_reply_finish(&reply) < 0) {
		admind_conns_idle(ssl);
		evhttp_send_error(ev, 500, NULL);
	} else if (reply.delay_ms > 0 && admind_defer(ad, ev, &reply) == 0) {
		return;		/* sent and freed later */
	} else {
		admind_server_send(ev, &reply);
	}
	admind_reply_free(&reply);
}

/* Limits that a reload may change. */
void admind_server_limits(struct admind *ad)
{
	evhttp_set_max_headers_size(ad->http, ad->set->admind_max_headers);
	evhttp_set_max_body_size(ad->http, ad->set->admind_max_body);
	evhttp_set_timeout(ad->http, (int)ad->set->admind_timeout_s);
	if (ad->conns != NULL)
		admind_conns_limits(ad->conns);
}

/* The listening socket, with a backlog deeper than evhttp's 128: a burst
 * of connections (a flood) must not make the kernel drop an admin's SYN,
 * which would cost them a second before their client tries again. */
static struct evconnlistener *listen_on(struct admind *ad, const struct sockaddr_storage *ss,
				       socklen_t len)
{
	return evconnlistener_new_bind(ad->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
				       LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
				       ADMIND_LISTEN_BACKLOG, (const struct sockaddr *)ss, (int)len);
}

int admind_server_start(struct admind *ad, char *err, size_t err_size)
{
	struct evconnlistener *listener = NULL;
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t len;
	char why[128];

	/* the settings' own parser: -t refuses what this would */
	if (hb_inet_spec_parse(ad->set->admind_listen, &ss, &len, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "admind_listen '%.100s': %s", ad->set->admind_listen, why);
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
	if ((listener = listen_on(ad, &ss, len)) == NULL ||
	    (bound = evhttp_bind_listener(ad->http, listener)) == NULL) {
		if (listener != NULL)
			evconnlistener_free(listener);
		snprintf(err, err_size, "cannot listen on %s", ad->set->admind_listen);
		return -1;
	}
	ad->conns = admind_conns_create(ad, evhttp_bound_socket_get_listener(bound));
	if (ad->conns == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	return 0;
}

void admind_server_stop(struct admind *ad)
{
	admind_deferred_drop(ad);
	if (ad->http != NULL)
		evhttp_free(ad->http);
	ad->http = NULL;
	admind_conns_destroy(&ad->conns);
}
