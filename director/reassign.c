/* reassign.c - one run of moving a failed backend's users.  Each batch reads
 * up to REASSIGN_BATCH names from users:BACKEND and sends one `reassign`
 * script call per user (lib/hb-scripts.c), which decides atomically; the
 * next batch starts when every reply of this one is in.  Every moved user
 * is gone from users:BACKEND, so the run ends when a batch moves nobody. */
#include "hb-config-auto.h"
#include "director.h"
#include "reassign.h"
#include "metrics.h"
#include "redis.h"
#include "table.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASSIGN_BATCH 500
#define REASSIGN_FIXED_ARGS 7

struct reassign {
	struct director *d;
	char backend[HB_BACKEND_NAME_MAX + 1];
	char sha[41];                /* SCRIPT LOAD of hb_script_reassign */
	unsigned int pending;        /* replies still to come */
	unsigned int progress;       /* users this batch moved or dropped */
	unsigned long moved, left;   /* whole run */
	int running;
	int stopped;                 /* freed when the last reply is in */
};

static void reassign_next_batch(struct reassign *r);

static void reassign_end(struct reassign *r, const char *why)
{
	r->running = 0;
	if (r->moved > 0 || r->left > 0)
		hb_info("backend %s: %lu of its users moved to other backends%s%s", r->backend,
			r->moved, why != NULL ? "; stopped: " : "", why != NULL ? why : "");
}

/* a reply arrived: free a stopped run once nothing is in flight */
static int reassign_settle(struct reassign *r)
{
	if (r->pending > 0)
		r->pending--;
	if (r->stopped && r->pending == 0) {
		free(r);
		return 1;
	}
	return r->stopped;
}

/* one reply of the batch is in (or the batch is fully queued): the next
   batch starts when all are, as long as this one moved anybody */
static void batch_reply_done(struct reassign *r)
{
	if (reassign_settle(r) || r->pending > 0)
		return;
	if (r->running && r->progress > 0)
		reassign_next_batch(r);
	else if (r->running)
		reassign_end(r, r->left > 0 ? "no other backend takes users" : NULL);
}

static void on_user_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct reassign *r = ctx;
	const char *word = reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
		reply->element[0]->type == REDIS_REPLY_STRING ? reply->element[0]->str : "";

	if (strcmp(word, "NEW") == 0) {
		r->moved++;
		r->progress++;
		metrics_failover(d->metrics);
	} else if (strcmp(word, "GONE") == 0) {
		r->progress++;
	} else if (strcmp(word, "KEEP") == 0) {
		r->running = 0;		/* usable again: its users stay */
	} else if (strcmp(word, "NONE") == 0 || word[0] == '\0') {
		r->left++;
	}
	batch_reply_done(r);
}

static void reassign_user(struct reassign *r, const char *user, const char *now_ms)
{
	struct director *d = r->d;
	const char *argv[REASSIGN_FIXED_ARGS + DIRECTOR_MAX_BACKENDS];
	size_t n;

	argv[0] = "EVALSHA";
	argv[1] = r->sha;
	argv[2] = "0";
	argv[3] = d->set->key_prefix;
	argv[4] = user;
	argv[5] = r->backend;
	argv[6] = now_ms;
	n = table_candidates(d, user, argv + REASSIGN_FIXED_ARGS);
	r->pending++;
	director_redis_call(d, (int)(REASSIGN_FIXED_ARGS + n), argv, on_user_reply, r);
}

static void on_batch(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct reassign *r = ctx;
	char now_ms[24];

	if (reassign_settle(r))
		return;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		reassign_end(r, error != NULL ? error : "unexpected reply");
		return;
	}
	if (reply->elements == 0) {
		reassign_end(r, NULL);
		return;
	}
	snprintf(now_ms, sizeof(now_ms), "%lld", director_now_ms());
	r->progress = 0;
	/* pending stays above 0 until every call of the batch is queued, so a
	   reply that comes back at once cannot end the batch early */
	r->pending++;
	for (size_t i = 0; i < reply->elements; i++) {
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			reassign_user(r, reply->element[i]->str, now_ms);
	}
	batch_reply_done(r);
}

static void reassign_next_batch(struct reassign *r)
{
	char key[HB_KEY_MAX], last[16];

	if (hb_key(key, sizeof(key), r->d->set->key_prefix, HB_KEY_BACKEND_USERS,
		   r->backend) == 0) {
		reassign_end(r, "backend name too long");
		return;
	}
	snprintf(last, sizeof(last), "%d", REASSIGN_BATCH - 1);
	const char *argv[] = { "ZRANGE", key, "0", last };
	r->pending++;
	director_redis_call(r->d, 4, argv, on_batch, r);
}

static void on_script_loaded(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct reassign *r = ctx;

	if (reassign_settle(r))
		return;
	if (reply == NULL || reply->type != REDIS_REPLY_STRING || reply->len != 40) {
		reassign_end(r, error != NULL ? error : "SCRIPT LOAD gave no SHA");
		return;
	}
	memcpy(r->sha, reply->str, 41);
	reassign_next_batch(r);
}

struct reassign *reassign_start(struct director *d, const char *backend)
{
	struct reassign *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->d = d;
	r->running = 1;
	snprintf(r->backend, sizeof(r->backend), "%s", backend);
	const char *argv[] = { "SCRIPT", "LOAD", hb_script_reassign };
	r->pending++;
	director_redis_call(d, 3, argv, on_script_loaded, r);
	return r;
}

int reassign_running(const struct reassign *r)
{
	return r->running;
}

const char *reassign_backend(const struct reassign *r)
{
	return r->backend;
}

void reassign_stop(struct reassign **_r)
{
	struct reassign *r = *_r;

	if (r == NULL)
		return;
	*_r = NULL;
	r->running = 0;
	r->stopped = 1;
	if (r->pending == 0)
		free(r);
}
