/* route-event.c - the parser of the answer caches' invalidation messages
 * (route-event.h).  A backend name is 1..ROUTE_EVENT_MAX_NAME printable
 * ASCII bytes without spaces: every name a director hands out, and nothing
 * that could smuggle a second word or a NUL into the comparison. */
#include "route-event.h"

#include <string.h>

static int name_byte_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f;
}

void route_event_parse(const char *msg, size_t len, struct route_event *event_r)
{
	const size_t wlen = sizeof(ROUTE_EVENT_BACKEND_WORD) - 1;
	size_t nlen;

	memset(event_r, 0, sizeof(*event_r));
	event_r->kind = ROUTE_EVENT_UNKNOWN;
	if (msg == NULL || len > ROUTE_EVENT_MAX_LEN)
		return;
	if (len == 3 && memcmp(msg, "all", 3) == 0) {
		event_r->kind = ROUTE_EVENT_ALL;
		return;
	}
	if (len <= wlen || memcmp(msg, ROUTE_EVENT_BACKEND_WORD, wlen) != 0)
		return;
	nlen = len - wlen;
	for (size_t i = 0; i < nlen; i++) {
		if (!name_byte_ok((unsigned char)msg[wlen + i]))
			return;
	}
	memcpy(event_r->backend, msg + wlen, nlen);
	event_r->backend[nlen] = '\0';
	event_r->kind = ROUTE_EVENT_BACKEND;
}
