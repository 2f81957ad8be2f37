/* director.h - the hummingbird-director process context: settings, event loop,
 * Redis connection, backend table and metrics.  One instance per process;
 * components receive it explicitly (no other global mutable state). */
#ifndef DIRECTOR_H
#define DIRECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <hiredis/async.h>

#include "hb-backend.h"
#include "hb-settings.h"

#define DIRECTOR_VERSION PACKAGE_VERSION
#define DIRECTOR_MAX_BACKENDS 256

struct user_cache;
struct metrics;
struct health;
struct listeners;
struct conn;
struct kick;
struct census;
struct apikey;
struct doveadm_reaper;
struct hosted;

struct backend_table {
	struct hb_backend *backends;
	unsigned int *user_counts;
	size_t count;
	long long epoch;
	int loaded;              /* at least one snapshot was read from Redis */
	int refresh_pending;     /* a snapshot request is in flight */
};

struct redis_conn {
	redisAsyncContext *ctx;
	int connected;           /* AUTH/SELECT done, commands may flow */
	int down_logged;         /* the outage was logged once */
	unsigned int backoff_ms;
	struct event *reconnect_timer;
	char *password;          /* read once from redis_password_file */
	char route_sha[41];      /* SCRIPT LOAD result for hb_script_route, "" = use EVAL */
};

struct director {
	struct hb_settings *set;
	const char *config_path;
	struct event_base *base;
	struct redis_conn redis;
	struct backend_table table;
	struct user_cache *cache;
	struct hosted *hosted;       /* domains the socketmap answers for */
	struct metrics *metrics;
	struct health *health;
	struct census *census;       /* session census, docs/DESIGN.md 4 */
	struct listeners *listeners;
	struct conn *conns;          /* open client connections */
	struct kick *kicks;          /* doveadm kicks in flight */
	char *doveadm_auth;          /* "X-Dovecot-API <base64 key>", NULL = no kicks */
	struct apikey *apikey;       /* checks the key against the backends */
	struct doveadm_reaper *doveadm_reaper; /* answered requests' connections */
	struct event *tick_timer;
	struct event *sig_hup, *sig_term, *sig_int;
	char instance_id[128];
	long long started;
};

long long director_now_ms(void);

/* Find a backend by name in the current table, NULL if unknown. */
const struct hb_backend *director_backend(const struct director *d, const char *name);

#endif
