/* admind.h - hummingbird-admind's state: the one context struct (settings,
 * event loop, TLS context, Redis connection, login limiter), one request as
 * the handlers see it, and the reply they fill.  A request's identity (admin
 * name, grants) is always read fresh from Redis, never kept across
 * requests (docs/ADMIND.md 2). */
#ifndef ADMIND_H
#define ADMIND_H

#include <stdio.h>
#include <hiredis/hiredis.h>
#include <openssl/ssl.h>

#include "api.h"
#include "output.h"
#include "hb-addr.h"
#include "hb-secret.h"

#define ADMIND_NAME_MAX 64
#define ADMIND_PEER_MAX 64

struct event_base;
struct event;
struct evhttp;
struct evhttp_request;
struct hb_settings;
struct admind_limiter;
struct admind_conns;
struct admind_deferred;

struct admind {
	const char *config_path;
	struct hb_settings *set;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl;			/* swapped on SIGHUP; connections hold their own reference */
	redisContext *redis;		/* NULL until needed, and after a failure */
	int redis_down;			/* the outage is logged once */
	struct admind_limiter *limiter;	/* failed logins per address and per name */
	struct admind_conns *conns;	/* connection caps and deadlines (conns.c) */
	struct admind_deferred *deferred;	/* replies held back (deferred.c) */
	/* what an unknown name's password is checked against, so that it costs
	 * what a known one costs */
	char dummy_hash[HB_ADMIN_HASH_MAX];
	struct event *sig_hup, *sig_term, *sig_int;
};

struct admind_request {
	struct admind *ad;
	enum admind_method method;
	const char *uri;
	const char *authorization;	/* header value or NULL */
	const char *content_type;
	const char *body;
	size_t body_len;
	char peer[ADMIND_PEER_MAX];	/* client address: the audit log's "from" */
	/* admind_client_ca_file is set: the verified client certificate's
	 * subject CN must be the admin that logs in or owns the session */
	int cert_required;
	char cert_admin[ADMIND_NAME_MAX + 1];	/* "" = none usable */

	/* filled in by dispatch.c */
	struct admind_route route;
	struct admind_body json;
	char session[ADMIND_TOKEN_HEX + 1];	/* hex SHA-256 of the token */
	char admin[ADMIND_NAME_MAX + 1];
	char who[ADMIND_NAME_MAX + 8];	/* "admin:NAME" */
	char domain[HB_DOMAIN_MAX + 1];	/* normalised, granted */
	char local[HB_LOCAL_MAX + 1];	/* normalised, when the path names one */
};

struct admind_reply {
	int status;
	unsigned int retry_after;	/* seconds for Retry-After; 0 = none */
	unsigned int delay_ms;		/* hold the reply back (a login under attack) */
	FILE *f;			/* memory stream the JSON is written to */
	char *buf;
	size_t len;
	struct hbctl_json js;
};

/* reply.c */
int admind_reply_init(struct admind_reply *reply);
/* Discard what was written and write {"ok":false,"error":CODE,"message":…}. */
void admind_reply_error(struct admind_reply *reply, const struct admind_error *err);
/* The same with a "cap":{"name","limit"} object (a value over a cap). */
void admind_reply_cap(struct admind_reply *reply, const char *name, const char *limit);
/* {"ok":true, KEY:VALUE} */
void admind_reply_done(struct admind_reply *reply, const char *key, const char *value);
/* Close the stream: BUF and LEN hold the body.  Returns -1 when out of memory. */
int admind_reply_finish(struct admind_reply *reply);
void admind_reply_free(struct admind_reply *reply);

/* store.c: Redis, synchronously, bounded by redis_timeout */
/* Run ARGV.  Returns 0 with *REPLY_R (caller frees), or -1 with ERR: 503
 * when Redis cannot be reached (the connection is dropped, and the outage
 * logged once), 500 for an error reply (logged). */
int admind_redis(struct admind *ad, redisReply **reply_r, int argc, const char **argv,
		 struct admind_error *err);
/* EVAL SCRIPT 0 with the key prefix and ARGV.  Returns 0 with *REPLY_R, 1
 * when the script refused (its error reply in REFUSAL), -1 with ERR. */
int admind_redis_script(struct admind *ad, const char *script, int argc, const char **argv,
			redisReply **reply_r, char *refusal, size_t refusal_size,
			struct admind_error *err);
void admind_redis_close(struct admind *ad);
long long admind_now_ms(void);

/* auth.c */
#define ADMIND_GEN_MAX 24		/* an account or password generation, as text */
/* a name's failures are forgotten after this long without one */
#define ADMIND_NAME_MEMORY_MS (15 * 60 * 1000)

struct admind_account {
	int known;			/* P admin:NAME and P adminpw:NAME exist */
	char hash[HB_ADMIN_HASH_MAX];
	char gen[ADMIND_GEN_MAX];	/* P admin:NAME gen */
	char pwgen[ADMIND_GEN_MAX];	/* P adminpw:NAME gen */
};

/* NAME's account (ACCT->known = 0 when there is none); -1 with ERR. */
int admind_account_load(struct admind_request *req, const char *name, struct admind_account *acct,
			struct admind_error *err);
/* How long a reply about NAME waits: after counting a failure when FAILED. */
unsigned int admind_name_delay(struct admind_request *req, const char *name, int failed);
/* Count a failure against the client address (it may lock it). */
void admind_address_failed(struct admind_request *req);
/* A new session of NAME bound to ACCT's generations, written as the login
 * reply {"ok","admin","token","expires_in"}. */
int admind_session_issue(struct admind_request *req, const char *name,
			 const struct admind_account *acct, struct admind_reply *reply,
			 struct admind_error *err);
/* Delete the session of REQ (req->session). */
int admind_session_drop(struct admind_request *req, struct admind_error *err);
int admind_login(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_logout(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
/* Who sends REQ: the Bearer token's session, whose account and password
 * must still be those it began with (their generations), and with client
 * certificates the certificate's admin.  Fills req->admin and req->who; -1
 * with ERR (401, 503). */
int admind_authenticate(struct admind_request *req, struct admind_error *err);
/* 1 if DOMAIN (normalised) is granted to req->admin now, 0 if not, -1 with ERR. */
int admind_granted(struct admind_request *req, const char *domain, struct admind_error *err);

/* dispatch.c: one request from route to reply */
void admind_dispatch(struct admind_request *req, struct admind_reply *reply);

/* reads.c and changes.c: the endpoints; -1 with ERR, else the reply is written */
int admind_session_show(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_domain_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_domain_show(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_policy_show(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_user_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_alias_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_sender_list(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_audit(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
int admind_change(struct admind_request *req, struct admind_reply *reply, struct admind_error *err);
/* password.c: the caller's own password (POST /v1/password) */
int admind_password_change(struct admind_request *req, struct admind_reply *reply,
			   struct admind_error *err);

/* tls.c */
/* A server context from the settings: certificate chain, private key (a
 * 0600 file of ours), optional client CA; TLS >= 1.2.  NULL with ERR. */
SSL_CTX *admind_tls_create(const struct hb_settings *set, char *err, size_t err_size);

/* server.c */
int admind_server_start(struct admind *ad, char *err, size_t err_size);
/* Send REPLY (finished) as EV's response; REPLY stays the caller's. */
void admind_server_send(struct evhttp_request *ev, struct admind_reply *reply);
/* Apply the head/body limits and the timeout of ad->set (start and reload). */
void admind_server_limits(struct admind *ad);
void admind_server_stop(struct admind *ad);

/* deferred.c: a reply sent after reply->delay_ms without blocking the loop */
/* Take over REPLY (finished; the caller no longer frees it) and send it to
 * EV later.  -1 when out of memory: then the caller sends it now. */
int admind_defer(struct admind *ad, struct evhttp_request *ev, struct admind_reply *reply);
/* At shutdown: send every held reply now. */
void admind_deferred_drop(struct admind *ad);

#endif
