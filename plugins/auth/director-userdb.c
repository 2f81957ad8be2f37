/* director-userdb.c - USERDB request and reply (docs/DOMAINS.md, 6).  A USER
 * reply must carry a user and a "{SCHEME}..." password; unknown fields are
 * ignored (a newer director may send more), repeated ones are an error. */
#include "director-userdb.h"
#include "director-reply.h"

#include <stdio.h>
#include <string.h>

#define USERDB_MAX_FIELDS 16

static int has_controls(const char *s, int tab_ok)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && !(tab_ok && *p == '\t')) || *p == 0x7f)
			return 1;
	}
	return 0;
}

int director_userdb_request_build(char *buf, size_t size, const char *id,
				  const char *user, const char **error_r)
{
	int len;

	if (!director_id_valid(id)) {
		*error_r = "invalid request id";
		return -1;
	}
	if (strlen(user) == 0 || strlen(user) > DIRECTOR_PROTO_MAX_USER ||
	    has_controls(user, 0) || strchr(user, ' ') != NULL) {
		*error_r = "user name is empty, too long or has spaces or "
			   "control characters";
		return -1;
	}
	len = snprintf(buf, size, "USERDB\t%s\t%s\n", id, user);
	if (len < 0 || (size_t)len >= size ||
	    (size_t)len > DIRECTOR_PROTO_MAX_LINE + 1) {
		*error_r = "request line too long";
		return -1;
	}
	return len;
}

static int parse_type(const char *word, enum director_userdb_type *type_r)
{
	static const struct {
		const char *word;
		enum director_userdb_type type;
	} types[] = {
		{ "USER", DIRECTOR_USERDB_USER },
		{ "NOUSER", DIRECTOR_USERDB_NOUSER },
		{ "DISABLED", DIRECTOR_USERDB_DISABLED },
		{ "TEMPFAIL", DIRECTOR_USERDB_TEMPFAIL },
		{ "FAIL", DIRECTOR_USERDB_FAIL },
		{ "ERROR", DIRECTOR_USERDB_ERROR },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(types[i].word, word) == 0) {
			*type_r = types[i].type;
			return 0;
		}
	}
	return -1;
}

/* One "key=value" field of a USER reply. */
static int parse_field(char *field, struct director_userdb_reply *r,
		       const char **error_r)
{
	char *eq = strchr(field, '=');
	const char **slot = NULL;

	if (eq == NULL || eq == field) {
		*error_r = "USER reply has a field without key=value";
		return -1;
	}
	*eq = '\0';
	if (strcmp(field, "user") == 0)
		slot = &r->user;
	else if (strcmp(field, "password") == 0)
		slot = &r->password;
	else if (strcmp(field, "quota_rule") == 0)
		slot = &r->quota_rule;
	if (slot == NULL)
		return 0;
	if (*slot != NULL) {
		*error_r = "USER reply repeats a field";
		return -1;
	}
	*slot = eq + 1;
	return 0;
}

static int parse_user(char **fields, unsigned int n,
		      struct director_userdb_reply *r, const char **error_r)
{
	unsigned int i;

	for (i = 2; i < n; i++) {
		if (parse_field(fields[i], r, error_r) < 0)
			return -1;
	}
	if (r->user == NULL || r->user[0] == '\0' ||
	    strlen(r->user) > DIRECTOR_PROTO_MAX_USER) {
		*error_r = "USER reply without a valid user";
		return -1;
	}
	if (r->password == NULL || r->password[0] != '{' ||
	    strchr(r->password, '}') == NULL) {
		*error_r = "USER reply without a {SCHEME} password";
		return -1;
	}
	if (r->quota_rule != NULL && r->quota_rule[0] == '\0') {
		*error_r = "USER reply has an empty quota_rule";
		return -1;
	}
	return 0;
}

int director_userdb_parse(char *line, const char *expect_id,
			  struct director_userdb_reply *reply_r,
			  const char **error_r)
{
	char *fields[USERDB_MAX_FIELDS];
	unsigned int n = 0;
	char *p = line;

	memset(reply_r, 0, sizeof(*reply_r));
	reply_r->reason = "";
	if (strlen(line) > DIRECTOR_PROTO_MAX_LINE || has_controls(line, 1)) {
		*error_r = "reply too long or has control characters";
		return -1;
	}
	fields[n++] = p;
	while ((p = strchr(p, '\t')) != NULL) {
		if (n == USERDB_MAX_FIELDS) {
			*error_r = "reply has too many fields";
			return -1;
		}
		*p++ = '\0';
		fields[n++] = p;
	}
	if (parse_type(fields[0], &reply_r->type) < 0) {
		*error_r = "unknown reply type";
		return -1;
	}
	if (n < 2 || (strcmp(fields[1], expect_id) != 0 &&
		      !(reply_r->type == DIRECTOR_USERDB_ERROR &&
			strcmp(fields[1], "-") == 0))) {
		*error_r = "reply is for another request id";
		return -1;
	}
	if (reply_r->type == DIRECTOR_USERDB_USER)
		return parse_user(fields, n, reply_r, error_r);
	if (reply_r->type == DIRECTOR_USERDB_NOUSER) {
		if (n != 2) {
			*error_r = "NOUSER reply has extra fields";
			return -1;
		}
		return 0;
	}
	/* the reason is free text: rejoin what the split cut */
	if (n >= 3) {
		unsigned int i;

		for (i = 3; i < n; i++)
			fields[i][-1] = '\t';
		reply_r->reason = fields[2];
	}
	return 0;
}
