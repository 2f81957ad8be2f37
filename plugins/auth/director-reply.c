/* director-reply.c - build LOOKUP requests and parse the director's replies
 * (docs/DESIGN.md section 3).  The only place in the passdb module that reads
 * bytes from the director; a reply that is not exactly right is an error, so a
 * confused director can never send a login to a wrong or made-up host. */
#include "director-reply.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *dovecot, *proto;
} director_services[] = {
	{ "imap", "imap" },
	{ "pop3", "pop3" },
	{ "lmtp", "lmtp" },
	{ "submission", "submission" },
	{ "sieve", "sieve" },
	{ "managesieve", "sieve" },
	{ "doveadm", "doveadm" },
};

const char *director_service_name(const char *dovecot_service)
{
	size_t i;

	if (dovecot_service == NULL)
		return NULL;
	for (i = 0; i < sizeof(director_services) /
			sizeof(director_services[0]); i++) {
		if (strcmp(director_services[i].dovecot, dovecot_service) == 0)
			return director_services[i].proto;
	}
	return NULL;
}

int director_id_valid(const char *id)
{
	size_t len = strlen(id);
	const char *p;

	if (len == 0 || len > DIRECTOR_PROTO_MAX_ID)
		return 0;
	for (p = id; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-'))
			return 0;
	}
	return 1;
}

/* Framing check only: the director does the full user name validation. */
static int user_valid(const char *user)
{
	size_t len = strlen(user);
	const unsigned char *p;

	if (len == 0 || len > DIRECTOR_PROTO_MAX_USER)
		return 0;
	for (p = (const unsigned char *)user; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	}
	return 1;
}

int director_request_build(char *buf, size_t size, const char *id,
			   const char *service, const char *user,
			   const char **error_r)
{
	int len;

	if (!director_id_valid(id)) {
		*error_r = "invalid request id";
		return -1;
	}
	if (director_service_name(service) == NULL) {
		*error_r = "service not supported by the director";
		return -1;
	}
	if (!user_valid(user)) {
		*error_r = "user name is empty, too long or has "
			   "spaces or control characters";
		return -1;
	}
	len = snprintf(buf, size, "LOOKUP\t%s\t%s\t%s\n", id,
		       director_service_name(service), user);
	if (len < 0 || (size_t)len >= size ||
	    (size_t)len > DIRECTOR_PROTO_MAX_LINE + 1) {
		*error_r = "request line too long";
		return -1;
	}
	return len;
}

static int line_has_controls(const char *line)
{
	const unsigned char *p;

	for (p = (const unsigned char *)line; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 1;
	}
	return 0;
}

/* Split LINE at tabs into at most MAX fields; the last field keeps any
   further tabs (it is a free-text reason). Returns the field count. */
static unsigned int split_fields(char *line, char **fields, unsigned int max)
{
	unsigned int n = 0;
	char *p = line;

	fields[n++] = p;
	while (n < max && (p = strchr(p, '\t')) != NULL) {
		*p++ = '\0';
		fields[n++] = p;
	}
	return n;
}

static int port_valid(const char *port)
{
	unsigned long value = 0;
	const char *p;

	if (*port == '\0' || strlen(port) > 5 || *port == '0')
		return 0;
	for (p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		value = value * 10 + (unsigned long)(*p - '0');
	}
	return value >= 1 && value <= 65535;
}

static int host_valid(const char *host)
{
	unsigned char addr[16];

	if (strlen(host) >= INET6_ADDRSTRLEN)
		return 0;
	return inet_pton(AF_INET, host, addr) == 1 ||
		inet_pton(AF_INET6, host, addr) == 1;
}

int director_reply_check_ok(const char *backend, const char *host,
			    const char *port, const char **error_r)
{
	if (backend[0] == '\0' || strlen(backend) > DIRECTOR_PROTO_MAX_BACKEND) {
		*error_r = "OK reply has an invalid backend name";
		return -1;
	}
	if (!host_valid(host)) {
		*error_r = "OK reply has a host that is not an IP address";
		return -1;
	}
	if (!port_valid(port)) {
		*error_r = "OK reply has an invalid port";
		return -1;
	}
	return 0;
}

/* REST is "BACKEND\tHOST\tPORT" */
static int parse_ok(char *rest, struct director_reply *reply_r,
		    const char **error_r)
{
	char *fields[3] = { NULL, NULL, NULL };

	if (split_fields(rest, fields, 3) != 3 ||
	    strchr(fields[2], '\t') != NULL) {
		*error_r = "OK reply needs exactly 5 fields";
		return -1;
	}
	if (director_reply_check_ok(fields[0], fields[1], fields[2], error_r) < 0)
		return -1;
	reply_r->type = DIRECTOR_REPLY_OK;
	reply_r->backend = fields[0];
	reply_r->host = fields[1];
	reply_r->port = fields[2];
	return 0;
}

static int parse_type(const char *word, enum director_reply_type *type_r)
{
	if (strcmp(word, "OK") == 0)
		*type_r = DIRECTOR_REPLY_OK;
	else if (strcmp(word, "TEMPFAIL") == 0)
		*type_r = DIRECTOR_REPLY_TEMPFAIL;
	else if (strcmp(word, "FAIL") == 0)
		*type_r = DIRECTOR_REPLY_FAIL;
	else if (strcmp(word, "ERROR") == 0)
		*type_r = DIRECTOR_REPLY_ERROR;
	else
		return -1;
	return 0;
}

int director_reply_id(const char *line, char *id_r, size_t size)
{
	const char *start = strchr(line, '\t'), *end;
	size_t len;

	if (start == NULL)
		return -1;
	start++;
	end = strchr(start, '\t');
	len = end == NULL ? strlen(start) : (size_t)(end - start);
	if (len == 0 || len > DIRECTOR_PROTO_MAX_ID || len >= size)
		return -1;
	memcpy(id_r, start, len);
	id_r[len] = '\0';
	if (strcmp(id_r, "-") != 0 && !director_id_valid(id_r))
		return -1;
	return 0;
}

int director_reply_parse(char *line, const char *expect_id,
			 struct director_reply *reply_r, const char **error_r)
{
	char *fields[3] = { NULL, NULL, NULL };
	enum director_reply_type type;
	unsigned int n;

	memset(reply_r, 0, sizeof(*reply_r));
	if (strlen(line) > DIRECTOR_PROTO_MAX_LINE) {
		*error_r = "reply line too long";
		return -1;
	}
	if (line_has_controls(line)) {
		*error_r = "reply has control characters";
		return -1;
	}
	/* TYPE, ID, and the rest (OK: three fields; others: the reason) */
	n = split_fields(line, fields, 3);
	if (parse_type(fields[0], &type) < 0) {
		*error_r = "unknown reply type";
		return -1;
	}
	if (n < 2) {
		*error_r = "reply has no request id";
		return -1;
	}
	if (strcmp(fields[1], expect_id) != 0 &&
	    !(type == DIRECTOR_REPLY_ERROR && strcmp(fields[1], "-") == 0)) {
		*error_r = "reply is for another request id";
		return -1;
	}
	if (type == DIRECTOR_REPLY_OK) {
		if (n < 3) {
			*error_r = "OK reply needs exactly 5 fields";
			return -1;
		}
		return parse_ok(fields[2], reply_r, error_r);
	}
	reply_r->type = type;
	reply_r->reason = n == 3 ? fields[2] : "";
	return 0;
}
