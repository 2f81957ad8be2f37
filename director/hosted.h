/* hosted.h - which recipient domains the Postfix socketmap answers for: the
 * configured socketmap_domains and the hosted domains (the set P domains,
 * docs/DOMAINS.md 2), the latter through a small cache with a short
 * lifetime.  "Unknown" is an answer of its own: with Redis unreachable a
 * domain not known to be hosted is neither ours nor someone else's, and the
 * socketmap defers its mail instead of letting Postfix send it elsewhere. */
#ifndef DIRECTOR_HOSTED_H
#define DIRECTOR_HOSTED_H

#include <stddef.h>

/* how long a Redis answer is trusted; a domain added with hbctl is routed
 * at the latest this long after (docs/DESIGN.md 6) */
#define HOSTED_CACHE_TTL_MS 2000

struct director;
struct hosted;
struct hosted_request;

enum hosted_answer { HOSTED_NO, HOSTED_YES, HOSTED_UNKNOWN };
typedef void hosted_cb(void *ctx, enum hosted_answer answer);

/* CONFIGURED is the socketmap_domains setting.  Returns NULL with the reason
 * in ERR when a name in it is invalid (or out of memory). */
struct hosted *hosted_create(const char *configured, char *err, size_t err_size);
void hosted_destroy(struct hosted **hosted);

/* Is DOMAIN (an A-label) routed by Hummingbird?  CB runs exactly once: at
 * once (configured, cached, Redis down; then NULL is returned) or with
 * Redis' answer later, unless hosted_cancel() was called first. */
struct hosted_request *hosted_check(struct director *d, const char *domain,
				    hosted_cb *cb, void *ctx);
void hosted_cancel(struct hosted_request *req);

#endif
