/* fuzz-route-event.c - libFuzzer target for the parser of the directors'
 * health events (plugins/auth/route-event.c) and what the module does with
 * them (route_cache_forget_backend / clear in plugins/auth/route-cache.c):
 * any payload a PUBLISH on P events can carry.  Run by run-fuzzers.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "route-cache.h"
#include "route-event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct route_cache_answer a = { "be1", "127.0.0.2", "143" };
	struct route_cache *cache = route_cache_create(4);
	struct route_event ev;

	if (cache == NULL)
		return 0;
	route_cache_put(cache, "imap_port", "u@d", &a, 2000, 1000);
	route_event_parse((const char *)data, size, &ev);
	switch (ev.kind) {
	case ROUTE_EVENT_BACKEND:
		/* a name is 1..MAX printable bytes without spaces */
		if (ev.backend[0] == '\0' || strlen(ev.backend) > ROUTE_EVENT_MAX_NAME ||
		    strchr(ev.backend, ' ') != NULL || size > ROUTE_EVENT_MAX_LEN)
			__builtin_trap();
		if (route_cache_forget_backend(cache, ev.backend) !=
		    (strcmp(ev.backend, "be1") == 0 ? 1u : 0u))
			__builtin_trap();
		break;
	case ROUTE_EVENT_ALL:
		if (size != 3)
			__builtin_trap();
		route_cache_clear(cache);
		break;
	case ROUTE_EVENT_UNKNOWN:
		if (ev.backend[0] != '\0' || route_cache_count(cache) != 1)
			__builtin_trap();
		break;
	}
	route_cache_destroy(&cache);
	return 0;
}
