/* director-userdb.h - the passdb/userdb module's side of the USERDB request
 * (docs/DOMAINS.md, 6): builds the request line and parses one reply.  Pure
 * C without Dovecot, unit-tested and fuzzed; it never trusts the director. */
#ifndef DIRECTOR_USERDB_H
#define DIRECTOR_USERDB_H

#include <stddef.h>

enum director_userdb_type {
	DIRECTOR_USERDB_USER,      /* user, password (and quota_rule) are set */
	DIRECTOR_USERDB_NOUSER,    /* no such hosted mailbox */
	DIRECTOR_USERDB_DISABLED,  /* mailbox or domain suspended: reason */
	DIRECTOR_USERDB_TEMPFAIL,  /* try again later: reason */
	DIRECTOR_USERDB_FAIL,      /* the name is not an address: reason */
	DIRECTOR_USERDB_ERROR,     /* the director did not understand us */
};

/* Fields point into the line given to director_userdb_parse(). */
struct director_userdb_reply {
	enum director_userdb_type type;
	const char *user;          /* normalised address */
	const char *password;      /* "{SCHEME}hash" */
	const char *quota_rule;    /* NULL when unlimited */
	const char *reason;        /* "" when none */
};

/* Write "USERDB\tID\tUSER\n" into BUF; returns its length or -1 with a static
   *ERROR_R (bad id, user empty/too long/with spaces or controls, no room). */
int director_userdb_request_build(char *buf, size_t size, const char *id,
				  const char *user, const char **error_r);

/* Parse LINE (without '\n'; split in place) as the reply to EXPECT_ID.
   Returns 0 and fills *REPLY_R, or -1 with a static *ERROR_R. */
int director_userdb_parse(char *line, const char *expect_id,
			  struct director_userdb_reply *reply_r,
			  const char **error_r);

#endif
