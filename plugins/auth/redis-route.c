/* redis-route.c - runs the route_known script (lib/hb-scripts.c) for the
 * passdb module.  The user name is normalised exactly as the director does
 * (lib/hb-user.c, with the recipient delimiter the directors publish in
 * P routing); the script refuses a delimiter that differs and returns the
 * right one, and the request is sent once more with it.  An OK answer is
 * reused for route_cache_ttl (published by the directors, returned by the
 * script) counted from the moment it was asked, see route-cache.h, and
 * dropped earlier when the directors' health events (P events) name its
 * backend.
 *
 * Invariant: an answer is stored only while the subscription to P events is
 * confirmed, and only if it was confirmed, with no event and no change of
 * the subscription in between, from before the answer was asked until it
 * came; when the subscription is lost the whole cache is cleared.  So every
 * cached answer is one that a later "backend NAME" would reach.  A half-open
 * subscription that never reports its loss is bounded by the TTL, as before
 * (the directors' waits do not count on the events). */
#include "lib.h"
#include "ioloop.h"
#include "sha1.h"
#include "hex-binary.h"
#include "safe-memset.h"
#include "strnum.h"
#include "redis-route.h"
#include "route-cache.h"
#include "route-event.h"
#include "redis-subscriber.h"
#include "director-reply.h"
#include "hb-backend.h"
#include "hb-keys.h"
#include "hb-settings.h"
#include "hb-scripts.h"
#include "hb-user.h"

#include <hiredis/hiredis.h>

/* answers kept at most; at 2 s each this is far more than any frontend's
   logins in that time */
#define REDIS_ROUTE_CACHE_MAX 100000
/* a TTL above the directors' maximum (lib/hb-settings.c) is not used */
#define REDIS_ROUTE_CACHE_TTL_MAX_MS 60000

struct redis_route {
	struct redis_client *client;
	struct redis_subscriber *events;	/* P events */
	struct event *event;
	char *key_prefix;
	char *delimiter;	/* as last published by the directors */
	char script_sha[SHA1_RESULTLEN * 2 + 1];
	struct route_cache *cache;	/* NULL: out of memory, no caching */
	/* moves on with every health event and every change of the
	   subscription; 0 is never used */
	unsigned long long cache_epoch;
};

struct redis_route_request {
	struct redis_route *route;
	redis_route_callback_t *callback;
	void *context;
	const char *port_field;
	char *login_user;	/* as the client sent it */
	char user[HB_USER_MAX + 1];	/* normalised */
	long long asked_ms;	/* monotonic, before the first send */
	/* route->cache_epoch when asked while subscribed, else 0: the answer
	   may be kept only if nothing changed since (see the top) */
	unsigned long long cache_epoch;
	bool sent_body;		/* EVAL after NOSCRIPT */
	bool relearned;		/* sent again with a new delimiter */
};

static void route_request_free(struct redis_route_request *req)
{
	i_free(req->login_user);
	i_free(req);
}

static void route_ask(struct redis_route_request *req, const char *why)
{
	struct redis_route_answer answer = { .routed = FALSE, .why = why };

	req->callback(&answer, req->context);
	route_request_free(req);
}

static const char *element_str(const redisReply *reply, size_t idx)
{
	return idx < reply->elements &&
		reply->element[idx]->type == REDIS_REPLY_STRING ?
		reply->element[idx]->str : NULL;
}

static void route_send(struct redis_route_request *req);
static void route_normalize_and_send(struct redis_route_request *req);

/* Keep an OK answer for the TTL the script returned, counted from before the
   request was sent: a mover that starts waiting route_cache_ttl after this
   answer was given sees it gone by then. */
static void route_remember(struct redis_route_request *req,
			   const struct redis_route_answer *answer,
			   const char *ttl_str)
{
	struct route_cache_answer cached = {
		.backend = answer->backend, .host = answer->host,
		.port = answer->port,
	};
	unsigned int ttl_ms;
	const char *error;

	if (req->route->cache == NULL || req->cache_epoch == 0 ||
	    req->cache_epoch != req->route->cache_epoch || ttl_str == NULL ||
	    str_to_uint(ttl_str, &ttl_ms) < 0 || ttl_ms == 0 ||
	    ttl_ms > REDIS_ROUTE_CACHE_TTL_MAX_MS ||
	    director_reply_check_ok(answer->backend, answer->host,
				    answer->port, &error) < 0)
		return;
	route_cache_put(req->route->cache, req->port_field, req->user,
			&cached, req->asked_ms + ttl_ms, route_cache_now_ms());
}

static void on_route_reply(const redisReply *reply, const char *error,
			   void *context)
{
	struct redis_route_request *req = context;
	struct redis_route_answer answer = { .routed = TRUE };
	const char *word;

	if (error != NULL && strncmp(error, "NOSCRIPT", 8) == 0 &&
	    !req->sent_body) {
		/* Redis restarted or flushed its scripts: EVAL caches it */
		req->sent_body = TRUE;
		route_send(req);
		return;
	}
	if (error != NULL) {
		route_ask(req, t_strdup_printf("Redis: %s", error));
		return;
	}
	word = reply->type == REDIS_REPLY_ARRAY ? element_str(reply, 0) : NULL;
	if (word != NULL && strcmp(word, "OK") == 0 &&
	    (reply->elements == 4 || reply->elements == 5) &&
	    (answer.backend = element_str(reply, 1)) != NULL &&
	    (answer.host = element_str(reply, 2)) != NULL &&
	    (answer.port = element_str(reply, 3)) != NULL) {
		route_remember(req, &answer, element_str(reply, 4));
		req->callback(&answer, req->context);
		route_request_free(req);
	} else if (word != NULL && strcmp(word, "DELIM") == 0 &&
		   element_str(reply, 1) != NULL && !req->relearned) {
		i_free(req->route->delimiter);
		req->route->delimiter = i_strdup(element_str(reply, 1));
		/* its answers were for names normalised the old way */
		if (req->route->cache != NULL)
			route_cache_clear(req->route->cache);
		req->relearned = TRUE;
		route_normalize_and_send(req);
	} else if (word != NULL && strcmp(word, "ASK") == 0) {
		route_ask(req, t_strdup(element_str(reply, 1) != NULL ?
					element_str(reply, 1) : "(no reason)"));
	} else {
		route_ask(req, "unexpected reply from the route_known script");
	}
}

static void route_send(struct redis_route_request *req)
{
	struct redis_route *route = req->route;
	const char *argv[8], *error;

	argv[0] = req->sent_body ? "EVAL" : "EVALSHA";
	argv[1] = req->sent_body ? hb_script_route_known : route->script_sha;
	argv[2] = "0";
	argv[3] = route->key_prefix;
	argv[4] = req->user;
	argv[5] = req->port_field;
	argv[6] = dec2str(ioloop_time);
	argv[7] = route->delimiter;
	if (redis_client_call(route->client, 8, argv, on_route_reply, req,
			      &error) < 0)
		route_ask(req, error);
}

static void route_normalize_and_send(struct redis_route_request *req)
{
	struct route_cache_answer cached;
	const char *error;

	if (hb_user_normalize(req->login_user, req->route->delimiter,
			      req->user, &error) < 0) {
		/* the director answers with the reason */
		route_ask(req, error);
		return;
	}
	if (req->route->cache != NULL &&
	    route_cache_get(req->route->cache, req->port_field, req->user,
			    route_cache_now_ms(), &cached)) {
		struct redis_route_answer answer = {
			.routed = TRUE, .cached = TRUE,
			.backend = cached.backend, .host = cached.host,
			.port = cached.port,
		};
		req->callback(&answer, req->context);
		route_request_free(req);
		return;
	}
	route_send(req);
}

void redis_route_start(struct redis_route *route, const char *user,
		       const char *service, redis_route_callback_t *callback,
		       void *context)
{
	struct redis_route_request *req = i_new(struct redis_route_request, 1);
	enum hb_service hb_service;

	req->route = route;
	req->callback = callback;
	req->context = context;
	service = director_service_name(service);
	if (service == NULL || hb_service_parse(service, &hb_service) < 0) {
		route_ask(req, "service not routed here");
		return;
	}
	req->port_field = hb_service_port_field(hb_service);
	req->login_user = i_strdup(user);
	req->asked_ms = route_cache_now_ms();
	if (route->events != NULL &&
	    redis_subscriber_is_subscribed(route->events))
		req->cache_epoch = route->cache_epoch;
	route_normalize_and_send(req);
}

static void config_copy(pool_t pool, const struct hb_settings *set,
			const char *password, struct redis_route_config *config_r)
{
	struct redis_client_settings *redis = &config_r->redis;

	redis->socket_path = p_strdup(pool, set->redis_socket);
	redis->host = p_strdup(pool, set->redis_host);
	redis->port = set->redis_port;
	redis->user = p_strdup(pool, set->redis_user);
	redis->password = p_strdup(pool, password);
	redis->db = set->redis_db;
	redis->timeout_msecs = set->redis_timeout_ms;
	config_r->key_prefix = p_strdup(pool, set->key_prefix);
}

int redis_route_config_load(pool_t pool, const char *path,
			    struct redis_route_config *config_r,
			    const char **error_r)
{
	struct hb_settings *set;
	char err[HB_SETTINGS_ERROR_MAX], *password = NULL;

	if (hb_settings_load(path, &set, err, sizeof(err)) < 0) {
		*error_r = t_strdup(err);
		return -1;
	}
	if (set->redis_password_file[0] != '\0' &&
	    hb_read_secret_file(set->redis_password_file, &password, err,
				sizeof(err)) < 0) {
		*error_r = t_strdup_printf("redis_password_file: %s", err);
		hb_settings_free(&set);
		return -1;
	}
	config_copy(pool, set, password, config_r);
	if (password != NULL) {
		safe_memset(password, 0, strlen(password));
		free(password);
	}
	hb_settings_free(&set);
	return 0;
}

/* health events (P events) */

static void route_events_state(bool subscribed, void *context)
{
	struct redis_route *route = context;

	route->cache_epoch++;
	/* lost: events may be missed from now on, so nothing cached may stay
	   (and route_remember() keeps nothing until it is confirmed again) */
	if (!subscribed && route->cache != NULL)
		route_cache_clear(route->cache);
}

static void route_events_message(const char *msg, size_t len, void *context)
{
	struct redis_route *route = context;
	struct route_event ev;
	unsigned int dropped = 0;

	route_event_parse(msg, len, &ev);
	if (ev.kind == ROUTE_EVENT_UNKNOWN) {
		e_debug(route->event, "passdb hummingbird: ignoring an unknown "
			"health event (%zu bytes)", len);
		return;
	}
	/* answers in flight were asked before it: none of them is kept */
	route->cache_epoch++;
	if (route->cache != NULL && ev.kind == ROUTE_EVENT_BACKEND) {
		dropped = route_cache_forget_backend(route->cache, ev.backend);
	} else if (route->cache != NULL) {
		dropped = route_cache_count(route->cache);
		route_cache_clear(route->cache);
	}
	e_debug(event_create_passthrough(route->event)->
		set_name("hummingbird_route_cache_dropped")->
		add_str("backend", ev.kind == ROUTE_EVENT_BACKEND ?
			ev.backend : "*")->
		add_int("answers", dropped)->event(),
		"passdb hummingbird: health event for %s: %u cached answers "
		"dropped", ev.kind == ROUTE_EVENT_BACKEND ? ev.backend :
		"all backends", dropped);
}

static const struct redis_subscriber_callbacks route_events_callbacks = {
	.state = route_events_state,
	.message = route_events_message,
};

static void route_events_subscribe(struct redis_route *route,
				   const struct redis_client_settings *set)
{
	char channel[HB_KEY_MAX];

	if (hb_key(channel, sizeof(channel), route->key_prefix,
		   HB_KEY_EVENTS, NULL) == 0) {
		/* key_prefix is bounded by the settings: cannot happen */
		i_error("passdb hummingbird: key_prefix too long for the "
			"events channel: answers are not cached");
		return;
	}
	route->events = redis_subscriber_create(set, channel,
		&route_events_callbacks, route);
}

struct redis_route *redis_route_create(const struct redis_route_config *config,
				       struct event *parent)
{
	struct redis_route *route = i_new(struct redis_route, 1);
	unsigned char digest[SHA1_RESULTLEN];

	route->event = event_create(parent);
	route->cache_epoch = 1;
	route->client = redis_client_create(&config->redis);
	route->key_prefix = i_strdup(config->key_prefix);
	route->delimiter = i_strdup("");
	route->cache = route_cache_create(REDIS_ROUTE_CACHE_MAX);
	route_events_subscribe(route, &config->redis);
	sha1_get_digest(hb_script_route_known, strlen(hb_script_route_known),
			digest);
	i_strocpy(route->script_sha, binary_to_hex(digest, sizeof(digest)),
		  sizeof(route->script_sha));
	return route;
}

void redis_route_destroy(struct redis_route **_route)
{
	struct redis_route *route = *_route;

	*_route = NULL;
	if (route->events != NULL)
		redis_subscriber_destroy(&route->events);
	redis_client_destroy(&route->client);
	i_free(route->key_prefix);
	i_free(route->delimiter);
	route_cache_destroy(&route->cache);
	event_unref(&route->event);
	i_free(route);
}
