/* passdb-hummingbird.c - Dovecot 2.3 passdb `driver = hummingbird`: asks the
 * Hummingbird director which backend a user belongs to and returns the proxy
 * fields (proxy, host, hostip, port).  With config= a user who already has a
 * live assignment is answered from Redis directly (redis-route.c), and only
 * the rest goes to the director.  With userdb_socket= it first checks the
 * password of a hosted mailbox against the hash the director reads from Redis
 * (docs/DOMAINS.md 6).  It never blocks the auth process, never authenticates
 * a user on its own without a verified password or nopassword=y, and turns
 * every doubt into a temporary failure rather than a wrong host.
 * Loaded from <moduledir>/auth/libauthdb_hummingbird.so; see docs/AUTH-MODULE.md. */
#include "auth-common.h"
#include "passdb.h"
#include "userdb.h"
#include "strnum.h"
#include "str-sanitize.h"
#include "password-scheme.h"
#include "director-lookup.h"
#include "hosted-lookup.h"
#include "redis-route.h"

#define HB_PASSDB_DEFAULT_SOCKET "/run/hummingbird/director.sock"
#define HB_PASSDB_DEFAULT_TIMEOUT_MSECS 15000
#define HB_PASSDB_MAX_TIMEOUT_MSECS 300000
/* the director's default lookup_wait_timeout: a shorter timeout here turns
   waits for a move or fence into needless failures */
#define HB_DIRECTOR_DEFAULT_WAIT_MSECS 10000

struct hummingbird_passdb_module {
	struct passdb_module module;	/* must be first */
	const char *socket_path;
	unsigned int timeout_msecs;
	bool nopassword;
	bool route;			/* route=n: check passwords only */
	const char *userdb_socket;	/* NULL: no hosted mailboxes */
	unsigned int last_id;
	struct director_client *client;	/* created at the first lookup */
	struct director_client *userdb_client;
	struct redis_route_config *redis_config;	/* NULL: no fast path */
	struct redis_route *redis;	/* created at the first lookup */
};

/* One passdb call in flight; allocated from the auth request's pool, which
   lives as long as the reference taken in hb_request_new(). */
struct hummingbird_request {
	struct auth_request *request;
	verify_plain_callback_t *verify_plain;
	lookup_credentials_callback_t *lookup_credentials;
	const char *password;		/* verify_plain: what the client sent */
	const char *credentials, *scheme; /* a hosted mailbox's stored hash */
	bool verified;			/* hosted password checked */
	char id[DIRECTOR_PROTO_MAX_ID + 1];
};

/* preinit */

static bool hb_parse_bool(const char *value, bool *result_r)
{
	if (strcmp(value, "y") == 0 || strcmp(value, "yes") == 0)
		*result_r = TRUE;
	else if (strcmp(value, "n") == 0 || strcmp(value, "no") == 0)
		*result_r = FALSE;
	else
		return FALSE;
	return TRUE;
}

static void hb_parse_arg(struct hummingbird_passdb_module *module, pool_t pool,
			 const char *arg)
{
	const char *value;

	if (str_begins(arg, "socket=")) {
		value = arg + 7;
		if (value[0] != '/')
			i_fatal("passdb hummingbird: socket=%s: "
				"must be an absolute path", value);
		module->socket_path = p_strdup(pool, value);
	} else if (str_begins(arg, "timeout=")) {
		value = arg + 8;
		if (str_to_uint(value, &module->timeout_msecs) < 0 ||
		    module->timeout_msecs == 0 ||
		    module->timeout_msecs > HB_PASSDB_MAX_TIMEOUT_MSECS)
			i_fatal("passdb hummingbird: timeout=%s: must be "
				"1..%u milliseconds", value,
				HB_PASSDB_MAX_TIMEOUT_MSECS);
	} else if (str_begins(arg, "userdb_socket=")) {
		value = arg + 14;
		if (value[0] != '/')
			i_fatal("passdb hummingbird: userdb_socket=%s: "
				"must be an absolute path", value);
		module->userdb_socket = p_strdup(pool, value);
	} else if (str_begins(arg, "config=")) {
		const char *error;

		module->redis_config = p_new(pool, struct redis_route_config, 1);
		if (redis_route_config_load(pool, arg + 7, module->redis_config,
					    &error) < 0)
			i_fatal("passdb hummingbird: %s: %s", arg, error);
	} else if (str_begins(arg, "route=")) {
		if (!hb_parse_bool(arg + 6, &module->route))
			i_fatal("passdb hummingbird: %s: use route=y or "
				"route=n", arg);
	} else if (strcmp(arg, "nopassword") == 0) {
		module->nopassword = TRUE;
	} else if (str_begins(arg, "nopassword=")) {
		if (!hb_parse_bool(arg + 11, &module->nopassword))
			i_fatal("passdb hummingbird: %s: use nopassword=y "
				"or nopassword=n", arg);
	} else {
		i_fatal("passdb hummingbird: Unknown setting: %s "
			"(known: socket=PATH config=PATH userdb_socket=PATH timeout=MSECS "
			"nopassword=y|n route=y|n)",
			arg);
	}
}

static struct passdb_module *hb_preinit(pool_t pool, const char *args)
{
	struct hummingbird_passdb_module *module;
	const char *const *arg;

	module = p_new(pool, struct hummingbird_passdb_module, 1);
	module->socket_path = HB_PASSDB_DEFAULT_SOCKET;
	module->timeout_msecs = HB_PASSDB_DEFAULT_TIMEOUT_MSECS;
	module->route = TRUE;
	for (arg = t_strsplit_spaces(args, " "); *arg != NULL; arg++)
		hb_parse_arg(module, pool, *arg);
	if (module->timeout_msecs <= HB_DIRECTOR_DEFAULT_WAIT_MSECS) {
		i_warning("passdb hummingbird: timeout=%u ms should exceed the "
			  "director's lookup_wait_timeout (default %u ms), or "
			  "logins waiting for a move fail early",
			  module->timeout_msecs,
			  HB_DIRECTOR_DEFAULT_WAIT_MSECS);
	}
	if (!module->route && module->userdb_socket == NULL)
		i_fatal("passdb hummingbird: route=n needs userdb_socket=PATH "
			"(with neither, this passdb would do nothing)");
	/* no caching: an assignment can change at any time (moves, failover) */
	module->module.default_cache_key = NULL;
	return &module->module;
}

static void hb_deinit(struct passdb_module *_module)
{
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)_module;

	/* first: its calls in flight fall back to the director client */
	if (module->redis != NULL)
		redis_route_destroy(&module->redis);
	if (module->client != NULL) {
		director_client_destroy(&module->client,
					"auth process is shutting down");
	}
	if (module->userdb_client != NULL) {
		director_client_destroy(&module->userdb_client,
					"auth process is shutting down");
	}
}

/* finishing a request */

static struct hummingbird_request *hb_request_new(struct auth_request *request)
{
	struct hummingbird_request *hreq;

	hreq = p_new(request->pool, struct hummingbird_request, 1);
	auth_request_ref(request);
	hreq->request = request;
	return hreq;
}

/* Call the passdb callback exactly once and drop our reference. */
static void hb_request_finish(struct hummingbird_request *hreq,
			      enum passdb_result result)
{
	struct auth_request *request = hreq->request;

	if (result != PASSDB_RESULT_OK && request->passdb_success) {
		/* an earlier passdb had result_success=continue-ok: Dovecot
		   would turn our failure into a success without proxy
		   fields, and the frontend would serve the user itself */
		e_warning(authdb_event(request), "not routed, so failing the "
			  "login although an earlier passdb succeeded (use "
			  "result_success=continue there, not continue-ok)");
		request->passdb_success = FALSE;
	}
	if (hreq->lookup_credentials != NULL) {
		/* a hosted mailbox's hash, else none of our own: passes for
		   a plain lookup, or uses an earlier passdb's (delayed_credentials) */
		passdb_handle_credentials(result, hreq->credentials,
					  hreq->scheme,
					  hreq->lookup_credentials, request);
	} else {
		hreq->verify_plain(result, request);
	}
	auth_request_unref(&request);
}

/* PATH is "redis" (fast path), "cache" (a fast-path answer reused) or
   "director": a named event that Dovecot's
   stats can count per path and backend (metric in conf.d/dovecot-proxy.conf.ext),
   since the director's own /metrics no longer sees fast-path logins. */
static void hb_set_proxy_fields(struct hummingbird_request *hreq,
				const struct director_reply *reply,
				const char *path)
{
	struct auth_request *request = hreq->request;
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;

	auth_request_set_field(request, "proxy", "y", NULL);
	auth_request_set_field(request, "host", reply->host, NULL);
	auth_request_set_field(request, "hostip", reply->host, NULL);
	auth_request_set_field(request, "port", reply->port, NULL);
	/* an earlier passdb that verified the password may have set one;
	   nopassword would then only log an error */
	if (module->nopassword && !request->fields.skip_password_check)
		auth_request_set_field(request, "nopassword", "y", NULL);
	struct event_passthrough *e =
		event_create_passthrough(authdb_event(request))->
		set_name("hummingbird_route_finished")->
		add_str("path", path)->add_str("backend", reply->backend);
	e_debug(e->event(), "%s: backend %s (%s:%s)", path,
		reply->backend, reply->host, reply->port);
}

/* LINE is the director's reply to hreq->id, or NULL with ERROR. */
static void hb_lookup_callback(const char *line, const char *error,
			       void *context)
{
	struct hummingbird_request *hreq = context;
	struct auth_request *request = hreq->request;
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;
	char copy[DIRECTOR_PROTO_MAX_LINE + 2];
	struct director_reply parsed, *reply = &parsed;

	if (line != NULL) {
		i_strocpy(copy, line, sizeof(copy));
		if (director_reply_parse(copy, hreq->id, &parsed, &error) < 0) {
			error = t_strdup_printf("invalid reply (%s): %s", error,
						str_sanitize(line, 160));
			line = NULL;
		}
	}
	if (line == NULL) {
		e_error(authdb_event(request), "director lookup via %s failed: "
			"%s (temporary failure)", module->socket_path, error);
		hb_request_finish(hreq, PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	switch (reply->type) {
	case DIRECTOR_REPLY_OK:
		hb_set_proxy_fields(hreq, reply, "director");
		hb_request_finish(hreq, PASSDB_RESULT_OK);
		return;
	case DIRECTOR_REPLY_TEMPFAIL:
		e_error(authdb_event(request), "director answered TEMPFAIL: "
			"%s (temporary failure)", reply->reason);
		hb_request_finish(hreq, PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	case DIRECTOR_REPLY_FAIL:
		e_info(authdb_event(request), "director refused the user: %s",
		       reply->reason);
		hb_request_finish(hreq, PASSDB_RESULT_USER_UNKNOWN);
		return;
	case DIRECTOR_REPLY_ERROR:
		break;
	}
	e_error(authdb_event(request), "director did not accept the "
		"request: %s (temporary failure)", reply->reason);
	hb_request_finish(hreq, PASSDB_RESULT_INTERNAL_FAILURE);
}

/* A service without backend ports (e.g. smtp for Postfix SASL): an earlier
   passdb's authentication passes through unchanged, with nothing to route;
   without one this passdb cannot authenticate anybody. */
static void hb_unrouted_service(struct hummingbird_request *hreq,
				const char *service)
{
	struct auth_request *request = hreq->request;

	if (request->fields.skip_password_check || hreq->verified) {
		e_debug(authdb_event(request), "service %s is not routed: "
			"passing the earlier authentication through", service);
		hb_request_finish(hreq, PASSDB_RESULT_OK);
		return;
	}
	e_error(authdb_event(request), "service %s cannot be routed by the "
		"director (supported: imap pop3 lmtp submission sieve "
		"doveadm); use another passdb for it", service);
	hb_request_finish(hreq, PASSDB_RESULT_USER_UNKNOWN);
}

/* Ask the director; the request always ends in hb_request_finish(). */
static void hb_ask_director(struct hummingbird_request *hreq)
{
	struct auth_request *request = hreq->request;
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;
	const char *service = request->fields.service;
	const char *id, *error;
	char line[DIRECTOR_PROTO_MAX_LINE + 2];

	id = dec2str(++module->last_id);
	i_strocpy(hreq->id, id, sizeof(hreq->id));
	if (director_request_build(line, sizeof(line), id, service,
				   request->fields.user, &error) < 0) {
		e_info(authdb_event(request), "not asking the director: %s",
		       error);
		hb_request_finish(hreq, PASSDB_RESULT_USER_UNKNOWN);
		return;
	}
	/* not in preinit/init: auth-worker processes load this module too,
	   but only the auth process itself ever looks a user up */
	if (module->client == NULL) {
		module->client = director_client_create(module->socket_path,
							module->timeout_msecs);
	}
	if (director_lookup_start(module->client, id, line,
				  hb_lookup_callback, hreq, &error) < 0) {
		e_error(authdb_event(request), "director lookup failed: %s "
			"(temporary failure)", error);
		hb_request_finish(hreq, PASSDB_RESULT_INTERNAL_FAILURE);
	}
}

static void hb_redis_route_callback(const struct redis_route_answer *answer,
				    void *context)
{
	struct hummingbird_request *hreq = context;
	struct director_reply reply;
	const char *error;

	if (!answer->routed) {
		e_debug(authdb_event(hreq->request), "Redis fast path: %s, "
			"asking the director", answer->why);
		hb_ask_director(hreq);
		return;
	}
	i_zero(&reply);
	reply.type = DIRECTOR_REPLY_OK;
	reply.backend = answer->backend;
	reply.host = answer->host;
	reply.port = answer->port;
	if (director_reply_check_ok(answer->backend, answer->host,
				    answer->port, &error) < 0) {
		e_error(authdb_event(hreq->request), "Redis fast path: %s "
			"(backend %s), asking the director", error,
			str_sanitize(answer->backend, 64));
		hb_ask_director(hreq);
		return;
	}
	hb_set_proxy_fields(hreq, &reply, answer->cached ? "cache" : "redis");
	hb_request_finish(hreq, PASSDB_RESULT_OK);
}

/* Route the request: from Redis when the user has a live assignment, else
   (or without config=) through the director. */
static void hb_lookup(struct hummingbird_request *hreq)
{
	struct auth_request *request = hreq->request;
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;
	const char *service = request->fields.service;

	if (hreq->verified && !module->route) {
		hb_request_finish(hreq, PASSDB_RESULT_OK);
		return;
	}
	if (director_service_name(service) == NULL) {
		hb_unrouted_service(hreq, service == NULL ? "(none)" : service);
		return;
	}
	if (module->redis_config == NULL) {
		hb_ask_director(hreq);
		return;
	}
	/* not in preinit/init: auth-worker processes load this module too */
	if (module->redis == NULL)
		module->redis = redis_route_create(module->redis_config,
						   auth_event);
	redis_route_start(module->redis, request->fields.user, service,
			  hb_redis_route_callback, hreq);
}

/* hosted mailboxes (userdb_socket=) */

/* The stored hash is checked by Dovecot itself, so every scheme it knows
   works; only a verified login goes on to routing. */
static void hb_hosted_user(struct hummingbird_request *hreq,
			   const struct director_userdb_reply *reply)
{
	struct auth_request *request = hreq->request;
	const char *crypted = reply->password;
	const char *scheme = password_get_scheme(&crypted);
	int ret;

	if (scheme == NULL) {
		e_error(authdb_event(request), "stored password has no "
			"{SCHEME} prefix (temporary failure)");
		hb_request_finish(hreq, PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	if (reply->quota_rule != NULL) {
		/* for userdb { driver = prefetch } */
		auth_request_set_field(request, "userdb_quota_rule",
				       reply->quota_rule, NULL);
	}
	if (hreq->verify_plain == NULL) {
		hreq->credentials = p_strdup(request->pool, crypted);
		hreq->scheme = p_strdup(request->pool, scheme);
		hreq->verified = TRUE;
		hb_lookup(hreq);
		return;
	}
	ret = auth_request_password_verify(request, hreq->password, crypted,
					   scheme, AUTH_SUBSYS_DB);
	if (ret <= 0) {
		hb_request_finish(hreq, ret == 0 ? PASSDB_RESULT_PASSWORD_MISMATCH :
				  PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	hreq->verified = TRUE;
	hb_lookup(hreq);
}

static void hb_hosted_callback(const struct director_userdb_reply *reply,
			       const char *error, void *context)
{
	struct hummingbird_request *hreq = context;

	switch (hosted_outcome(hreq->request, reply, error)) {
	case HOSTED_USER:
		hb_hosted_user(hreq, reply);
		return;
	case HOSTED_UNKNOWN:
		hb_request_finish(hreq, PASSDB_RESULT_USER_UNKNOWN);
		return;
	case HOSTED_DISABLED:
		hb_request_finish(hreq, PASSDB_RESULT_USER_DISABLED);
		return;
	case HOSTED_TEMPFAIL:
		break;
	}
	hb_request_finish(hreq, PASSDB_RESULT_INTERNAL_FAILURE);
}

/* Ask the userdb socket for the mailbox's record, then check and route. */
static void hb_hosted(struct hummingbird_request *hreq)
{
	struct auth_request *request = hreq->request;
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;

	if (module->userdb_client == NULL) {
		module->userdb_client = director_client_create(
			module->userdb_socket, module->timeout_msecs);
	}
	hosted_lookup_start(module->userdb_client, dec2str(++module->last_id),
			    request->fields.user, hb_hosted_callback, hreq);
}

/* passdb interface */

static void hb_verify_plain(struct auth_request *request,
			    const char *password,
			    verify_plain_callback_t *callback)
{
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;
	struct hummingbird_request *hreq = hb_request_new(request);

	hreq->verify_plain = callback;
	if (module->userdb_socket != NULL) {
		hreq->password = p_strdup(request->pool, password);
		hb_hosted(hreq);
		return;
	}
	if (!module->nopassword && !request->fields.skip_password_check) {
		e_error(authdb_event(request), "refusing to authenticate: no "
			"earlier passdb verified the password and nopassword=y "
			"is not set (put an authenticating passdb with "
			"result_success=continue first and skip=unauthenticated "
			"here, or set nopassword=y so that the backend checks "
			"the password)");
		hb_request_finish(hreq, PASSDB_RESULT_PASSWORD_MISMATCH);
		return;
	}
	hb_lookup(hreq);
}

static void hb_lookup_credentials(struct auth_request *request,
				  lookup_credentials_callback_t *callback)
{
	struct hummingbird_passdb_module *module =
		(struct hummingbird_passdb_module *)request->passdb->passdb;
	struct hummingbird_request *hreq = hb_request_new(request);
	const char *scheme = request->wanted_credentials_scheme;

	hreq->lookup_credentials = callback;
	if (module->userdb_socket != NULL) {
		/* the stored hash serves mechanisms that can use it */
		hb_hosted(hreq);
		return;
	}
	/* "" = a plain passdb lookup (LMTP/doveadm proxy, doveadm auth
	   lookup): routing only.  Otherwise a non-plaintext SASL mechanism
	   wants a password we do not have, unless an earlier passdb gave it. */
	if (scheme != NULL && scheme[0] != '\0' &&
	    request->fields.delayed_credentials == NULL) {
		e_info(authdb_event(request), "no %s credentials: the "
		       "hummingbird passdb has no passwords (use a plaintext "
		       "mechanism, or put a passdb with passwords first)",
		       scheme);
		hb_request_finish(hreq, PASSDB_RESULT_SCHEME_NOT_AVAILABLE);
		return;
	}
	hb_lookup(hreq);
}

static struct passdb_module_interface passdb_hummingbird = {
	.name = "hummingbird",
	.preinit = hb_preinit,
	.deinit = hb_deinit,
	.verify_plain = hb_verify_plain,
	.lookup_credentials = hb_lookup_credentials,
};

/* module entry points, named after libauthdb_hummingbird.so */

void authdb_hummingbird_init(void);
void authdb_hummingbird_deinit(void);
extern const char *authdb_hummingbird_version;

const char *authdb_hummingbird_version = DOVECOT_ABI_VERSION;

/* userdb-hummingbird.c */
extern struct userdb_module_interface userdb_hummingbird;

void authdb_hummingbird_init(void)
{
	passdb_register_module(&passdb_hummingbird);
	userdb_register_module(&userdb_hummingbird);
}

void authdb_hummingbird_deinit(void)
{
	userdb_unregister_module(&userdb_hummingbird);
	passdb_unregister_module(&passdb_hummingbird);
}
