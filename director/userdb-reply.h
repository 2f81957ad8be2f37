/* userdb-reply.h - turns the user record the `userdb` script read from Redis
 * into one reply line of the USERDB request (docs/DOMAINS.md, 6): USER with
 * password and quota_rule, NOUSER, DISABLED or TEMPFAIL.  Pure: no I/O. */
#ifndef DIRECTOR_USERDB_REPLY_H
#define DIRECTOR_USERDB_REPLY_H

#include <stddef.h>

/* default mailbox quota when neither the mailbox nor its domain sets one */
#define USERDB_DEFAULT_QUOTA_BYTES (1024LL * 1024 * 1024)
#define USERDB_REPLY_MAX 1024

/* Fields as the script returned them; NULL = not set. */
struct userdb_record {
	int found;                 /* domain and mailbox exist */
	const char *domain_state, *domain_quota, *cap_quota;
	const char *user_state, *password, *user_quota;
};

/* Write the reply line (with '\n') for request ID about USER (normalised)
   into OUT.  Returns its length, or -1 if OUT is too small. */
int userdb_reply_format(char *out, size_t size, const char *id, const char *user,
			const struct userdb_record *rec);

#endif
