/* doveadm-client.h - one POST to a backend's doveadm HTTP API (/doveadm/v1)
 * with libevent's HTTP client, bounded in time and reply size, over verified
 * TLS when doveadm_tls = yes (never plain then).  Used by the failover kick
 * (kick.c), the session census (census.c) and the key check (apikey.c). */
#ifndef DIRECTOR_DOVEADM_CLIENT_H
#define DIRECTOR_DOVEADM_CLIENT_H

#include <stddef.h>

struct director;
struct doveadm_req;

enum doveadm_status {
	DOVEADM_REPLY,        /* an HTTP answer arrived: see CODE and BODY */
	DOVEADM_UNREACHABLE,  /* refused or reset: nothing listens there */
	DOVEADM_TIMEOUT,      /* no answer in time */
	DOVEADM_FAILED,       /* out of memory, reply too large, ... */
	DOVEADM_TLS_FAILED,   /* no verified TLS session: the key was not sent */
};

/* BODY (LEN bytes, not NUL-terminated) is valid only during the call; it is
 * NULL unless STATUS is DOVEADM_REPLY, or DOVEADM_TLS_FAILED: then it is why
 * (NUL-terminated, for logs). */
typedef void doveadm_reply_cb(void *ctx, enum doveadm_status status, int code,
			      const char *body, size_t len);

/* POST JSON BODY to HOST:PORT with the director's API key.  CB is called
 * exactly once, always later from the event loop, unless the request is
 * cancelled first.  Returns NULL (and calls nothing) when it cannot start,
 * also when doveadm_tls = yes and no TLS context is loaded (apikey.c). */
struct doveadm_req *doveadm_post(struct director *d, const char *host, unsigned int port,
				 const char *body, unsigned int timeout_ms, size_t max_reply,
				 doveadm_reply_cb *cb, void *ctx);
/* The same with the Authorization header AUTH instead of the director's
 * (apikey.c tries a variant of the key to explain a refusal). */
struct doveadm_req *doveadm_post_auth(struct director *d, const char *auth, const char *host,
				      unsigned int port, const char *body, unsigned int timeout_ms,
				      size_t max_reply, doveadm_reply_cb *cb, void *ctx);
/* Abort a request in flight; its callback is not called. */
void doveadm_cancel(struct doveadm_req **req);
/* Free the connections of answered requests (at shutdown). */
void doveadm_client_deinit(struct director *d);

#endif
