/* proto.c - the one parser of the director lookup protocol.  Input is
 * untrusted (any local process may connect): every field is bounded and
 * checked before use, and nothing here allocates. */
#include "proto.h"

#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 5

static int id_valid(const char *id, size_t len)
{
	if (len == 0 || len > HB_PROTO_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Split LINE at tabs into FIELDS (pointers into COPY); returns the count or -1. */
static int split_fields(const char *line, char *copy, size_t copy_size,
			char **fields)
{
	int count = 0;
	char *p;

	if (strlen(line) >= copy_size)
		return -1;
	strcpy(copy, line);
	p = copy;
	fields[count++] = p;
	while ((p = strchr(p, '\t')) != NULL) {
		if (count == MAX_FIELDS)
			return -1;
		*p++ = '\0';
		fields[count++] = p;
	}
	return count;
}

static enum proto_parse_result parse_lookup(char **fields, int count, const char *delim,
					    struct proto_request *req, const char **reason_r)
{
	const char *error;

	if (count != 4) {
		*reason_r = "LOOKUP needs ID, SERVICE and USER";
		return PROTO_PARSE_ERROR;
	}
	req->command = PROTO_LOOKUP;
	if (hb_service_parse(fields[2], &req->service) < 0) {
		*reason_r = "unknown service";
		return PROTO_PARSE_FAIL;
	}
	if (hb_user_normalize(fields[3], delim, req->user, &error) < 0) {
		*reason_r = error;
		return PROTO_PARSE_FAIL;
	}
	return PROTO_PARSE_OK;
}

enum proto_parse_result proto_parse_request(const char *line, const char *delim,
					    struct proto_request *req,
					    const char **reason_r)
{
	char copy[HB_PROTO_MAX_LINE + 1];
	char *fields[MAX_FIELDS];
	int count;

	memset(req, 0, sizeof(*req));
	strcpy(req->id, "-");
	count = split_fields(line, copy, sizeof(copy), fields);
	if (count < 0) {
		*reason_r = "malformed request";
		return PROTO_PARSE_ERROR;
	}
	if (count < 2 || !id_valid(fields[1], strlen(fields[1]))) {
		*reason_r = "missing or invalid request id";
		return PROTO_PARSE_ERROR;
	}
	strcpy(req->id, fields[1]);
	if (strcmp(fields[0], "LOOKUP") == 0)
		return parse_lookup(fields, count, delim, req, reason_r);
	if (strcmp(fields[0], "USERDB") == 0) {
		if (count != 3 || fields[2][0] == '\0') {
			*reason_r = "USERDB needs ID and USER";
			return PROTO_PARSE_ERROR;
		}
		if (strlen(fields[2]) > HB_USER_MAX) {
			*reason_r = "user name too long";
			return PROTO_PARSE_FAIL;
		}
		req->command = PROTO_USERDB;
		strcpy(req->user, fields[2]);
		return PROTO_PARSE_OK;
	}
	if (strcmp(fields[0], "PING") == 0 && count == 2) {
		req->command = PROTO_PING;
		return PROTO_PARSE_OK;
	}
	*reason_r = "unknown command";
	return PROTO_PARSE_ERROR;
}
