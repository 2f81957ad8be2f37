/* hosted-lookup.h - asks the director's userdb socket for a hosted mailbox's
 * record (USERDB, docs/DOMAINS.md 6) and hands over the parsed reply; shared
 * by the passdb (password check) and the userdb (quota) of the module. */
#ifndef HOSTED_LOOKUP_H
#define HOSTED_LOOKUP_H

#include "director-lookup.h"
#include "director-userdb.h"

/* Called exactly once: REPLY (valid only during the call) or ERROR. */
typedef void hosted_lookup_callback_t(const struct director_userdb_reply *reply,
				      const char *error, void *context);

/* Ask about USER; CALLBACK is called exactly once, possibly before this
   returns: a name that cannot be asked about (empty, too long, spaces or
   controls) is answered FAIL, a request that cannot be sent is an ERROR. */
void hosted_lookup_start(struct director_client *client, const char *id,
			 const char *user, hosted_lookup_callback_t *callback,
			 void *context);

/* What a USERDB answer means for a login, logged once on REQUEST's event. */
enum hosted_outcome {
	HOSTED_USER,		/* REPLY carries user, password, quota_rule */
	HOSTED_UNKNOWN,		/* not a hosted mailbox */
	HOSTED_DISABLED,	/* mailbox or domain suspended */
	HOSTED_TEMPFAIL,	/* director, Redis or protocol trouble */
};
struct auth_request;
enum hosted_outcome hosted_outcome(struct auth_request *request,
				   const struct director_userdb_reply *reply,
				   const char *error);

#endif
