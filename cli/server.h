/* server.h - hbctl's --server mode for domain admins (docs/ADMIND.md 5):
 * the same command words as operator mode, sent as HTTPS + JSON requests to
 * hummingbird-admind instead of to Redis.  The server is pinned to one CA
 * (--ca), the session token lives in a 0600 file, and no secret is ever an
 * argument or printed except a password generated for a new mailbox. */
#ifndef HBCTL_SERVER_H
#define HBCTL_SERVER_H

#include <stddef.h>

#include "hbctl.h"

#define HBCTL_SERVER_HOST_MAX 256
#define HBCTL_SERVER_PATH_MAX 2048
#define HBCTL_SERVER_DEFAULT_PORT 7304
#define HBCTL_SERVER_TIMEOUT_S 30
#define HBCTL_SERVER_REPLY_MAX (4 * 1024 * 1024)

struct hbctl_server {
	const char *url;		/* --server */
	const char *ca_file;		/* --ca */
	const char *session_file;	/* --session-file, or NULL for the default */
	char host[HBCTL_SERVER_HOST_MAX];
	unsigned int port;
};

/* Remove --server URL, --ca FILE and --session-file FILE from ARGV (before
 * the ordinary parser sees it); *ARGC shrinks.  Returns 0, or -1 with ERR. */
int hbctl_server_options(int *argc, char **argv, struct hbctl_server *srv,
			 char *err, size_t err_size);

/* Run the command of CTX->args through admind; returns an exit code. */
int hbctl_server_run(struct hbctl *ctx, struct hbctl_server *srv);

/* A JSON object from KEY, VALUE pairs (a NULL VALUE is left out), then an
 * optional list or map named LIST_KEY of ITEMS (MAP: "name=value" words).
 * malloc'd; NULL when out of memory or too long. */
char *hbctl_server_body(const char *const *pairs, size_t count, const char *list_key,
			const char *const *items, size_t item_count, int map);

/* server-tls.c: one request over a new TLS connection.  TOKEN and BODY may
 * be NULL.  On success (any HTTP status) returns 0 with *STATUS_R and the
 * reply body (malloc'd, NUL-terminated; caller frees); else an exit code
 * with ctx->err set (3 when the server cannot be reached or verified). */
int hbctl_server_request(struct hbctl *ctx, const struct hbctl_server *srv, const char *method,
			 const char *path, const char *token, const char *body,
			 unsigned int *status_r, char **reply_r);
/* Parse srv->url ("https://HOST[:PORT]") into host and port. */
int hbctl_server_parse_url(struct hbctl_server *srv, char *err, size_t err_size);

/* server-session.c: the token file and the login password */
int hbctl_server_login(struct hbctl *ctx, struct hbctl_server *srv);
int hbctl_server_logout(struct hbctl *ctx, struct hbctl_server *srv);
/* passwd [--password-file OLD_FILE] [NEW_FILE]: change the admin's own
 * password (each from its 0600 file or typed at the terminal, never an
 * argument); the new session replaces the saved one. */
int hbctl_server_passwd(struct hbctl *ctx, struct hbctl_server *srv);
/* The saved token into TOKEN (65 bytes); a usage error when there is none. */
int hbctl_server_token(struct hbctl *ctx, const struct hbctl_server *srv, char *token);

/* server-print.c: a reply body of ENDPOINT KIND, as JSON or for people */
enum hbctl_server_view {
	HBCTL_VIEW_CHANGE, HBCTL_VIEW_DOMAINS, HBCTL_VIEW_DOMAIN, HBCTL_VIEW_USERS,
	HBCTL_VIEW_ALIASES, HBCTL_VIEW_NAMES, HBCTL_VIEW_POLICY, HBCTL_VIEW_AUDIT,
	HBCTL_VIEW_SESSION,
};
/* Print REPLY (a successful JSON body).  WHAT/VERB word a change ("mailbox"
 * "added").  Returns an exit code. */
int hbctl_server_print(struct hbctl *ctx, enum hbctl_server_view view, const char *reply,
		       const char *what, const char *verb);
/* An error reply (STATUS, JSON body) as ctx->err; returns its exit code. */
int hbctl_server_error(struct hbctl *ctx, unsigned int status, const char *reply);

#endif
