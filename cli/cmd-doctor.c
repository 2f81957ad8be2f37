/* cmd-doctor.c - `hbctl doctor`: runs every check of doctor-*.c, prints one
 * line per check and a summary (or --json), and exits with the worst level
 * as Nagios reads it: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
#include "hbctl.h"
#include "doctor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef HB_SYSCONFDIR
#define HB_SYSCONFDIR "/etc"
#endif

static const char *const nagios_words[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

void doctor_add(struct doctor *d, const char *name, enum lc_status status,
		const char *fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	if (d->count == DOCTOR_MAX_CHECKS) {
		c = &d->checks[DOCTOR_MAX_CHECKS - 1];
		snprintf(c->name, sizeof(c->name), "doctor");
		c->status = LC_UNKNOWN;
		snprintf(c->detail, sizeof(c->detail), "more than %d checks", DOCTOR_MAX_CHECKS);
		return;
	}
	c = &d->checks[d->count++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

/* CRITICAL outranks UNKNOWN (a check that could not run), which outranks
 * WARNING: the exit code says the worst that is known. */
static int rank(enum lc_status s)
{
	static const int ranks[] = { 0, 1, 3, 2 };
	return ranks[s];
}

static enum lc_status worst(const struct doctor *d, unsigned int counts[4])
{
	enum lc_status w = LC_OK;

	memset(counts, 0, 4 * sizeof(counts[0]));
	for (unsigned int i = 0; i < d->count; i++) {
		counts[d->checks[i].status]++;
		if (rank(d->checks[i].status) > rank(w))
			w = d->checks[i].status;
	}
	return w;
}

static void print_text(const struct doctor *d, enum lc_status w, const unsigned int n[4])
{
	char buf[DOCTOR_DETAIL_MAX];

	for (unsigned int i = 0; i < d->count; i++) {
		const struct doctor_check *c = &d->checks[i];
		printf("%-8s %-26s %s\n", nagios_words[c->status], c->name,
		       hbctl_printable(c->detail, buf, sizeof(buf)));
	}
	printf("DOCTOR %s - %u checks: %u ok, %u warning, %u critical, %u unknown\n",
	       nagios_words[w], d->count, n[LC_OK], n[LC_WARN], n[LC_CRIT], n[LC_UNKNOWN]);
}

static void print_json(struct hbctl_json *js, const struct doctor *d, enum lc_status w,
		       const unsigned int n[4])
{
	hbctl_json_obj_begin(js, NULL);
	hbctl_json_bool(js, "ok", w == LC_OK);
	hbctl_json_str(js, "status", lock_census_status_name(w));
	hbctl_json_int(js, "exit_code", (long long)w);
	hbctl_json_arr_begin(js, "checks");
	for (unsigned int i = 0; i < d->count; i++) {
		hbctl_json_obj_begin(js, NULL);
		hbctl_json_str(js, "check", d->checks[i].name);
		hbctl_json_str(js, "status", lock_census_status_name(d->checks[i].status));
		hbctl_json_str(js, "detail", d->checks[i].detail);
		hbctl_json_obj_end(js);
	}
	hbctl_json_arr_end(js);
	hbctl_json_obj_begin(js, "summary");
	for (int s = LC_OK; s <= LC_UNKNOWN; s++)
		hbctl_json_int(js, lock_census_status_name((enum lc_status)s), n[s]);
	hbctl_json_obj_end(js);
	hbctl_json_obj_end(js);
	hbctl_json_finish(js);
}

int hbctl_cmd_doctor(struct hbctl *ctx, struct doctor_opts *opts)
{
	static struct doctor d;
	unsigned int counts[4];
	enum lc_status w;

	if (ctx->args->word_count != 1) {
		hbctl_fail(ctx, LC_UNKNOWN, "doctor takes no arguments (try hbctl doctor --help)");
		return LC_UNKNOWN;
	}
	if (opts->doveconf == NULL)
		opts->doveconf = "doveconf";
	if (opts->dovecot_libdir == NULL)
		opts->dovecot_libdir = "/usr/lib/dovecot";
	if (opts->config_dir == NULL)
		opts->config_dir = HB_SYSCONFDIR "/hummingbird";
	memset(&d, 0, sizeof(d));
	d.opts = opts;
	doctor_check_plugins(&d);
	doctor_check_abi(&d);
	doctor_check_redis(&d);
	w = worst(&d, counts);
	if (ctx->args->json)
		print_json(&ctx->js, &d, w, counts);
	else
		print_text(&d, w, counts);
	return (int)w;
}
