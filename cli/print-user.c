/* print-user.c - `hbctl user` results as human text or JSON.  Only
 * formatting: values were loaded and checked by the command files. */
#include "user-cmds.h"
#include "hb-user.h"

static void where_json(struct hbctl *ctx, const char *user, const char *assigned,
		       const struct hb_backend *b, long long ttl,
		       const char *moving, long long move_ttl)
{
	struct hbctl_json *js = &ctx->js;

	hbctl_json_obj_begin(js, NULL);
	hbctl_json_bool(js, "ok", 1);
	hbctl_json_str(js, "user", user);
	hbctl_json_str(js, "backend", assigned[0] != '\0' ? assigned : NULL);
	hbctl_json_str(js, "host", b->host[0] != '\0' ? b->host : NULL);
	if (assigned[0] != '\0' && ttl >= 0)
		hbctl_json_int(js, "ttl", ttl);
	else
		hbctl_json_null(js, "ttl");
	hbctl_json_bool(js, "moving", moving[0] != '\0');
	hbctl_json_str(js, "move_target", moving[0] != '\0' ? moving : NULL);
	if (moving[0] != '\0' && move_ttl >= 0)
		hbctl_json_int(js, "move_ttl", move_ttl);
	hbctl_json_obj_end(js);
	hbctl_json_finish(js);
}

void hbctl_print_where(struct hbctl *ctx, const char *user, const char *assigned,
		       const struct hb_backend *b, long long ttl,
		       const char *moving, long long move_ttl)
{
	char left[32], uprint[HB_USER_MAX + 1];

	if (ctx->args->json) {
		where_json(ctx, user, assigned, b, ttl, moving, move_ttl);
		return;
	}
	hbctl_printable(user, uprint, sizeof(uprint));
	if (assigned[0] == '\0')
		printf("user %s: not assigned", uprint);
	else
		printf("user %s: backend %s (%s), expires in %s", uprint, assigned,
		       b->host[0] != '\0' ? b->host : "removed",
		       hbctl_format_duration(ttl, left, sizeof(left)));
	if (moving[0] != '\0')
		printf(", moving to %s", moving);
	printf("\n");
}

void hbctl_print_moved(struct hbctl *ctx, const char *user, const char *from,
		       const char *to, const char *note)
{
	char uprint[HB_USER_MAX + 1];

	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "user", user);
		hbctl_json_str(&ctx->js, "from", from[0] != '\0' ? from : NULL);
		hbctl_json_str(&ctx->js, "to", to);
		hbctl_json_str(&ctx->js, "note", note);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
		return;
	}
	printf("user %s: moved from %s to %s (%s)\n", hbctl_printable(user, uprint, sizeof(uprint)),
	       from[0] != '\0' ? from : "(none)", to, note);
}
