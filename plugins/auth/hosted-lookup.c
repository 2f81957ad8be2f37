/* hosted-lookup.c - one USERDB request over the module's kept connections to
 * the director's userdb socket (director-lookup.c), its reply parsed by
 * director-userdb.c.  A reply that does not parse is an error, never a user. */
#include "auth-common.h"
#include "auth-request.h"
#include "str-sanitize.h"
#include "hosted-lookup.h"

#define HOSTED_LOG_MAX_REPLY 160

struct hosted_lookup {
	char id[DIRECTOR_PROTO_MAX_ID + 1];
	hosted_lookup_callback_t *callback;
	void *context;
};

static void hosted_lookup_line(const char *line, const char *error, void *ctx)
{
	struct hosted_lookup *hl = ctx;
	hosted_lookup_callback_t *callback = hl->callback;
	void *context = hl->context;
	char copy[DIRECTOR_PROTO_MAX_LINE + 2], id[DIRECTOR_PROTO_MAX_ID + 1];
	struct director_userdb_reply reply;
	const char *parse_error;

	i_strocpy(id, hl->id, sizeof(id));
	i_free(hl);
	if (line == NULL) {
		callback(NULL, error, context);
		return;
	}
	i_strocpy(copy, line, sizeof(copy));
	if (director_userdb_parse(copy, id, &reply, &parse_error) < 0) {
		callback(NULL, t_strdup_printf("invalid reply (%s): %s", parse_error,
				str_sanitize(line, HOSTED_LOG_MAX_REPLY)), context);
		return;
	}
	callback(&reply, NULL, context);
}

void hosted_lookup_start(struct director_client *client, const char *id,
			 const char *user, hosted_lookup_callback_t *callback,
			 void *context)
{
	char line[DIRECTOR_PROTO_MAX_LINE + 2];
	struct director_userdb_reply fail;
	struct hosted_lookup *hl;
	const char *error;

	if (director_userdb_request_build(line, sizeof(line), id, user, &error) < 0) {
		i_zero(&fail);
		fail.type = DIRECTOR_USERDB_FAIL;
		fail.reason = error;
		callback(&fail, NULL, context);
		return;
	}
	hl = i_new(struct hosted_lookup, 1);
	i_strocpy(hl->id, id, sizeof(hl->id));
	hl->callback = callback;
	hl->context = context;
	if (director_lookup_start(client, id, line, hosted_lookup_line, hl,
				  &error) < 0) {
		i_free(hl);
		callback(NULL, error, context);
	}
}

enum hosted_outcome hosted_outcome(struct auth_request *request,
				   const struct director_userdb_reply *reply,
				   const char *error)
{
	if (reply == NULL) {
		e_error(authdb_event(request), "userdb lookup failed: %s "
			"(temporary failure)", error);
		return HOSTED_TEMPFAIL;
	}
	switch (reply->type) {
	case DIRECTOR_USERDB_USER:
		return HOSTED_USER;
	case DIRECTOR_USERDB_NOUSER:
	case DIRECTOR_USERDB_FAIL:
		e_info(authdb_event(request), "no such hosted mailbox%s%s",
		       reply->reason[0] == '\0' ? "" : ": ", reply->reason);
		return HOSTED_UNKNOWN;
	case DIRECTOR_USERDB_DISABLED:
		e_info(authdb_event(request), "refused: %s", reply->reason);
		return HOSTED_DISABLED;
	case DIRECTOR_USERDB_TEMPFAIL:
	case DIRECTOR_USERDB_ERROR:
		break;
	}
	e_error(authdb_event(request), "userdb lookup: %s (temporary failure)",
		reply->reason);
	return HOSTED_TEMPFAIL;
}
