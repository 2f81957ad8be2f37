/* server-print.c - what hbctl --server prints: with --json the reply of
 * admind written out again through hbctl's own JSON writer (so it is the
 * same document operator mode prints), else the same human lines as
 * operator mode.  Replies are untrusted: every string shown to a person
 * goes through hbctl_printable(). */
#include "server.h"
#include "domain-cmds.h"
#include "hb-json.h"
#include "hb-policy.h"
#include "hb-units.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHOWN_MAX 512

static const char *field(const struct hb_jdoc *doc, const struct hb_jnode *obj, const char *key,
			 char *buf)
{
	const struct hb_jnode *v = hb_json_get(doc, obj, key);

	return hbctl_printable(v != NULL && v->type == HB_JSTRING ? v->str : "", buf, SHOWN_MAX);
}

static long long number(const struct hb_jdoc *doc, const struct hb_jnode *obj, const char *key)
{
	const struct hb_jnode *v = hb_json_get(doc, obj, key);

	return v != NULL && v->type == HB_JNUMBER ? (long long)v->number : 0;
}

static void emit(struct hbctl_json *js, const struct hb_jdoc *doc, const struct hb_jnode *n,
		 const char *key)
{
	switch (n->type) {
	case HB_JOBJECT:
		hbctl_json_obj_begin(js, key);
		for (const struct hb_jnode *k = hb_json_first(doc, n); k != NULL;
		     k = hb_json_next(doc, hb_json_next(doc, k)))
			emit(js, doc, hb_json_next(doc, k), k->str);
		hbctl_json_obj_end(js);
		break;
	case HB_JARRAY:
		hbctl_json_arr_begin(js, key);
		for (const struct hb_jnode *v = hb_json_first(doc, n); v != NULL; v = hb_json_next(doc, v))
			emit(js, doc, v, NULL);
		hbctl_json_arr_end(js);
		break;
	case HB_JSTRING: hbctl_json_str(js, key, n->str); break;
	case HB_JNUMBER: hbctl_json_int(js, key, (long long)n->number); break;
	case HB_JBOOL: hbctl_json_bool(js, key, n->boolean); break;
	case HB_JNULL: hbctl_json_null(js, key); break;
	}
}

static const char *when(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}

static void print_domain_row(const struct hb_jdoc *doc, const struct hb_jnode *row)
{
	char d[SHOWN_MAX], s[SHOWN_MAX], shown[HB_DOMAIN_DISPLAY_MAX];
	const char *error;

	field(doc, row, "domain", d);
	if (hb_domain_display(d, shown, sizeof(shown), &error) < 0)
		snprintf(shown, sizeof(shown), "%s", d);
	printf("%-40s %-10s %9lld %8lld\n", shown, field(doc, row, "state", s),
	       number(doc, row, "mailboxes"), number(doc, row, "aliases"));
}

static void print_domain(const struct hb_jdoc *doc, const struct hb_jnode *root)
{
	const struct hb_jnode *admins = hb_json_get(doc, root, "admins");
	char by[SHOWN_MAX], t[32], name[SHOWN_MAX];

	printf("%-40s %-10s %9s %8s\n", "DOMAIN", "STATE", "MAILBOXES", "ALIASES");
	print_domain_row(doc, root);
	printf("created %s by %s\nadmins:", when(number(doc, root, "created"), t, sizeof(t)),
	       field(doc, root, "created_by", by));
	for (const struct hb_jnode *a = hb_json_first(doc, admins); a != NULL; a = hb_json_next(doc, a))
		printf(" %s", hbctl_printable(a->type == HB_JSTRING ? a->str : "", name, sizeof(name)));
	printf("\n");
}

static void print_policy_row(const struct hb_jdoc *doc, const struct hb_jnode *row)
{
	char name[SHOWN_MAX], raw[3][SHOWN_MAX], shown[3][HB_POLICY_VALUE_MAX];
	static const char *const keys[] = { "value", "cap", "effective" };
	const struct hb_policy_def *def = hb_policy_find(field(doc, row, "name", name), 1);

	if (def == NULL)
		return;
	for (size_t i = 0; i < 3; i++) {
		field(doc, row, keys[i], raw[i]);
		if (raw[i][0] == '\0' || hb_policy_display(def, raw[i], shown[i], sizeof(shown[i])) < 0)
			snprintf(shown[i], sizeof(shown[i]), "%s", raw[i][0] == '\0' ? "-" : "invalid");
	}
	printf("%-14s %-12s %-12s %-12s %s\n", def->name, shown[0], shown[1], shown[2], def->meaning);
}

static void print_audit_row(const struct hb_jdoc *doc, const struct hb_jnode *row)
{
	static const char *const keys[] = { "who", "from", "action", "target", "old", "new" };
	char t[32], v[6][SHOWN_MAX];

	for (size_t i = 0; i < 6; i++)
		field(doc, row, keys[i], v[i]);
	/* policy values in the units they were typed in ("25M", "200/h") */
	const struct hb_policy_def *def = hb_policy_find(v[3], 1);
	for (size_t i = 4; def != NULL && strstr(v[2], " set") != NULL && i <= 5; i++) {
		char human[HB_POLICY_VALUE_MAX];

		if (v[i][0] != '\0' && hb_policy_display(def, v[i], human, sizeof(human)) == 0)
			snprintf(v[i], SHOWN_MAX, "%s", human);
	}
	printf("%s %s from %s: %s %s: %s -> %s\n", when(number(doc, row, "time"), t, sizeof(t)),
	       v[0], v[1], v[2], v[3], v[4][0] != '\0' ? v[4] : "(none)", v[5][0] != '\0' ? v[5] : "(none)");
}

static void print_row(enum hbctl_server_view view, const struct hb_jdoc *doc,
		      const struct hb_jnode *row)
{
	char a[SHOWN_MAX], b[SHOWN_MAX];

	switch (view) {
	case HBCTL_VIEW_DOMAINS: print_domain_row(doc, row); break;
	case HBCTL_VIEW_POLICY: print_policy_row(doc, row); break;
	case HBCTL_VIEW_AUDIT: print_audit_row(doc, row); break;
	case HBCTL_VIEW_USERS: {
		long long q = number(doc, row, "quota");
		char shown[HB_UNITS_FORMAT_MAX];

		if (q <= 0 || hb_format_size(q, shown, sizeof(shown)) < 0)
			snprintf(shown, sizeof(shown), "default");
		printf("%-50s %-10s %s\n", field(doc, row, "address", a), field(doc, row, "state", b), shown);
		break;
	}
	case HBCTL_VIEW_ALIASES:
		printf("%s ->", field(doc, row, "address", a));
		for (const struct hb_jnode *t = hb_json_first(doc, hb_json_get(doc, row, "targets"));
		     t != NULL; t = hb_json_next(doc, t))
			printf(" %s", hbctl_printable(t->type == HB_JSTRING ? t->str : "", b, sizeof(b)));
		printf("\n");
		break;
	default:
		printf("%s\n", hbctl_printable(row->type == HB_JSTRING ? row->str : "", a, sizeof(a)));
	}
}

static void print_human(struct hbctl *ctx, enum hbctl_server_view view, const struct hb_jdoc *doc,
			const struct hb_jnode *root, const char *what, const char *verb)
{
	char a[SHOWN_MAX], b[SHOWN_MAX];
	const char *key = hb_json_get(doc, root, "address") != NULL ? "address" : "domain";
	const struct hb_jnode *pw = hb_json_get(doc, root, "password");

	if (view == HBCTL_VIEW_CHANGE) {
		hbctl_print_change(ctx, key, what, field(doc, root, key, a), verb,
				   pw != NULL && pw->type == HB_JSTRING ? field(doc, root, "password", b) : NULL);
		return;
	}
	if (view == HBCTL_VIEW_DOMAIN) {
		print_domain(doc, root);
		return;
	}
	if (view == HBCTL_VIEW_SESSION) {
		printf("admin %s, session ends in %llds; domains:", field(doc, root, "admin", a),
		       number(doc, root, "expires_in"));
		for (const struct hb_jnode *d = hb_json_first(doc, hb_json_get(doc, root, "domains"));
		     d != NULL; d = hb_json_next(doc, d))
			printf(" %s", hbctl_printable(d->type == HB_JSTRING ? d->str : "", b, sizeof(b)));
		printf("\n");
		return;
	}
	if (view == HBCTL_VIEW_DOMAINS)
		printf("%-40s %-10s %9s %8s\n", "DOMAIN", "STATE", "MAILBOXES", "ALIASES");
	if (view == HBCTL_VIEW_POLICY)
		printf("%-14s %-12s %-12s %-12s %s\n", "NAME", "VALUE", "CAP", "EFFECTIVE", "MEANING");
	for (const struct hb_jnode *row = hb_json_first(doc, root); row != NULL; row = hb_json_next(doc, row))
		print_row(view, doc, row);
}

int hbctl_server_print(struct hbctl *ctx, enum hbctl_server_view view, const char *reply,
		       const char *what, const char *verb)
{
	struct hb_jdoc *doc;
	char why[128];

	if (hb_json_parse(reply, strlen(reply), &doc, why, sizeof(why)) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "bad reply from the server: %s", why);
	if (ctx->args->json) {
		emit(&ctx->js, doc, hb_json_root(doc), NULL);
		hbctl_json_finish(&ctx->js);
	} else {
		print_human(ctx, view, doc, hb_json_root(doc), what, verb);
	}
	hb_json_free(&doc);
	return HBCTL_EXIT_OK;
}

int hbctl_server_error(struct hbctl *ctx, unsigned int status, const char *reply)
{
	struct hb_jdoc *doc = NULL;
	const struct hb_jnode *msg = NULL, *code = NULL;
	char why[128], shown[SHOWN_MAX];
	int exit_code = status == 503 ? HBCTL_EXIT_UNREACHABLE :
		status == 400 || status == 413 || status == 415 ? HBCTL_EXIT_USAGE : HBCTL_EXIT_FAILED;

	if (reply != NULL && hb_json_parse(reply, strlen(reply), &doc, why, sizeof(why)) == 0) {
		msg = hb_json_get(doc, hb_json_root(doc), "message");
		code = hb_json_get(doc, hb_json_root(doc), "error");
	}
	if (code != NULL && code->type == HB_JSTRING && strcmp(code->str, "bad_value") == 0)
		exit_code = HBCTL_EXIT_USAGE;
	hbctl_printable(msg != NULL && msg->type == HB_JSTRING ? msg->str : "", shown, sizeof(shown));
	hbctl_fail(ctx, exit_code, "%s%s (HTTP %u)", status == 403 || status == 404 || status == 409 ||
		   status == 422 ? "refused: " : "", shown[0] != '\0' ? shown : "error", status);
	hb_json_free(&doc);
	return exit_code;
}
