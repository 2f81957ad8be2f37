/* director-reply.h - the passdb module's side of the director lookup protocol
 * (docs/DESIGN.md section 3): builds a LOOKUP line and parses one reply line.
 * Pure C without Dovecot, so that it can be unit-tested and fuzzed alone.
 * It never trusts the director: every field of a reply is checked here. */
#ifndef DIRECTOR_REPLY_H
#define DIRECTOR_REPLY_H

#include <stddef.h>

#define DIRECTOR_PROTO_MAX_LINE 1024	/* bytes, without the '\n' */
#define DIRECTOR_PROTO_MAX_ID 32
#define DIRECTOR_PROTO_MAX_USER 255
#define DIRECTOR_PROTO_MAX_BACKEND 255

enum director_reply_type {
	DIRECTOR_REPLY_OK,	 /* routed: backend, host, port are set */
	DIRECTOR_REPLY_TEMPFAIL, /* no usable backend now: retry later */
	DIRECTOR_REPLY_FAIL,	 /* the request itself is invalid */
	DIRECTOR_REPLY_ERROR,	 /* the director did not understand us */
};

/* Fields point into the line given to director_reply_parse(). */
struct director_reply {
	enum director_reply_type type;
	const char *backend;
	const char *host;	/* IPv4 or IPv6 literal */
	const char *port;	/* decimal 1..65535 */
	const char *reason;	/* TEMPFAIL/FAIL/ERROR: free text, may be "" */
};

/* 1 if ID is a protocol request id: 1-32 characters of [A-Za-z0-9_.-]. */
int director_id_valid(const char *id);

/* Map a Dovecot auth service name (imap, pop3, lmtp, submission, sieve,
   managesieve, doveadm) to the protocol's SERVICE, or NULL if the director
   has no backend port for it. */
const char *director_service_name(const char *dovecot_service);

/* Write "LOOKUP\tID\tSERVICE\tUSER\n" into BUF (SIZE bytes, NUL-terminated).
   Returns the line length, or -1 with *ERROR_R set to a static reason when an
   argument is not allowed by the protocol or the line does not fit. */
int director_request_build(char *buf, size_t size, const char *id,
			   const char *service, const char *user,
			   const char **error_r);

/* Parse LINE (without '\n'; split in place) as the reply to request EXPECT_ID.
   Returns 0 and fills *REPLY_R, or -1 with *ERROR_R set to a static reason for
   a malformed reply or one for another request. */
int director_reply_parse(char *line, const char *expect_id,
			 struct director_reply *reply_r, const char **error_r);

/* Copy the request id of reply LINE (its second tab-separated field: a
   protocol id, or "-" when the director could not read a request) into ID_R
   (SIZE bytes).  Returns 0, or -1 when the line has no such field. */
int director_reply_id(const char *line, char *id_r, size_t size);

/* 0 if BACKEND, HOST and PORT may be proxied to (a backend name of at most
   DIRECTOR_PROTO_MAX_BACKEND bytes, an IP literal, a port 1..65535), else -1
   with *ERROR_R.  Also checks what the Redis fast path read. */
int director_reply_check_ok(const char *backend, const char *host,
			    const char *port, const char **error_r);

#endif
