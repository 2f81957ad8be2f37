/* userdb-hummingbird.c - Dovecot 2.3 userdb `driver = hummingbird`: the quota
 * of a hosted mailbox (quota_rule, docs/DOMAINS.md 6) from the director's
 * userdb socket.  Nothing else: uid, gid, home and mail stay with the
 * operator's settings (userdb_* defaults or another userdb).  A suspended or
 * unknown mailbox is "user unknown"; every doubt a temporary failure. */
#include "auth-common.h"
#include "userdb.h"
#include "strnum.h"
#include "hosted-lookup.h"

#define HB_USERDB_DEFAULT_SOCKET "/run/hummingbird/userdb.sock"
#define HB_USERDB_DEFAULT_TIMEOUT_MSECS 5000
#define HB_USERDB_MAX_TIMEOUT_MSECS 300000

struct hummingbird_userdb_module {
	struct userdb_module module;	/* must be first */
	const char *socket_path;
	unsigned int timeout_msecs;
	unsigned int last_id;
	struct director_client *client;	/* created at the first lookup */
};

struct hummingbird_userdb_request {
	struct auth_request *request;
	userdb_callback_t *callback;
};

extern struct userdb_module_interface userdb_hummingbird;

static void hb_userdb_parse_arg(struct hummingbird_userdb_module *module,
				pool_t pool, const char *arg)
{
	if (str_begins(arg, "userdb_socket=") || str_begins(arg, "socket=")) {
		const char *value = strchr(arg, '=') + 1;

		if (value[0] != '/')
			i_fatal("userdb hummingbird: %s: must be an absolute "
				"path", arg);
		module->socket_path = p_strdup(pool, value);
	} else if (str_begins(arg, "timeout=")) {
		if (str_to_uint(arg + 8, &module->timeout_msecs) < 0 ||
		    module->timeout_msecs == 0 ||
		    module->timeout_msecs > HB_USERDB_MAX_TIMEOUT_MSECS)
			i_fatal("userdb hummingbird: %s: must be 1..%u "
				"milliseconds", arg, HB_USERDB_MAX_TIMEOUT_MSECS);
	} else {
		i_fatal("userdb hummingbird: Unknown setting: %s (known: "
			"userdb_socket=PATH timeout=MSECS)", arg);
	}
}

static struct userdb_module *hb_userdb_preinit(pool_t pool, const char *args)
{
	struct hummingbird_userdb_module *module;
	const char *const *arg;

	module = p_new(pool, struct hummingbird_userdb_module, 1);
	module->socket_path = HB_USERDB_DEFAULT_SOCKET;
	module->timeout_msecs = HB_USERDB_DEFAULT_TIMEOUT_MSECS;
	for (arg = t_strsplit_spaces(args, " "); *arg != NULL; arg++)
		hb_userdb_parse_arg(module, pool, *arg);
	/* no caching by default: a suspension must take effect at once */
	module->module.default_cache_key = NULL;
	return &module->module;
}

static void hb_userdb_deinit(struct userdb_module *_module)
{
	struct hummingbird_userdb_module *module =
		(struct hummingbird_userdb_module *)_module;

	if (module->client != NULL) {
		director_client_destroy(&module->client,
					"auth process is shutting down");
	}
}

static void hb_userdb_finish(struct hummingbird_userdb_request *ureq,
			     enum userdb_result result)
{
	struct auth_request *request = ureq->request;

	ureq->callback(result, request);
	auth_request_unref(&request);
}

static void hb_userdb_callback(const struct director_userdb_reply *reply,
			       const char *error, void *context)
{
	struct hummingbird_userdb_request *ureq = context;

	switch (hosted_outcome(ureq->request, reply, error)) {
	case HOSTED_USER:
		if (reply->quota_rule != NULL) {
			auth_request_set_userdb_field(ureq->request, "quota_rule",
						      reply->quota_rule);
		}
		hb_userdb_finish(ureq, USERDB_RESULT_OK);
		return;
	case HOSTED_UNKNOWN:
	case HOSTED_DISABLED:
		hb_userdb_finish(ureq, USERDB_RESULT_USER_UNKNOWN);
		return;
	case HOSTED_TEMPFAIL:
		break;
	}
	hb_userdb_finish(ureq, USERDB_RESULT_INTERNAL_FAILURE);
}

static void hb_userdb_lookup(struct auth_request *request,
			     userdb_callback_t *callback)
{
	struct hummingbird_userdb_module *module =
		(struct hummingbird_userdb_module *)request->userdb->userdb;
	struct hummingbird_userdb_request *ureq;

	ureq = p_new(request->pool, struct hummingbird_userdb_request, 1);
	auth_request_ref(request);
	ureq->request = request;
	ureq->callback = callback;
	if (module->client == NULL) {
		module->client = director_client_create(module->socket_path,
							module->timeout_msecs);
	}
	hosted_lookup_start(module->client, dec2str(++module->last_id),
			    request->fields.user, hb_userdb_callback, ureq);
}

struct userdb_module_interface userdb_hummingbird = {
	.name = "hummingbird",
	.preinit = hb_userdb_preinit,
	.deinit = hb_userdb_deinit,
	.lookup = hb_userdb_lookup,
};
