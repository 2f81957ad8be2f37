/* dispatch.c - one request from its target to its reply, in a fixed order
 * that every endpoint passes: route (route.c), who is asking (auth.c; all
 * but login), the domain of the path normalised with lib/hb-addr.c and
 * checked against the admin's grants as they are in Redis now, the local
 * part normalised, the body read strictly (body.c), and only then the
 * endpoint.  The change scripts check scope and caps again atomically. */
#include "admind.h"

#include <string.h>

/* The path's domain must be one granted to the caller; a domain that does
 * not exist looks exactly like one of another customer (403). */
static int check_domain(struct admind_request *req, struct admind_error *err)
{
	const char *error;
	int granted;

	if (hb_domain_normalize(req->route.domain, req->domain, sizeof(req->domain), &error) < 0)
		return admind_error_set(err, 400, "bad_domain", "invalid domain: %s", error);
	if ((granted = admind_granted(req, req->domain, err)) < 0)
		return -1;
	if (!granted)
		return admind_error_set(err, 403, "forbidden", "domain %s is not one of yours", req->domain);
	return 0;
}

/* LOCAL@DOMAIN must be a valid address; REQ->LOCAL gets its normalised local part. */
static int check_local(struct admind_request *req, const char *local, struct admind_error *err)
{
	char address[HB_LOCAL_MAX * 4 + HB_DOMAIN_MAX + 2], domain[HB_DOMAIN_MAX + 1];
	const char *error;

	if (strchr(local, '@') != NULL || strlen(local) > HB_LOCAL_MAX * 4)
		return admind_error_set(err, 422, "bad_value", "invalid local part");
	snprintf(address, sizeof(address), "%s@%s", local, req->domain);
	if (hb_addr_split(address, req->local, sizeof(req->local), domain, sizeof(domain), &error) < 0)
		return admind_error_set(err, 422, "bad_value", "invalid local part: %s", error);
	return 0;
}

static int check_body(struct admind_request *req, struct admind_error *err)
{
	const struct admind_schema *schema = admind_endpoint_schema(req->route.endpoint);

	if (schema == NULL) {
		if (req->body_len != 0)
			return admind_error_set(err, 400, "bad_body", "this request takes no body");
		return 0;
	}
	if (!admind_content_type_ok(req->content_type))
		return admind_error_set(err, 415, "unsupported_media_type",
					"the body must be sent as Content-Type: application/json");
	return admind_body_parse(schema, req->body, req->body_len, &req->json, err);
}

static int prepare(struct admind_request *req, struct admind_error *err)
{
	if (admind_route_parse(req->method, req->uri, &req->route, err) < 0)
		return -1;
	if (req->route.endpoint != ADMIND_EP_LOGIN && admind_authenticate(req, err) < 0)
		return -1;
	if (req->route.domain != NULL && check_domain(req, err) < 0)
		return -1;
	if (req->route.local != NULL && check_local(req, req->route.local, err) < 0)
		return -1;
	return check_body(req, err);
}

static int run(struct admind_request *req, struct admind_reply *reply, struct admind_error *err)
{
	switch (req->route.endpoint) {
	case ADMIND_EP_LOGIN: return admind_login(req, reply, err);
	case ADMIND_EP_LOGOUT: return admind_logout(req, reply, err);
	case ADMIND_EP_SESSION: return admind_session_show(req, reply, err);
	case ADMIND_EP_DOMAIN_LIST: return admind_domain_list(req, reply, err);
	case ADMIND_EP_DOMAIN_SHOW: return admind_domain_show(req, reply, err);
	case ADMIND_EP_POLICY_SHOW: return admind_policy_show(req, reply, err);
	case ADMIND_EP_USER_LIST: return admind_user_list(req, reply, err);
	case ADMIND_EP_ALIAS_LIST: return admind_alias_list(req, reply, err);
	case ADMIND_EP_SENDER_LIST: return admind_sender_list(req, reply, err);
	case ADMIND_EP_AUDIT: return admind_audit(req, reply, err);
	case ADMIND_EP_PASSWORD: return admind_password_change(req, reply, err);
	default: return admind_change(req, reply, err);
	}
}

void admind_dispatch(struct admind_request *req, struct admind_reply *reply)
{
	struct admind_error err;

	if (prepare(req, &err) < 0 || run(req, reply, &err) < 0)
		admind_reply_error(reply, &err);
	admind_body_free(&req->json);
}
