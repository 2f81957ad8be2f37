/* proto.h - parser and formatter of the director lookup protocol
 * (docs/DESIGN.md, 3).  Pure functions: no I/O, no allocation. */
#ifndef DIRECTOR_PROTO_H
#define DIRECTOR_PROTO_H

#include <stddef.h>
#include "hb-backend.h"
#include "hb-user.h"

#define HB_PROTO_MAX_LINE 1024
#define HB_PROTO_ID_MAX 32

enum proto_command { PROTO_LOOKUP, PROTO_PING, PROTO_USERDB };

struct proto_request {
	enum proto_command command;
	char id[HB_PROTO_ID_MAX + 1];
	enum hb_service service;
	char user[HB_USER_MAX + 1];      /* LOOKUP: normalised; USERDB: as sent
					    (userdb.c validates it as an address) */
};

enum proto_parse_result {
	PROTO_PARSE_OK,
	PROTO_PARSE_ERROR,   /* reply ERROR: the line is not a request */
	PROTO_PARSE_FAIL,    /* reply FAIL: a valid request for an invalid user/service */
};

/* Parse LINE (without the newline).  On error *REASON_R is a static string and
 * REQ->id holds the id if it could be read, else "-". */
enum proto_parse_result proto_parse_request(const char *line, const char *delim,
					    struct proto_request *req,
					    const char **reason_r);

#endif
