/* api.h - the admind HTTP API as data (docs/ADMIND.md): its endpoints, the
 * one parser of request paths (route.c), of request bodies (body.c) and of
 * the headers admind reads (headers.c).  Pure: no I/O, no Redis, so the unit
 * tests and the fuzz target reach every line.  Nothing here authorises:
 * a parsed domain is still untrusted until dispatch.c checks the grant. */
#ifndef ADMIND_API_H
#define ADMIND_API_H

#include <stddef.h>

#include "hb-json.h"

#define ADMIND_URI_MAX 2048		/* bytes of a request target */
#define ADMIND_SEGMENTS_MAX 8		/* path segments */
#define ADMIND_AUDIT_DEFAULT 50
#define ADMIND_AUDIT_MAX 10000
#define ADMIND_TOKEN_HEX 64		/* a session token: 32 random bytes in hex */
#define ADMIND_MESSAGE_MAX 256

enum admind_method {
	ADMIND_GET, ADMIND_POST, ADMIND_PUT, ADMIND_DELETE, ADMIND_OTHER,
};

enum admind_endpoint {
	ADMIND_EP_LOGIN, ADMIND_EP_LOGOUT, ADMIND_EP_SESSION,
	ADMIND_EP_DOMAIN_LIST, ADMIND_EP_DOMAIN_SHOW,
	ADMIND_EP_POLICY_SHOW, ADMIND_EP_POLICY_SET,
	ADMIND_EP_USER_LIST, ADMIND_EP_USER_ADD, ADMIND_EP_USER_REMOVE,
	ADMIND_EP_USER_SUSPEND, ADMIND_EP_USER_RESUME,
	ADMIND_EP_ALIAS_LIST, ADMIND_EP_ALIAS_ADD, ADMIND_EP_ALIAS_REMOVE,
	ADMIND_EP_SENDER_LIST, ADMIND_EP_SENDER_ALLOW, ADMIND_EP_SENDER_DENY,
	ADMIND_EP_AUDIT,
	ADMIND_EP_PASSWORD,
};

/* A refusal: HTTP status, a stable code word (docs/ADMIND.md 4) and words
 * for a person. */
struct admind_error {
	int status;
	const char *code;
	char message[ADMIND_MESSAGE_MAX];
};

/* Set ERR and return -1. */
int admind_error_set(struct admind_error *err, int status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct admind_route {
	enum admind_endpoint endpoint;
	/* the path's parts, percent-decoded once; NULL when the endpoint has
	 * none.  Still raw names: the caller normalises them. */
	const char *domain, *local, *sender;
	unsigned int audit_count;	/* ?n=N of the audit endpoint */
	char buf[ADMIND_URI_MAX + ADMIND_SEGMENTS_MAX];
};

/* Parse request target URI ("/v1/domains/x/users?…") for METHOD into ROUTE.
 * Refused: anything but printable ASCII, a fragment, empty, "." or ".."
 * segments (also when percent-encoded), an encoded '/', '\', '%' (double
 * encoding) or control character, invalid UTF-8, a query anywhere but
 * "?n=N" of the audit endpoint (400 bad_path); an unknown path (404
 * not_found); a known path with another method (405 method_not_allowed).
 * Returns 0, or -1 with ERR set. */
int admind_route_parse(enum admind_method method, const char *uri,
		       struct admind_route *route, struct admind_error *err);

/* Bytes of a target that reach the log (escaped: up to 4 times as many). */
#define ADMIND_LOG_TARGET_MAX 200

/* IN (any bytes up to its NUL) for the log: its first ADMIND_LOG_TARGET_MAX
 * bytes, every byte outside printable ASCII and every '\' as \xNN, "..."
 * appended when cut.  OUT gets at most SIZE bytes with the NUL. */
void admind_target_escape(const char *in, char *out, size_t size);

/* characters (code points) a new admin password needs at least */
#define ADMIND_PASSWORD_MIN 12

/* The rule for NEW_PW, the new password of admin NAME whose old one is OLD
 * (password-rule.c): at least ADMIND_PASSWORD_MIN characters, not OLD, not
 * containing NAME in any case.  0, or -1 with ERR (422 bad_value). */
int admind_password_rule(const char *name, const char *old, const char *new_pw,
			 struct admind_error *err);

/* ---- bodies (body.c) ---- */

enum admind_field_type {
	ADMIND_FIELD_STRING,		/* "..." */
	ADMIND_FIELD_STRINGS,		/* ["...", ...] */
	ADMIND_FIELD_MAP,		/* {"name": "value", ...} */
};

struct admind_field {
	const char *name;
	enum admind_field_type type;
	int required;
	size_t max_len;			/* bytes of each string */
	size_t max_items;		/* STRINGS and MAP */
};

#define ADMIND_BODY_FIELDS_MAX 4

struct admind_schema {
	const struct admind_field *fields;
	size_t count;
};

struct admind_body {
	struct hb_jdoc *doc;
	const struct hb_jnode *value[ADMIND_BODY_FIELDS_MAX];	/* by field; NULL = absent */
};

/* The body ENDPOINT takes, or NULL: then the body must be empty. */
const struct admind_schema *admind_endpoint_schema(enum admind_endpoint endpoint);

/* Parse TEXT (LEN bytes) as a JSON object holding exactly the fields of
 * SCHEMA: an unknown or duplicate key, a wrong type, a missing required
 * field, invalid UTF-8, a NUL, a string or list over its bound is a 400
 * (bad_body).  On success BODY owns the parsed document: admind_body_free(). */
int admind_body_parse(const struct admind_schema *schema, const char *text, size_t len,
		      struct admind_body *body, struct admind_error *err);
void admind_body_free(struct admind_body *body);
/* Field I of the schema as a string, or NULL when absent. */
const char *admind_body_str(const struct admind_body *body, size_t i);
/* Field I's items (a list's strings, or a map's keys and values in turn):
 * the first, then admind_body_next(); NULL at the end. */
const struct hb_jnode *admind_body_items(const struct admind_body *body, size_t i);
const struct hb_jnode *admind_body_next(const struct admind_body *body,
					const struct hb_jnode *item);

/* ---- headers (headers.c) ---- */

/* "application/json", optionally with "; charset=utf-8" (any case). */
int admind_content_type_ok(const char *value);
/* "Bearer " and ADMIND_TOKEN_HEX lower-case hex digits: copies the token to
 * OUT (ADMIND_TOKEN_HEX + 1 bytes) and returns 0, else -1. */
int admind_bearer_parse(const char *value, char *out);
/* Admin names: 1-64 of a-z 0-9 . _ - (as hbctl admin add makes them). */
int admind_admin_name_ok(const char *name);

#endif
