/* userdb.c - USERDB requests: normalise the address, run the read-only
 * `userdb` script over the domain's keys, format the reply (userdb-reply.c).
 * Redis trouble is a TEMPFAIL: without Redis there is no password to check,
 * so unlike routing there is no degraded mode. */
#include "hb-config-auto.h"
#include "director.h"
#include "userdb.h"
#include "userdb-reply.h"
#include "redis.h"
#include "metrics.h"
#include "hb-log.h"
#include "hb-addr.h"
#include "hb-keys.h"
#include "hb-scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct userdb_request {
	userdb_cb *cb;          /* NULL once cancelled */
	void *ctx;
	char id[40];
	char user[HB_LOCAL_MAX + 1 + HB_DOMAIN_MAX + 1];  /* hb_addr_split() keeps it <= HB_ADDR_MAX */
};

static void answer_now(userdb_cb *cb, void *ctx, const char *fmt_kind,
		       const char *id, const char *reason)
{
	char line[USERDB_REPLY_MAX];

	snprintf(line, sizeof(line), "%s\t%s\t%s\n", fmt_kind, id, reason);
	cb(ctx, line);
}

static const char *element(const redisReply *r, size_t i)
{
	const redisReply *e = r->element[i];

	return e->type == REDIS_REPLY_STRING ? e->str : NULL;
}

static void on_userdb_reply(struct director *d, redisReply *reply, const char *error,
			    void *ctx)
{
	struct userdb_request *req = ctx;
	struct userdb_record rec;
	char line[USERDB_REPLY_MAX];

	if (req->cb == NULL) {
		free(req);
		return;
	}
	memset(&rec, 0, sizeof(rec));
	if (reply == NULL) {
		metrics_redis_error(d->metrics);
		/* an outage is logged once by redis.c; an error reply (e.g. an
		   ACL without EVAL_RO) is this request's own */
		if (director_redis_usable(d))
			hb_error("USERDB %s: Redis: %s", req->user, error);
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    (reply->elements != 0 && reply->elements != 6)) {
		snprintf(line, sizeof(line), "TEMPFAIL\t%s\t%s\n", req->id,
			 reply == NULL ? "Redis unavailable" : "unexpected Redis reply");
	} else {
		if (reply->elements == 6) {
			rec.found = 1;
			rec.domain_state = element(reply, 0);
			rec.domain_quota = element(reply, 1);
			rec.cap_quota = element(reply, 2);
			rec.user_state = element(reply, 3);
			rec.password = element(reply, 4);
			rec.user_quota = element(reply, 5);
		}
		if (userdb_reply_format(line, sizeof(line), req->id, req->user, &rec) < 0)
			snprintf(line, sizeof(line), "TEMPFAIL\t%s\trecord too long\n", req->id);
	}
	req->cb(req->ctx, line);
	free(req);
}

struct userdb_request *userdb_lookup(struct director *d, const char *id,
				     const char *user, userdb_cb *cb, void *ctx)
{
	char local[HB_LOCAL_MAX + 1], domain[HB_DOMAIN_MAX + 1];
	char kdom[HB_KEY_MAX], kpol[HB_KEY_MAX], kcaps[HB_KEY_MAX], kbox[HB_KEY_MAX];
	char kpw[HB_KEY_MAX];
	const char *prefix = d->set->key_prefix, *error;
	struct userdb_request *req;

	if (hb_addr_split(user, local, sizeof(local), domain, sizeof(domain), &error) < 0) {
		answer_now(cb, ctx, "FAIL", id, error);
		return NULL;
	}
	if (hb_domain_key(kdom, sizeof(kdom), prefix, HB_DKEY_DOMAIN, domain, NULL) == 0 ||
	    hb_domain_key(kpol, sizeof(kpol), prefix, HB_DKEY_POLICY, domain, NULL) == 0 ||
	    hb_domain_key(kcaps, sizeof(kcaps), prefix, HB_DKEY_CAPS, domain, NULL) == 0 ||
	    hb_domain_key(kbox, sizeof(kbox), prefix, HB_DKEY_MAILBOX, domain, local) == 0 ||
	    hb_domain_key(kpw, sizeof(kpw), prefix, HB_DKEY_PASSWORD, domain, local) == 0 ||
	    (req = calloc(1, sizeof(*req))) == NULL) {
		answer_now(cb, ctx, "TEMPFAIL", id, "internal error");
		return NULL;
	}
	req->cb = cb;
	req->ctx = ctx;
	snprintf(req->id, sizeof(req->id), "%s", id);
	snprintf(req->user, sizeof(req->user), "%s@%s", local, domain);
	{
		const char *argv[] = { "EVAL_RO", hb_script_userdb, "5", kdom, kpol, kcaps, kbox, kpw };

		director_redis_call(d, 8, argv, on_userdb_reply, req);
	}
	return req;
}

void userdb_cancel(struct userdb_request *req)
{
	if (req != NULL)
		req->cb = NULL;
}
