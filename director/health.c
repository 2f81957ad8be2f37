/* health.c - health lease and check rounds.  Only the lease holder probes;
 * each result goes through the `health` script so consecutive-count hysteresis
 * (health_fail_count / health_ok_count, degrade_enter_count /
 * degrade_leave_count) is shared by all directors.  The script also reads the
 * lock pressure the node published and marks the backend degraded. */
#include "hb-config-auto.h"
#include "director.h"
#include "health.h"
#include "probe.h"
#include "redis.h"
#include "table.h"
#include "metrics.h"
#include "hb-log.h"
#include "hb-scripts.h"
#include "hb-keys.h"
#include "kick.h"
#include "hb-dlist.h"
#include "hb-settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

struct backend_check;

struct probe_slot {
	struct backend_check *check;
	unsigned int index;
};

struct backend_check {
	struct health *h;
	struct probe_slot slots[2];
	struct backend_check *prev, *next;
	char name[HB_BACKEND_NAME_MAX + 1];
	struct probe *probes[2];
	unsigned int probes_left;
	int failed;
	long long started_ms;
	long long slowest_ms;           /* the slowest probe's time */
	char reason[HB_REASON_MAX + 1];
};

struct health {
	struct director *d;
	struct probe_login login;       /* user NULL: greeting only */
	char *login_password;           /* read each round, wiped after it */
	int login_error_logged;
	/* a refused health login is not tried again until the password file
	   changes: Dovecot's auth penalty would slow every probe until it
	   timed out, failing a healthy backend */
	int login_refused;
	struct timespec refused_file_mtime;
	int lease_held;
	struct event *round_timer;
	struct backend_check *checks;   /* running, for cancelling at shutdown */
	unsigned int checks_running;
};

static void check_unlink(struct backend_check *bc)
{
	HB_DLIST_REMOVE(bc->h->checks, bc);
	bc->h->checks_running--;
}

static void ignore_reply(struct director *d, redisReply *reply, const char *error, void *ctx)
{
}

struct health_result {
	char name[HB_BACKEND_NAME_MAX + 1];
	char reason[HB_REASON_MAX + 1];
	char host[HB_HOST_MAX + 1];
	unsigned int doveadm_port;    /* non-zero: fence set, kick it */
};

static void clear_fence(struct director *d, const char *name)
{
	char key[HB_KEY_MAX];

	if (hb_key(key, sizeof(key), d->set->key_prefix, HB_KEY_BACKEND, name) == 0)
		return;
	const char *argv[] = { "HDEL", key, "fence_until" };
	director_redis_call(d, 3, argv, ignore_reply, NULL);
}

/* A backend that failed its checks may still run sessions (a slow node, not
 * a dead one): its users wait behind the fence until those are kicked, or
 * until nothing answers on its doveadm port, or until the fence expires. */
static void on_failover_kick(struct director *d, const char *name,
			     enum kick_result result, const char *detail)
{
	switch (result) {
	case KICK_DONE:
	case KICK_UNREACHABLE:
		hb_info("backend %s: %s; its users may log in elsewhere now", name, detail);
		clear_fence(d, name);
		break;
	case KICK_TIMEOUT:
	case KICK_REFUSED:
		hb_warn("backend %s: %s; its users wait until the fence expires", name, detail);
		break;
	}
}

static int reply_str_is(const redisReply *reply, size_t i, const char *word)
{
	return reply->element[i]->type == REDIS_REPLY_STRING && strcmp(reply->element[i]->str, word) == 0;
}

static int reply_int_is(const redisReply *reply, size_t i, long long value)
{
	return reply->element[i]->type == REDIS_REPLY_INTEGER && reply->element[i]->integer == value;
}

static void log_health_change(struct director *d, const struct health_result *result,
			      const redisReply *reply)
{
	const char *name = result->name;

	if (reply_str_is(reply, 0, "failed")) {
		hb_warn("backend %s failed its health checks (%s): its users move to other backends",
			name, result->reason);
		if (result->doveadm_port != 0)
			kick_all(d, name, result->host, result->doveadm_port,
				 hb_route_cache_wait_ms(d->set->route_cache_ttl_ms), on_failover_kick);
	} else
		hb_info("backend %s is healthy again", name);
}

static void log_degraded_change(const struct health_result *result, const redisReply *reply)
{
	if (reply_str_is(reply, 2, "degraded"))
		hb_warn("backend %s is degraded (%s): it keeps its users but gets no new ones",
			result->name, reply->element[4]->type == REDIS_REPLY_STRING ?
			reply->element[4]->str : "?");
	else
		hb_info("backend %s is no longer degraded: it takes new users again", result->name);
}

static void on_health_result(struct director *d, redisReply *reply, const char *error, void *ctx)
{
	struct health_result *result = ctx;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 5 &&
	    reply->element[0]->type == REDIS_REPLY_STRING) {
		int changed = reply_int_is(reply, 1, 1), dchanged = reply_int_is(reply, 3, 1);

		if (changed)
			log_health_change(d, result, reply);
		if (dchanged)
			log_degraded_change(result, reply);
		if (changed || dchanged)
			table_refresh(d);
	} else if (reply == NULL) {
		hb_debug("storing health result of %s failed: %s", result->name, error);
	}
	free(result);
}

static void check_store(struct backend_check *bc)
{
	struct director *d = bc->h->d;
	char now[24], fails[16], oks[16], fence_ms[16], now_ms[24];
	char probe_ms[24], degrade_ms[16], enter[16], leave[16];
	struct health_result *result = calloc(1, sizeof(*result));
	const struct hb_backend *b = director_backend(d, bc->name);
	unsigned int doveadm_port = b != NULL && kick_available(d) ?
		b->ports[HB_SERVICE_DOVEADM] : 0;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(fails, sizeof(fails), "%u", d->set->health_fail_count);
	snprintf(oks, sizeof(oks), "%u", d->set->health_ok_count);
	/* its users wait until the passdb caches forgot it, and the kick */
	snprintf(fence_ms, sizeof(fence_ms), "%u", hb_route_cache_wait_ms(d->set->route_cache_ttl_ms) +
		 (doveadm_port != 0 ? d->set->kick_timeout_ms : 0));
	snprintf(now_ms, sizeof(now_ms), "%lld", director_now_ms());
	snprintf(probe_ms, sizeof(probe_ms), "%lld", bc->failed ? -1LL : bc->slowest_ms);
	snprintf(degrade_ms, sizeof(degrade_ms), "%u", d->set->degrade_probe_time_ms);
	snprintf(enter, sizeof(enter), "%u", d->set->degrade_enter_count);
	snprintf(leave, sizeof(leave), "%u", d->set->degrade_leave_count);
	const char *argv[] = { "EVAL", hb_script_health, "0", d->set->key_prefix, bc->name,
			       bc->failed ? "0" : "1", bc->failed ? bc->reason : "ok",
			       now, fails, oks, fence_ms, now_ms, probe_ms, degrade_ms,
			       enter, leave };
	if (result == NULL)
		return;
	snprintf(result->name, sizeof(result->name), "%s", bc->name);
	snprintf(result->reason, sizeof(result->reason), "%s", bc->reason);
	if (b != NULL)
		snprintf(result->host, sizeof(result->host), "%s", b->host);
	result->doveadm_port = doveadm_port;
	director_redis_call(d, 16, argv, on_health_result, result);
}

/* a wrong health_login_user/password is the operator's to fix, not a
 * failure of every backend: said once, and no more logins until the password
 * file changes (login_load) */
static void login_refused(struct health *h, const char *name)
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

static void on_probe_done(void *ctx, int ok, const char *reason)
{
	struct probe_slot *slot = ctx;
	struct backend_check *bc = slot->check;

	bc->probes[slot->index] = NULL;
	/* a refused health login is slow on purpose (auth_failure_delay) */
	if (!(ok && reason != NULL) && director_now_ms() - bc->started_ms > bc->slowest_ms)
		bc->slowest_ms = director_now_ms() - bc->started_ms;

	metrics_health_check(bc->h->d->metrics, ok);
	if (ok && reason != NULL)
		login_refused(bc->h, bc->name);
	if (!ok && !bc->failed) {
		bc->failed = 1;
		snprintf(bc->reason, sizeof(bc->reason), "%s", reason);
	}
	if (--bc->probes_left > 0)
		return;
	check_unlink(bc);
	check_store(bc);
	free(bc);
}

static void check_start_probe(struct backend_check *bc, unsigned int index,
			      enum probe_kind kind, const char *host, unsigned int port)
{
	struct director *d = bc->h->d;
	const struct probe_login *login = bc->h->login.user != NULL ? &bc->h->login : NULL;

	bc->slots[index].check = bc;
	bc->slots[index].index = index;
	bc->probes[index] = probe_start(d->base, kind, host, port, d->set->health_timeout_ms,
					login, on_probe_done, &bc->slots[index]);
	if (bc->probes[index] == NULL)
		on_probe_done(&bc->slots[index], 0, "out of memory");
}

static void check_backend(struct health *h, const struct hb_backend *b)
{
	struct backend_check *bc;
	unsigned int imap = b->ports[HB_SERVICE_IMAP], lmtp = b->ports[HB_SERVICE_LMTP];

	if (imap == 0 && lmtp == 0)
		return;
	bc = calloc(1, sizeof(*bc));
	if (bc == NULL)
		return;
	bc->h = h;
	bc->started_ms = director_now_ms();
	snprintf(bc->name, sizeof(bc->name), "%s", b->name);
	bc->probes_left = (imap != 0) + (lmtp != 0);
	HB_DLIST_PREPEND(h->checks, bc);
	h->checks_running++;
	if (imap != 0)
		check_start_probe(bc, 0, PROBE_IMAP, b->host, imap);
	if (lmtp != 0)
		check_start_probe(bc, 1, PROBE_LMTP, b->host, lmtp);
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

static void on_round_timer(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	struct director *d = h->d;
	struct timeval tv = { d->set->health_interval_ms / 1000,
			      (d->set->health_interval_ms % 1000) * 1000 };

	/* skip a round while the previous one still runs: slow backends must
	 * not pile up probes */
	if (h->lease_held && h->checks_running == 0 && director_redis_usable(d)) {
		login_load(h);
		for (size_t i = 0; i < d->table.count; i++)
			check_backend(h, &d->table.backends[i]);
		login_forget(h);	/* the probes keep their own copies */
	}
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
	while (h->checks != NULL) {
		struct backend_check *bc = h->checks;
		for (int i = 0; i < 2; i++)
			if (bc->probes[i] != NULL)
				probe_cancel(bc->probes[i]);
		check_unlink(bc);
		free(bc);
	}
	login_forget(h);
	event_free(h->round_timer);
	free(h);
	*_h = NULL;
}
