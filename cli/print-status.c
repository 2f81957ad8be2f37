/* print-status.c - `hbctl status` as human text or JSON.  Formatting only. */
#include "status.h"

#include <string.h>

static const enum hb_state states[] = {
	HB_STATE_UP, HB_STATE_DEGRADED, HB_STATE_DRAINING, HB_STATE_DOWN, HB_STATE_MAINTENANCE
};
#define STATE_COUNT (sizeof(states) / sizeof(states[0]))

static size_t count_state(const struct hbctl_status *st, enum hb_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < st->backend_count; i++)
		n += hb_backend_effective(&st->backends[i]) == state;
	return n;
}

/* "degraded": [{"name", "reason", "since"}] - why new users avoid them */
static void status_json_degraded(struct hbctl_json *js, const struct hbctl_status *st)
{
	hbctl_json_arr_begin(js, "degraded");
	for (size_t i = 0; i < st->backend_count; i++) {
		const struct hb_backend *b = &st->backends[i];
		if (hb_backend_effective(b) != HB_STATE_DEGRADED)
			continue;
		hbctl_json_obj_begin(js, NULL);
		hbctl_json_str(js, "name", b->name);
		hbctl_json_str(js, "reason", b->degraded_reason);
		hbctl_json_int(js, "since", b->degraded_since);
		hbctl_json_obj_end(js);
	}
	hbctl_json_arr_end(js);
}

/* A backend whose doveadm API refused a director's key at its last check:
 * kicks and the census fail there (director/apikey.c). */
static int api_key_refused(const struct hb_backend *b)
{
	return b->ports[HB_SERVICE_DOVEADM] != 0 && b->doveadm_api == HB_DOVEADM_API_REFUSED;
}

/* "doveadm_api_refused": [{"name", "reason", "director", "time"}] */
static void status_json_api(struct hbctl_json *js, const struct hbctl_status *st)
{
	hbctl_json_arr_begin(js, "doveadm_api_refused");
	for (size_t i = 0; i < st->backend_count; i++) {
		const struct hb_backend *b = &st->backends[i];
		if (!api_key_refused(b))
			continue;
		hbctl_json_obj_begin(js, NULL);
		hbctl_json_str(js, "name", b->name);
		hbctl_json_str(js, "reason", b->doveadm_api_reason);
		hbctl_json_str(js, "director", b->doveadm_api_by);
		hbctl_json_int(js, "time", b->doveadm_api_time);
		hbctl_json_obj_end(js);
	}
	hbctl_json_arr_end(js);
}

static void print_api_warnings(const struct hbctl_status *st)
{
	char reason[HB_REASON_MAX + 1], by[HB_DIRECTOR_ID_MAX + 1], age[32];

	for (size_t i = 0; i < st->backend_count; i++) {
		const struct hb_backend *b = &st->backends[i];
		if (!api_key_refused(b))
			continue;
		printf("WARNING: backend %s: doveadm API key refused (director %s, %s ago): %s; "
		       "kicks and the session census fail there\n", b->name,
		       hbctl_printable(b->doveadm_api_by, by, sizeof(by)),
		       hbctl_format_duration(st->now - b->doveadm_api_time, age, sizeof(age)),
		       hbctl_printable(b->doveadm_api_reason, reason, sizeof(reason)));
	}
}

static void status_json(struct hbctl *ctx, const struct hbctl_status *st)
{
	struct hbctl_json *js = &ctx->js;

	hbctl_json_obj_begin(js, NULL);
	hbctl_json_bool(js, "ok", st->redis_up);
	hbctl_json_bool(js, "redis_up", st->redis_up);
	if (!st->redis_up)
		hbctl_json_str(js, "error", ctx->err);
	if (st->redis_up) {
		hbctl_json_int(js, "epoch", st->epoch);
		hbctl_json_obj_begin(js, "backends");
		hbctl_json_int(js, "total", (long long)st->backend_count);
		for (size_t i = 0; i < STATE_COUNT; i++)
			hbctl_json_int(js, hb_state_name(states[i]), (long long)count_state(st, states[i]));
		hbctl_json_obj_end(js);
		status_json_degraded(js, st);
		status_json_api(js, st);
		hbctl_json_arr_begin(js, "directors");
		for (size_t i = 0; i < st->director_count; i++) {
			const struct hbctl_director *d = &st->directors[i];
			hbctl_json_obj_begin(js, NULL);
			hbctl_json_str(js, "id", d->id);
			hbctl_json_str(js, "version", d->version);
			hbctl_json_int(js, "started", d->started);
			hbctl_json_int(js, "seen", d->seen);
			hbctl_json_int(js, "lookups", d->lookups);
			hbctl_json_bool(js, "health_lease", strcmp(d->id, st->lease_holder) == 0);
			hbctl_json_obj_end(js);
		}
		hbctl_json_arr_end(js);
		hbctl_json_str(js, "health_lease_holder",
			       st->lease_holder[0] != '\0' ? st->lease_holder : NULL);
		hbctl_json_int(js, "health_lease_ttl_ms", st->lease_pttl);
	}
	hbctl_json_obj_end(js);
	hbctl_json_finish(js);
}

static void print_backend_line(const struct hb_backend *b, long long now)
{
	char reason[HB_REASON_MAX + 1], age[32];

	printf("  %-16s %-11s (admin %s, health %s)", b->name,
	       hb_state_name(hb_backend_effective(b)), hb_state_name(b->state),
	       hb_health_name(b->health));
	if (hb_backend_effective(b) == HB_STATE_DEGRADED)
		printf(" since %s ago: %s", hbctl_format_duration(now - b->degraded_since, age,
								 sizeof(age)),
		       hbctl_printable(b->degraded_reason, reason, sizeof(reason)));
	else if (hb_backend_effective(b) == HB_STATE_DOWN)
		printf(": %s", hbctl_printable(b->health_reason, reason, sizeof(reason)));
	printf("\n");
}

void hbctl_print_status(struct hbctl *ctx, const struct hbctl_status *st,
			const char *redis_addr, unsigned int redis_port)
{
	char age[32], id[HBCTL_DIRECTOR_ID_MAX + 1];

	if (ctx->args->json) {
		status_json(ctx, st);
		return;
	}
	printf("redis:     %s (%s:%u)\n", st->redis_up ? "reachable" : "UNREACHABLE",
	       redis_addr, redis_port);
	if (!st->redis_up)
		return;
	printf("backends:  %zu (up %zu, degraded %zu, draining %zu, down %zu, maintenance %zu), "
	       "epoch %lld\n", st->backend_count, count_state(st, HB_STATE_UP),
	       count_state(st, HB_STATE_DEGRADED), count_state(st, HB_STATE_DRAINING),
	       count_state(st, HB_STATE_DOWN), count_state(st, HB_STATE_MAINTENANCE), st->epoch);
	for (size_t i = 0; i < st->backend_count; i++)
		print_backend_line(&st->backends[i], st->now);
	print_api_warnings(st);
	printf("directors: %zu alive\n", st->director_count);
	for (size_t i = 0; i < st->director_count; i++) {
		const struct hbctl_director *d = &st->directors[i];
		printf("  %-32s seen %s ago, %lld lookups%s\n",
		       hbctl_printable(d->id, id, sizeof(id)),
		       hbctl_format_duration(st->now - d->seen, age, sizeof(age)), d->lookups,
		       strcmp(d->id, st->lease_holder) == 0 ? ", health checks" : "");
	}
	printf("health lease: %s\n", st->lease_holder[0] != '\0' ?
	       hbctl_printable(st->lease_holder, id, sizeof(id)) : "nobody");
}
