/* kick.c - one doveadm HTTP API "kick" of every session on a backend, made
 * with libevent's HTTP client.  The API key is read once from its file and
 * kept only in memory; requests and replies are bounded. */
#include "hb-config-auto.h"
#include "director.h"
#include "kick.h"
#include "hb-base64.h"
#include "hb-dlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>

#define KICK_BODY "[[\"kick\",{\"mask\":[\"*\"],\"force\":true},\"hb-failover\"]]"
#define KICK_REPLY_MAX 65536

struct kick {
	struct director *d;
	struct kick *prev, *next;   /* in director->kicks, freed at shutdown */
	struct evhttp_connection *conn;
	kick_done_cb *done;
	char backend[HB_BACKEND_NAME_MAX + 1];
	enum evhttp_request_error error;
	int failed;
};

int kick_init(struct director *d, char *err, size_t err_size)
{
	char *key, auth[512];

	if (d->set->doveadm_api_key_file[0] == '\0')
		return 0;
	if (hb_read_secret_file(d->set->doveadm_api_key_file, &key, err, err_size) < 0)
		return -1;
	if (hb_base64_encode((const unsigned char *)key, strlen(key), auth, sizeof(auth)) == 0) {
		snprintf(err, err_size, "%s: API key too long", d->set->doveadm_api_key_file);
		explicit_bzero(key, strlen(key));
		free(key);
		return -1;
	}
	explicit_bzero(key, strlen(key));
	free(key);
	d->doveadm_auth = malloc(strlen(auth) + 16);
	if (d->doveadm_auth != NULL)
		sprintf(d->doveadm_auth, "X-Dovecot-API %s", auth);
	explicit_bzero(auth, sizeof(auth));
	return 0;
}

void kick_deinit(struct director *d)
{
	while (d->kicks != NULL) {
		struct kick *k = d->kicks;
		HB_DLIST_REMOVE(d->kicks, k);
		evhttp_connection_free(k->conn); /* frees the request, no callback */
		free(k);
	}
	if (d->doveadm_auth != NULL) {
		explicit_bzero(d->doveadm_auth, strlen(d->doveadm_auth));
		free(d->doveadm_auth);
		d->doveadm_auth = NULL;
	}
}

int kick_available(const struct director *d)
{
	return d->doveadm_auth != NULL;
}

static void on_kick_error(enum evhttp_request_error error, void *arg)
{
	struct kick *k = arg;

	k->failed = 1;
	k->error = error;
}

static void on_kick_done(struct evhttp_request *req, void *arg)
{
	struct kick *k = arg;
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;

	if (code == 200)
		k->done(k->d, k->backend, KICK_DONE, "sessions kicked");
	else if (code != 0)
		k->done(k->d, k->backend, KICK_REFUSED, "doveadm API answered with an error");
	else if (k->failed && k->error == EVREQ_HTTP_TIMEOUT)
		k->done(k->d, k->backend, KICK_TIMEOUT, "doveadm API did not answer in time");
	else
		k->done(k->d, k->backend, KICK_UNREACHABLE, "doveadm API unreachable");
	/* the connection frees itself once this request is complete */
	HB_DLIST_REMOVE(k->d->kicks, k);
	free(k);
}

void kick_all(struct director *d, const char *backend, const char *host,
	      unsigned int port, kick_done_cb *done)
{
	struct kick *k = calloc(1, sizeof(*k));
	struct evhttp_request *req;
	struct evkeyvalq *headers;

	if (k == NULL) {
		done(d, backend, KICK_REFUSED, "out of memory");
		return;
	}
	k->d = d;
	k->done = done;
	snprintf(k->backend, sizeof(k->backend), "%s", backend);
	k->conn = evhttp_connection_base_new(d->base, NULL, host, (ev_uint16_t)port);
	req = evhttp_request_new(on_kick_done, k);
	if (k->conn == NULL || req == NULL) {
		if (k->conn != NULL)
			evhttp_connection_free(k->conn);
		free(k);
		done(d, backend, KICK_REFUSED, "out of memory");
		return;
	}
	evhttp_connection_set_timeout(k->conn, (int)((d->set->kick_timeout_ms + 999) / 1000));
	evhttp_connection_set_max_body_size(k->conn, KICK_REPLY_MAX);
	evhttp_connection_free_on_completion(k->conn);
	evhttp_request_set_error_cb(req, on_kick_error);
	headers = evhttp_request_get_output_headers(req);
	evhttp_add_header(headers, "Host", host);
	evhttp_add_header(headers, "Authorization", d->doveadm_auth);
	evhttp_add_header(headers, "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), KICK_BODY, strlen(KICK_BODY));
	if (evhttp_make_request(k->conn, req, EVHTTP_REQ_POST, "/doveadm/v1") != 0) {
		/* evhttp_make_request frees REQ on failure */
		evhttp_connection_free(k->conn);
		free(k);
		done(d, backend, KICK_UNREACHABLE, "cannot send the request");
		return;
	}
	HB_DLIST_PREPEND(d->kicks, k);
}
