/* body.c - strict reading of admind's JSON request bodies: one object with
 * exactly the fields an endpoint's schema names, each of its type and within
 * its bounds.  Unknown and duplicate keys are refused, never ignored, so a
 * smuggled "domain" can never reach a handler.  Parsing is lib/hb-json.c. */
#include "api.h"
#include "hb-utf8.h"
#include "hb-addr.h"
#include "hb-policy.h"
#include "hb-secret.h"

#include <string.h>

#define POLICY_PAIRS_MAX 16
#define ALIAS_TARGETS_MAX 15

static const struct admind_field login_fields[] = {
	{ "admin", ADMIND_FIELD_STRING, 1, 64, 0 },
	{ "password", ADMIND_FIELD_STRING, 1, HB_SECRET_MAX, 0 },
};
static const struct admind_field password_fields[] = {
	{ "old", ADMIND_FIELD_STRING, 1, HB_SECRET_MAX, 0 },
	{ "new", ADMIND_FIELD_STRING, 1, HB_SECRET_MAX, 0 },
};
static const struct admind_field user_fields[] = {
	{ "local", ADMIND_FIELD_STRING, 1, HB_LOCAL_MAX * 4, 0 },
	{ "password", ADMIND_FIELD_STRING, 0, HB_SECRET_MAX, 0 },
	{ "quota", ADMIND_FIELD_STRING, 0, HB_POLICY_VALUE_MAX, 0 },
};
static const struct admind_field alias_fields[] = {
	{ "local", ADMIND_FIELD_STRING, 1, HB_LOCAL_MAX * 4, 0 },
	{ "targets", ADMIND_FIELD_STRINGS, 1, HB_ADDR_MAX * 4, ALIAS_TARGETS_MAX },
};
static const struct admind_field sender_fields[] = {
	{ "sender", ADMIND_FIELD_STRING, 1, HB_ADDR_MAX * 4, 0 },
};
static const struct admind_field policy_fields[] = {
	{ "values", ADMIND_FIELD_MAP, 1, HB_POLICY_VALUE_MAX, POLICY_PAIRS_MAX },
};

#define SCHEMA(f) { f, sizeof(f) / sizeof(f[0]) }
static const struct admind_schema login_schema = SCHEMA(login_fields);
static const struct admind_schema password_schema = SCHEMA(password_fields);
static const struct admind_schema user_schema = SCHEMA(user_fields);
static const struct admind_schema alias_schema = SCHEMA(alias_fields);
static const struct admind_schema sender_schema = SCHEMA(sender_fields);
static const struct admind_schema policy_schema = SCHEMA(policy_fields);

const struct admind_schema *admind_endpoint_schema(enum admind_endpoint endpoint)
{
	switch (endpoint) {
	case ADMIND_EP_LOGIN: return &login_schema;
	case ADMIND_EP_PASSWORD: return &password_schema;
	case ADMIND_EP_USER_ADD: return &user_schema;
	case ADMIND_EP_ALIAS_ADD: return &alias_schema;
	case ADMIND_EP_SENDER_ALLOW: return &sender_schema;
	case ADMIND_EP_POLICY_SET: return &policy_schema;
	default: return NULL;
	}
}

/* A string of at most MAX bytes of valid UTF-8 (the JSON reader decodes
 * escapes but does not check raw bytes). */
static int string_ok(const struct hb_jnode *node, size_t max)
{
	size_t len;

	if (node->type != HB_JSTRING)
		return 0;
	len = strlen(node->str);
	if (len > max)
		return 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = hb_utf8_decode((const unsigned char *)node->str + i, len - i, &cp);

		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* A list of strings, or a map of strings without duplicate keys. */
static int items_ok(const struct hb_jdoc *doc, const struct admind_field *field,
		    const struct hb_jnode *node, struct admind_error *err)
{
	int map = field->type == ADMIND_FIELD_MAP;
	size_t n = 0;

	if (node->type != (map ? HB_JOBJECT : HB_JARRAY))
		return admind_error_set(err, 400, "bad_body", "%s must be %s", field->name,
					map ? "an object of strings" : "a list of strings");
	for (const struct hb_jnode *it = hb_json_first(doc, node); it != NULL;
	     it = hb_json_next(doc, it), n++) {
		if (!string_ok(it, field->max_len))
			return admind_error_set(err, 400, "bad_body", "%s: every item must be a string of at most %zu bytes",
						field->name, field->max_len);
		if (map && n % 2 == 0) {
			for (const struct hb_jnode *k = hb_json_first(doc, node); k != it;
			     k = hb_json_next(doc, hb_json_next(doc, k))) {
				if (strcmp(k->str, it->str) == 0)
					return admind_error_set(err, 400, "bad_body", "%s: duplicate key", field->name);
			}
		}
	}
	if ((map ? n / 2 : n) > field->max_items || n == 0)
		return admind_error_set(err, 400, "bad_body", "%s: 1..%zu items", field->name, field->max_items);
	return 0;
}

static int field_ok(const struct hb_jdoc *doc, const struct admind_field *field,
		    const struct hb_jnode *value, struct admind_error *err)
{
	if (field->type != ADMIND_FIELD_STRING)
		return items_ok(doc, field, value, err);
	if (!string_ok(value, field->max_len))
		return admind_error_set(err, 400, "bad_body", "%s must be a string of at most %zu bytes",
					field->name, field->max_len);
	return 0;
}

/* Match each key of the root object to the schema: unknown, duplicate or
 * mistyped fields are refused. */
static int take_fields(const struct admind_schema *schema, struct admind_body *body,
		       struct admind_error *err)
{
	const struct hb_jnode *root = hb_json_root(body->doc);

	if (root == NULL || root->type != HB_JOBJECT)
		return admind_error_set(err, 400, "bad_body", "the body must be a JSON object");
	for (const struct hb_jnode *k = hb_json_first(body->doc, root); k != NULL;
	     k = hb_json_next(body->doc, hb_json_next(body->doc, k))) {
		size_t i = 0;

		while (i < schema->count && strcmp(schema->fields[i].name, k->str) != 0)
			i++;
		if (i == schema->count)
			return admind_error_set(err, 400, "bad_body", "unknown field in the body");
		if (body->value[i] != NULL)
			return admind_error_set(err, 400, "bad_body", "duplicate field %s", schema->fields[i].name);
		body->value[i] = hb_json_next(body->doc, k);
		if (field_ok(body->doc, &schema->fields[i], body->value[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; i < schema->count; i++) {
		if (schema->fields[i].required && body->value[i] == NULL)
			return admind_error_set(err, 400, "bad_body", "missing field %s", schema->fields[i].name);
	}
	return 0;
}

int admind_body_parse(const struct admind_schema *schema, const char *text, size_t len,
		      struct admind_body *body, struct admind_error *err)
{
	char why[128];

	memset(body, 0, sizeof(*body));
	if (schema->count > ADMIND_BODY_FIELDS_MAX)
		return admind_error_set(err, 500, "internal", "schema too large");
	if (hb_json_parse(text, len, &body->doc, why, sizeof(why)) < 0)
		return admind_error_set(err, 400, "bad_body", "%s", why);
	if (take_fields(schema, body, err) < 0) {
		admind_body_free(body);
		return -1;
	}
	return 0;
}

void admind_body_free(struct admind_body *body)
{
	hb_json_free(&body->doc);
	memset(body->value, 0, sizeof(body->value));
}

const char *admind_body_str(const struct admind_body *body, size_t i)
{
	return i < ADMIND_BODY_FIELDS_MAX && body->value[i] != NULL &&
		body->value[i]->type == HB_JSTRING ? body->value[i]->str : NULL;
}

const struct hb_jnode *admind_body_items(const struct admind_body *body, size_t i)
{
	return i < ADMIND_BODY_FIELDS_MAX && body->value[i] != NULL ?
		hb_json_first(body->doc, body->value[i]) : NULL;
}

const struct hb_jnode *admind_body_next(const struct admind_body *body,
					const struct hb_jnode *item)
{
	return hb_json_next(body->doc, item);
}
