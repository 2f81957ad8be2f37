/* cmd-locks.c - `hbctl locks`: the node lock census as a report, --json or
 * a node_exporter textfile (--prometheus FILE), with Nagios/Icinga exit
 * codes: 0 ok, 1 warn, 2 crit, 3 unknown (the census is incomplete or
 * could not be taken, or the command line is wrong).  It needs neither the
 * configuration nor Redis unless --publish sends its summary to Redis for the
 * director (lock-publish.c). */
#include "hbctl.h"
#include "lock-census.h"

#include <string.h>
#include <time.h>

int hbctl_cmd_locks(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	struct lock_census c;
	long long now = (long long)time(NULL);
	char err[HBCTL_ERR_MAX];
	int code;

	if (a->word_count != 1) {
		hbctl_fail(ctx, LC_UNKNOWN, "locks takes no arguments (try hbctl locks --help)");
		return LC_UNKNOWN;
	}
	if (hbctl_args_check(a, HBCTL_OPT_CENSUS, ctx->err, sizeof(ctx->err)) < 0)
		return LC_UNKNOWN;
	if (lock_census_collect(&c, &a->census, now) < 0) {
		hbctl_fail(ctx, LC_UNKNOWN, "lock census failed: %s", c.errors[0]);
		lock_census_free(&c);
		return LC_UNKNOWN;
	}
	lock_census_judge(&c, &a->census);
	code = (int)c.status;
	if (a->census.prometheus != NULL &&
	    lock_census_write_prometheus(&c, a->census.prometheus, now, err, sizeof(err)) < 0) {
		lock_census_add_error(&c, "%s", err);
		c.status = code = LC_UNKNOWN;
	}
	if (a->census.publish != NULL && lock_census_publish(ctx, &c, now) < 0) {
		lock_census_add_error(&c, "%s", ctx->err);
		ctx->err[0] = '\0';	/* reported once, with the census */
		c.status = code = LC_UNKNOWN;
	}
	if (a->json)
		lock_census_print_json(&c, &ctx->js);
	else
		lock_census_print(&c, stdout);
	lock_census_free(&c);
	return code;
}
