/* health.c - health lease and the health checks of every backend (docs/DESIGN.md
 * 5).  Only the lease holder checks.  Each backend has at most one check in
 * flight; what its outcome means is decided here:
 *  - proof of death (probe.h) twice in a row, CONFIRM_MS apart (the watch
 *    connection's loss counts as one), fails it over at once;
 *  - an answer that is slow or not the right one is sickness: it counts for
 *    `degraded` (no new users), never for failover;
 *  - silence fails it over only when no channel (IMAP, LMTP, doveadm) has
 *    shown any sign of life for health_dead_after.
 * Every verdict goes through the `health` script, so that all directors share
 * the hysteresis; failover.c and reassign.c do what follows a failover. */
#include "hb-config-auto.h"
#include "director.h"
#include "health.h"
#include "check.h"
#include "doveadm-client.h"
#include "failover.h"
#include "kick.h"
#include "metrics.h"
#include "reassign.h"
#include "redis.h"
#include "table.h"
#include "watch.h"
#include "hb-dlist.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-scripts.h"
#include "hb-settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

/* a second look after a probe's proof of death: long enough to be a second
   event; after the watch connection's loss the probe is that second event
   and runs at once */
#define CONFIRM_MS 100
/* a doveadm request that matches nobody: any HTTP answer is a sign of life */
#define LIFE_BODY "[[\"who\",{\"mask\":[\"hb-health-life-check@invalid\"]},\"hb-life\"]]"
#define LIFE_REPLY_MAX 4096

struct backend_health {
	struct health *h;
	struct backend_health *prev, *next;
	char name[HB_BACKEND_NAME_MAX + 1];
	struct check *check;          /* in flight, or NULL */
	long long check_started_ms;
	long long last_life_ms;       /* last sign of life on any channel */
	unsigned int dead_seen;       /* proofs of death in a row */
	struct event *confirm_timer;
	struct doveadm_req *life_req; /* doveadm asked for a sign of life */
	struct reassign *reassign;    /* moving its users after a failover */
	struct watch *watch;          /* idle IMAP connection between checks */
	long long reassigned_epoch;   /* table epoch when the last run ended */
	int kick_owed;                /* failed, and its failover kick failed */
	int present;                  /* in the current table (sync's sweep) */
};

struct health {
	struct director *d;
	struct probe_login login;       /* user NULL: greeting only */
	char *login_password;           /* read each round, wiped after it */
	int login_error_logged;
	/* a refused health login is not tried again until the password file
	   changes: Dovecot's auth penalty would slow every probe */
	int login_refused;
	struct timespec refused_file_mtime;
	int lease_held;
	struct event *round_timer;
	struct backend_health *backends;
};

enum verdict { V_OK, V_SICK, V_SLOW, V_DEAD, V_SILENT };
static const char *const verdict_names[] = { "ok", "sick", "slow", "dead", "silent" };

struct health_result {
	char name[HB_BACKEND_NAME_MAX + 1];
	char reason[HB_REASON_MAX + 1];
	char host[HB_HOST_MAX + 1];
	unsigned int doveadm_port;
	enum verdict verdict;
};

static void check_backend(struct backend_health *bh, int with_login);

/* ------------------------------------------------------------ results --- */

static int reply_str_is(const redisReply *reply, size_t i, const char *word)
{
	return reply->element[i]->type == REDIS_REPLY_STRING && strcmp(reply->element[i]->str, word) == 0;
}

static int reply_int_is(const redisReply *reply, size_t i, long long value)
{
	return reply->element[i]->type == REDIS_REPLY_INTEGER && reply->element[i]->integer == value;
}

static void log_health_change(struct director *d, const struct health_result *r,
			      const redisReply *reply)
{
	if (!reply_str_is(reply, 0, "failed")) {
		hb_info("backend %s is healthy again", r->name);
		return;
	}
	hb_warn("backend %s failed its health checks (%s: %s): its users move to other backends",
		r->name, r->verdict == V_DEAD ? "dead" : "no sign of life", r->reason);
	failover_begin(d, r->name, r->host, r->doveadm_port,
		       r->verdict == V_DEAD ? FAILOVER_DEAD : FAILOVER_SILENT);
}

static void log_degraded_change(const struct health_result *r, const redisReply *reply)
{
	if (reply_str_is(reply, 2, "degraded"))
		hb_warn("backend %s is degraded (%s): it keeps its users but gets no new ones",
			r->name, reply->element[4]->type == REDIS_REPLY_STRING ?
			reply->element[4]->str : "?");
	else
		hb_info("backend %s is no longer degraded: it takes new users again", r->name);
}

static void on_health_result(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct health_result *r = ctx;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 5 &&
	    reply->element[0]->type == REDIS_REPLY_STRING) {
		int changed = reply_int_is(reply, 1, 1), dchanged = reply_int_is(reply, 3, 1);

		if (changed)
			log_health_change(d, r, reply);
		if (dchanged)
			log_degraded_change(r, reply);
		if (changed || dchanged)
			table_refresh(d);
	} else if (reply == NULL) {
		hb_debug("storing health result of %s failed: %s", r->name, error);
	}
	free(r);
}

/* One verdict through the health script.  TOOK_MS is the probe time for
 * `degraded` (-1: none). */
static void store_verdict(struct backend_health *bh, enum verdict v, const char *reason,
			  long long took_ms)
{
	struct director *d = bh->h->d;
	const struct hb_backend *b = director_backend(d, bh->name);
	struct health_result *r = calloc(1, sizeof(*r));
	char now[24], oks[16], fence[16], now_ms[24], took[24], limit[16], enter[16], leave[16];
	char channel[HB_KEY_MAX];

	if (r == NULL || hb_key(channel, sizeof(channel), d->set->key_prefix, HB_KEY_EVENTS, NULL) == 0) {
		free(r);
		return;
	}
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(oks, sizeof(oks), "%u", d->set->health_ok_count);
	snprintf(fence, sizeof(fence), "%u", failover_fence_ms(d, bh->name));
	snprintf(now_ms, sizeof(now_ms), "%lld", director_now_ms());
	snprintf(took, sizeof(took), "%lld", took_ms);
	snprintf(limit, sizeof(limit), "%u", d->set->degrade_probe_time_ms);
	snprintf(enter, sizeof(enter), "%u", d->set->degrade_enter_count);
	snprintf(leave, sizeof(leave), "%u", d->set->degrade_leave_count);
	snprintf(r->name, sizeof(r->name), "%s", bh->name);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->verdict = v;
	if (b != NULL) {
		snprintf(r->host, sizeof(r->host), "%s", b->host);
		r->doveadm_port = b->ports[HB_SERVICE_DOVEADM];
	}
	const char *argv[] = { "EVAL", hb_script_health, "0", d->set->key_prefix, bh->name,
			       verdict_names[v], reason, now, oks, fence, now_ms, took, limit,
			       enter, leave, channel };
	director_redis_call(d, 16, argv, on_health_result, r);
}

/* ------------------------------------------------------- the verdicts --- */

static void on_confirm_timer(evutil_socket_t fd, short what, void *arg)
{
	struct backend_health *bh = arg;

	if (bh->check == NULL)
		check_backend(bh, 0);
}

/* A proof of death: the second in a row (health_fail_count) fails it over;
 * until then the next check comes at once, not at the next round. */
static void observe_dead(struct backend_health *bh, const char *reason, unsigned int confirm_ms)
{
	struct timeval tv = { 0, confirm_ms * 1000 };

	if (++bh->dead_seen >= bh->h->d->set->health_fail_count) {
		store_verdict(bh, V_DEAD, reason, -1);
		return;
	}
	hb_debug("backend %s: %s; checking again", bh->name, reason);
	if (bh->check == NULL)
		evtimer_add(bh->confirm_timer, &tv);
}

/* Silence: failed once nothing has shown life for health_dead_after. */
static void observe_silence(struct backend_health *bh, const char *reason, long long took_ms)
{
	const struct hb_settings *set = bh->h->d->set;
	long long quiet_ms = director_now_ms() - bh->last_life_ms;
	char why[HB_REASON_MAX + 1];

	if (quiet_ms < set->health_dead_after_ms) {
		store_verdict(bh, V_SLOW, reason, took_ms);
		return;
	}
	snprintf(why, sizeof(why), "%s; no sign of life on any channel for %lld s", reason,
		 quiet_ms / 1000);
	store_verdict(bh, V_SILENT, why, -1);
}

static void on_life_reply(void *ctx, enum doveadm_status status, int code,
			  const char *body, size_t len)
{
	struct backend_health *bh = ctx;

	bh->life_req = NULL;
	if (status == DOVEADM_REPLY)
		bh->last_life_ms = director_now_ms();
}

/* Its IMAP and LMTP probes are slow: does its doveadm API still answer? */
static void ask_for_life(struct backend_health *bh)
{
	struct director *d = bh->h->d;
	const struct hb_backend *b = director_backend(d, bh->name);

	if (bh->life_req != NULL || b == NULL || b->ports[HB_SERVICE_DOVEADM] == 0 ||
	    !kick_available(d))
		return;
	bh->life_req = doveadm_post(d, b->host, b->ports[HB_SERVICE_DOVEADM], LIFE_BODY,
				    d->set->health_timeout_ms, LIFE_REPLY_MAX, on_life_reply, bh);
}

static void on_check_done(void *ctx, const struct check_result *result)
{
	struct backend_health *bh = ctx;
	struct health *h = bh->h;

	bh->check = NULL;
	metrics_health_check(h->d->metrics, result->status == PROBE_OK);
	if (result->login_refused)
		health_login_refused(h, bh->name);
	switch (result->status) {
	case PROBE_OK:
	case PROBE_SICK:
		bh->last_life_ms = director_now_ms();
		bh->dead_seen = 0;
		if (bh->kick_owed) {
			bh->kick_owed = 0;	/* set again if this kick fails too */
			failover_kick_again(h->d, bh->name);
		}
		store_verdict(bh, result->status == PROBE_OK ? V_OK : V_SICK,
			      result->status == PROBE_OK ? "ok" : result->reason, result->took_ms);
		break;
	case PROBE_SILENT:
		bh->dead_seen = 0;
		observe_silence(bh, result->reason, result->took_ms);
		break;
	case PROBE_DEAD:
		observe_dead(bh, result->reason, CONFIRM_MS);
		break;
	}
}

static void check_backend(struct backend_health *bh, int with_login)
{
	struct director *d = bh->h->d;
	const struct hb_backend *b = director_backend(d, bh->name);
	const struct probe_login *login = with_login && bh->h->login.user != NULL ?
		&bh->h->login : NULL;

	if (b == NULL)
		return;
	/* the probes wait for an answer as long as one can still prove life */
	bh->check = check_start(d->base, b, login, d->set->health_dead_after_ms,
				on_check_done, bh);
	bh->check_started_ms = director_now_ms();
}

/* A check is still running: past health_timeout each round is a slow one. */
static void check_running(struct backend_health *bh)
{
	const struct hb_settings *set = bh->h->d->set;
	long long age = director_now_ms() - bh->check_started_ms;
	char why[HB_REASON_MAX + 1];

	if (check_heard(bh->check))
		bh->last_life_ms = director_now_ms();
	if (age < set->health_timeout_ms)
		return;
	ask_for_life(bh);
	snprintf(why, sizeof(why), "no answer within %u ms", set->health_timeout_ms);
	observe_silence(bh, why, age);
}

/* ------------------------------------------------- per-backend states --- */

static void backend_health_free(struct health *h, struct backend_health *bh)
{
	HB_DLIST_REMOVE(h->backends, bh);
	check_cancel(&bh->check);
	doveadm_cancel(&bh->life_req);
	reassign_stop(&bh->reassign);
	watch_close(&bh->watch);
	event_free(bh->confirm_timer);
	free(bh);
}

static struct backend_health *backend_health_find(struct health *h, const char *name)
{
	for (struct backend_health *bh = h->backends; bh != NULL; bh = bh->next)
		if (strcmp(bh->name, name) == 0)
			return bh;
	return NULL;
}

static struct backend_health *backend_health_new(struct health *h, const char *name)
{
	struct backend_health *bh = calloc(1, sizeof(*bh));

	if (bh == NULL)
		return NULL;
	bh->h = h;
	/* a new lease holder gives every backend the full benefit of doubt */
	bh->last_life_ms = director_now_ms();
	bh->reassigned_epoch = -1;
	snprintf(bh->name, sizeof(bh->name), "%s", name);
	bh->confirm_timer = evtimer_new(h->d->base, on_confirm_timer, bh);
	if (bh->confirm_timer == NULL) {
		free(bh);
		return NULL;
	}
	HB_DLIST_PREPEND(h->backends, bh);
	return bh;
}

/* One state per backend of the table, created and dropped with it. */
static void backends_sync(struct health *h)
{
	const struct backend_table *t = &h->d->table;
	struct backend_health *bh, *next;

	for (bh = h->backends; bh != NULL; bh = bh->next)
		bh->present = 0;
	for (size_t i = 0; i < t->count; i++) {
		bh = backend_health_find(h, t->backends[i].name);
		if (bh == NULL)
			bh = backend_health_new(h, t->backends[i].name);
		if (bh != NULL)
			bh->present = 1;
	}
	for (bh = h->backends; bh != NULL; bh = next) {
		next = bh->next;
		if (!bh->present)
			backend_health_free(h, bh);
	}
}

static void backends_clear(struct health *h)
{
	while (h->backends != NULL)
		backend_health_free(h, h->backends);
}

/* A failed backend whose fence is over and that still has users: move them
 * now (reassign.c), once per change of the table. */
static void reassign_if_due(struct backend_health *bh, const struct hb_backend *b,
			    unsigned int users)
{
	struct director *d = bh->h->d;

	if (bh->reassign != NULL && !reassign_running(bh->reassign)) {
		reassign_stop(&bh->reassign);
		bh->reassigned_epoch = d->table.epoch;
	}
	if (bh->reassign != NULL || b->health != HB_HEALTH_FAILED || users == 0 ||
	    b->fence_until_ms > director_now_ms() || bh->reassigned_epoch == d->table.epoch)
		return;
	bh->reassign = reassign_start(d, bh->name);
}

void health_kick_owed(struct health *h, const char *name, int owed)
{
	struct backend_health *bh = h != NULL ? backend_health_find(h, name) : NULL;

	if (bh != NULL)
		bh->kick_owed = owed;
}

/* The watch connection ended (and freed itself); REASON: it looks like a
 * death, which the next check, run at once, confirms or not. */
static void on_watch_end(void *ctx, const char *reason)
{
	struct backend_health *bh = ctx;

	bh->watch = NULL;
	if (reason != NULL)
		observe_dead(bh, reason, 0);
}

/* Keep a fresh watch connection open to B (reopened at the next round after
 * it ended). */
static void watch_keep(struct backend_health *bh, const struct hb_backend *b)
{
	if (bh->watch != NULL && watch_stale(bh->watch, b, director_now_ms()))
		watch_close(&bh->watch);
	if (bh->watch == NULL)
		bh->watch = watch_open(bh->h->d->base, b, on_watch_end, bh);
}

/* ------------------------------------------------------- health login --- */

/* a wrong health_login_user/password is the operator's to fix, not a
 * failure of every backend: said once, and no more logins until the password
 * file changes (login_load) */
void health_login_refused(struct health *h, const char *name)
{
	struct stat st;

	if (h->login_refused)
		return;
	h->login_refused = 1;
	if (stat(h->d->set->health_login_password_file, &st) == 0)
		h->refused_file_mtime = st.st_mtim;
	hb_warn("backend %s refused the health login of %s: check health_login_user and "
		"health_login_password_file; probes only wait for the greeting until that "
		"file changes", name, h->d->set->health_login_user);
}

static void login_forget(struct health *h)
{
	if (h->login_password != NULL) {
		explicit_bzero(h->login_password, strlen(h->login_password));
		free(h->login_password);
		h->login_password = NULL;
	}
	h->login.user = h->login.password = NULL;
}

/* health_login_user and its password file, read each round (a changed file
 * or a reload takes effect at once); any problem leaves greeting-only probes,
 * logged once until it is fixed */
static void login_load(struct health *h)
{
	const struct hb_settings *set = h->d->set;
	char err[256];
	struct stat st;

	h->login.user = NULL;
	if (set->health_login_user[0] == '\0')
		return;
	if (h->login_refused) {
		if (stat(set->health_login_password_file, &st) == 0 &&
		    st.st_mtim.tv_sec == h->refused_file_mtime.tv_sec &&
		    st.st_mtim.tv_nsec == h->refused_file_mtime.tv_nsec)
			return;
		h->login_refused = 0;	/* changed: try it again */
	}
	if (hb_read_secret_file(set->health_login_password_file, &h->login_password,
				err, sizeof(err)) < 0) {
		if (!h->login_error_logged)
			hb_error("health login disabled: %s", err);
		h->login_error_logged = 1;
		return;
	}
	if (!probe_login_valid(set->health_login_user) ||
	    !probe_login_valid(h->login_password)) {
		if (!h->login_error_logged)
			hb_error("health login disabled: health_login_user or its password "
				 "contains a quote, backslash or line break");
		h->login_error_logged = 1;
		login_forget(h);
		return;
	}
	h->login_error_logged = 0;
	h->login.user = set->health_login_user;
	h->login.password = h->login_password;
}

/* -------------------------------------------------------------- rounds --- */

static void health_round(struct health *h)
{
	struct director *d = h->d;

	login_load(h);
	backends_sync(h);
	for (size_t i = 0; i < d->table.count; i++) {
		struct backend_health *bh = backend_health_find(h, d->table.backends[i].name);

		if (bh == NULL)
			continue;
		if (bh->check == NULL)
			check_backend(bh, 1);
		else
			check_running(bh);
		reassign_if_due(bh, &d->table.backends[i], d->table.user_counts[i]);
		watch_keep(bh, &d->table.backends[i]);
	}
	login_forget(h);	/* the probes keep their own copies */
}

static void on_round_timer(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	struct director *d = h->d;
	struct timeval tv = { d->set->health_interval_ms / 1000,
			      (d->set->health_interval_ms % 1000) * 1000 };

	if (h->lease_held && director_redis_usable(d))
		health_round(h);
	else if (!h->lease_held)
		backends_clear(h);
	evtimer_add(h->round_timer, &tv);
}

static void on_lease_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct health *h = d->health;
	int held = reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;

	if (h == NULL)
		return;
	if (held && !h->lease_held)
		hb_info("this director (%s) now runs the health checks", d->instance_id);
	else if (!held && h->lease_held)
		hb_info("health checks handed over: %s", reply == NULL ? error : "lease taken by another director");
	h->lease_held = held;
	if (!held)
		backends_clear(h);
	metrics_set_lease(d->metrics, held);
}

void health_lease_tick(struct health *h)
{
	struct director *d = h->d;
	char ttl[16];

	snprintf(ttl, sizeof(ttl), "%u", d->set->health_lease_ttl_ms);
	const char *argv[] = { "EVAL", hb_script_lease, "0", d->set->key_prefix,
			       d->instance_id, ttl };
	director_redis_call(d, 6, argv, on_lease_reply, NULL);
}

int health_lease_held(const struct health *h)
{
	return h->lease_held;
}

struct health *health_create(struct director *d)
{
	struct health *h = calloc(1, sizeof(*h));
	struct timeval now = { 0, 0 };

	if (h == NULL)
		return NULL;
	h->d = d;
	h->round_timer = evtimer_new(d->base, on_round_timer, h);
	evtimer_add(h->round_timer, &now);
	return h;
}

void health_destroy(struct health **_h)
{
	struct health *h = *_h;

	if (h == NULL)
		return;
	backends_clear(h);
	login_forget(h);
	event_free(h->round_timer);
	free(h);
	*_h = NULL;
}
