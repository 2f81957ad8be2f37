/* userdb.h - the USERDB request (docs/DOMAINS.md, 6): reads a hosted
 * mailbox's record from Redis with the read-only `userdb` script and answers
 * with one reply line.  Only served on the userdb socket. */
#ifndef DIRECTOR_USERDB_H
#define DIRECTOR_USERDB_H

struct director;
struct userdb_request;

/* LINE is the complete reply line (with '\n'). */
typedef void userdb_cb(void *ctx, const char *line);

/* Look USER up (already validated as an address by the protocol parser; it
   is normalised here).  CB is called exactly once, possibly before this
   returns (then the return value is NULL), unless cancelled. */
struct userdb_request *userdb_lookup(struct director *d, const char *id,
				     const char *user, userdb_cb *cb, void *ctx);
/* The caller went away: the reply will be dropped. */
void userdb_cancel(struct userdb_request *req);

#endif
