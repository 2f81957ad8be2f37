/* route-event.h - parses one message that directors publish on the channel
 * P events (docs/DESIGN.md 1 and 4) for the passdb modules' answer caches:
 * "backend NAME" = drop every answer naming backend NAME, "all" = drop every
 * answer.  Anything else, a bad name or an overlong message included, is
 * UNKNOWN and must be ignored, so that new kinds can be added without
 * breaking older modules.  Pure C without Dovecot, unit-tested
 * (test-route-event.c) and fuzzed (tests/fuzz/fuzz-route-event.c). */
#ifndef ROUTE_EVENT_H
#define ROUTE_EVENT_H

#include <stddef.h>

#include "director-reply.h"

/* every backend name a cached answer can hold (director_reply_check_ok()) */
#define ROUTE_EVENT_MAX_NAME DIRECTOR_PROTO_MAX_BACKEND
#define ROUTE_EVENT_BACKEND_WORD "backend "
#define ROUTE_EVENT_MAX_LEN (sizeof(ROUTE_EVENT_BACKEND_WORD) - 1 + ROUTE_EVENT_MAX_NAME)

enum route_event_kind {
	ROUTE_EVENT_UNKNOWN,
	ROUTE_EVENT_BACKEND,
	ROUTE_EVENT_ALL,
};

struct route_event {
	enum route_event_kind kind;
	char backend[ROUTE_EVENT_MAX_NAME + 1];	/* ROUTE_EVENT_BACKEND only */
};

/* MSG is LEN bytes, not NUL-terminated (a pub/sub payload may hold any
   byte).  Always fills *EVENT_R. */
void route_event_parse(const char *msg, size_t len, struct route_event *event_r);

#endif
