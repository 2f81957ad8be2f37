/* print-backend.c - `hbctl backend` results as a human table or JSON.  Only
 * formatting: the values were loaded and checked by the command files. */
#include "backend-cmds.h"

#include <string.h>

static void json_backend(struct hbctl_json *js, const struct hb_backend *b,
			 long long users, long long now_s)
{
	hbctl_json_obj_begin(js, NULL);
	hbctl_json_str(js, "name", b->name);
	hbctl_json_str(js, "host", b->host);
	hbctl_json_obj_begin(js, "ports");
	for (int s = 0; s < HB_SERVICE_COUNT; s++)
		hbctl_json_int(js, hb_service_name((enum hb_service)s), b->ports[s]);
	hbctl_json_obj_end(js);
	hbctl_json_int(js, "weight", b->weight);
	hbctl_json_str(js, "state", hb_state_name(b->state));
	hbctl_json_str(js, "health", hb_health_name(b->health));
	hbctl_json_str(js, "health_reason", b->health_reason);
	hbctl_json_int(js, "health_time", b->health_time);
	if (b->health_time > 0)
		hbctl_json_int(js, "health_age", now_s - b->health_time);
	else
		hbctl_json_null(js, "health_age");
	hbctl_json_str(js, "effective", hb_state_name(hb_backend_effective(b)));
	hbctl_json_bool(js, "degraded", b->degraded);
	hbctl_json_str(js, "degraded_reason", b->degraded ? b->degraded_reason : NULL);
	if (b->degraded)
		hbctl_json_int(js, "degraded_since", b->degraded_since);
	else
		hbctl_json_null(js, "degraded_since");
	hbctl_json_int(js, "fence_until_ms", b->fence_until_ms);
	hbctl_json_int(js, "users", users);
	hbctl_json_obj_end(js);
}

static void human_backend(const struct hb_backend *b, long long users, long long now_s)
{
	char ports[80], age[32], reason[HB_REASON_MAX + 1], dadm[12];

	if (b->ports[HB_SERVICE_DOVEADM] != 0)
		snprintf(dadm, sizeof(dadm), "%u", b->ports[HB_SERVICE_DOVEADM]);
	else
		snprintf(dadm, sizeof(dadm), "-");
	snprintf(ports, sizeof(ports), "%u/%u/%u/%u/%u/%s", b->ports[HB_SERVICE_IMAP],
		 b->ports[HB_SERVICE_POP3], b->ports[HB_SERVICE_LMTP],
		 b->ports[HB_SERVICE_SUBMISSION], b->ports[HB_SERVICE_SIEVE], dadm);
	if (b->health_time > 0)
		hbctl_format_duration(now_s - b->health_time, age, sizeof(age));
	else
		snprintf(age, sizeof(age), "-");
	printf("%-16s %-15s %-30s %6u %-11s %-7s %-7s %-11s %7lld %s\n", b->name, b->host,
	       ports, b->weight, hb_state_name(b->state), hb_health_name(b->health), age,
	       hb_state_name(hb_backend_effective(b)), users,
	       hbctl_printable(b->degraded ? b->degraded_reason : b->health_reason,
			       reason, sizeof(reason)));
}

void hbctl_print_backends(struct hbctl *ctx, const struct hb_backend *backends,
			  const long long *users, size_t count, long long now_s)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_arr_begin(&ctx->js, "backends");
		for (size_t i = 0; i < count; i++)
			json_backend(&ctx->js, &backends[i], users[i], now_s);
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
		return;
	}
	if (count == 0) {
		printf("no backends\n");
		return;
	}
	printf("%-16s %-15s %-30s %6s %-11s %-7s %-7s %-11s %7s %s\n", "NAME", "HOST",
	       "PORTS imap/pop/lmtp/sub/siv/da", "WEIGHT", "ADMIN", "HEALTH", "AGE",
	       "EFFECTIVE", "USERS", "REASON");
	for (size_t i = 0; i < count; i++)
		human_backend(&backends[i], users[i], now_s);
}

void hbctl_print_done(struct hbctl *ctx, const char *name, const char *action,
		      const char *state, const char *previous, const char *value)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "backend", name);
		hbctl_json_str(&ctx->js, "action", action);
		if (state != NULL)
			hbctl_json_str(&ctx->js, "state", state);
		if (previous != NULL)
			hbctl_json_str(&ctx->js, "previous", previous);
		if (value != NULL)
			hbctl_json_str(&ctx->js, "value", value);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
		return;
	}
	printf("backend %s: %s", name, action);
	if (state != NULL)
		printf(" %s", state);
	if (value != NULL)
		printf(" %s", value);
	if (previous != NULL && previous[0] != '\0')
		printf(" (was %s)", previous);
	printf("\n");
}
