/* fuzz-admind-request.c - libFuzzer target for what hummingbird-admind
 * parses from a client before anything else happens: the request target
 * (admin/route.c), the JSON body of every endpoint's schema (admin/body.c)
 * and the Content-Type and Authorization values (admin/headers.c).  Input:
 * one byte choosing the method, the target up to the first '\n', the body
 * after it.  Parts of an accepted target must lie in the route's buffer and
 * be NUL-terminated; every accepted body field must have its schema's type.
 * Build: tests/fuzz/run-fuzzers.sh admind-request. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../admin/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_part(const struct admind_route *r, const char *part)
{
	if (part == NULL)
		return;
	if (part < r->buf || part >= r->buf + sizeof(r->buf) || strlen(part) == 0 ||
	    strchr(part, '/') != NULL)
		__builtin_trap();
}

static void check_body(const struct admind_schema *schema, const char *text, size_t len)
{
	struct admind_body body;
	struct admind_error err;

	if (admind_body_parse(schema, text, len, &body, &err) < 0) {
		if (err.status != 400 || err.code == NULL || body.doc != NULL)
			__builtin_trap();
		return;
	}
	for (size_t i = 0; i < schema->count; i++) {
		const struct hb_jnode *v = body.value[i];

		if (v == NULL) {
			if (schema->fields[i].required)
				__builtin_trap();
			continue;
		}
		if (schema->fields[i].type == ADMIND_FIELD_STRING &&
		    strlen(admind_body_str(&body, i)) > schema->fields[i].max_len)
			__builtin_trap();
		for (const struct hb_jnode *it = admind_body_items(&body, i);
		     schema->fields[i].type != ADMIND_FIELD_STRING && it != NULL;
		     it = admind_body_next(&body, it)) {
			if (it->type != HB_JSTRING)
				__builtin_trap();
		}
	}
	admind_body_free(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum admind_endpoint with_body[] = {
		ADMIND_EP_LOGIN, ADMIND_EP_USER_ADD, ADMIND_EP_ALIAS_ADD,
		ADMIND_EP_SENDER_ALLOW, ADMIND_EP_POLICY_SET, ADMIND_EP_PASSWORD,
	};
	struct admind_route route;
	struct admind_error err;
	const uint8_t *nl;
	char *uri, token[ADMIND_TOKEN_HEX + 1];
	size_t uri_len;

	if (size < 1)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	uri_len = nl != NULL ? (size_t)(nl - data - 1) : size - 1;
	uri = malloc(uri_len + 1);
	if (uri == NULL)
		return 0;
	memcpy(uri, data + 1, uri_len);
	uri[uri_len] = '\0';
	if (admind_route_parse((enum admind_method)(data[0] % 5), uri, &route, &err) == 0) {
		check_part(&route, route.domain);
		check_part(&route, route.local);
		check_part(&route, route.sender);
		if (route.audit_count < 1 || route.audit_count > ADMIND_AUDIT_MAX)
			__builtin_trap();
	} else if (err.status != 400 && err.status != 404 && err.status != 405) {
		__builtin_trap();
	}
	(void)admind_content_type_ok(uri);
	if (admind_bearer_parse(uri, token) == 0 && strlen(token) != ADMIND_TOKEN_HEX)
		__builtin_trap();
	(void)admind_admin_name_ok(uri);
	free(uri);
	if (nl != NULL) {
		const char *body = (const char *)nl + 1;
		size_t len = size - (size_t)(nl + 1 - data);

		check_body(admind_endpoint_schema(with_body[data[0] % 5]), body, len);
	}
	return 0;
}
