/* hb-settings.c - parser for hummingbird.conf: "key = value" lines, table
 * driven, every problem named with file:line and all of them reported (not
 * only the first).  Produces a struct that is read-only afterwards; reload =
 * parse a new one and swap. */
#include "hb-settings.h"
#include "hb-settings-addr.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096

enum setting_type { T_STR, T_UINT, T_DURATION_MS, T_DURATION_S, T_MODE };

struct setting_def {
	const char *key;
	enum setting_type type;
	size_t offset;
	const char *default_value;
	unsigned long long min, max;
	const char *const *choices;   /* T_STR: the only values allowed, or NULL */
	/* T_STR: 0, or -1 with why VALUE is wrong */
	int (*check)(const char *value, char *err, size_t err_size);
};

static const char *const log_choices[] = { "stderr", "syslog", NULL };
static const char *const log_level_choices[] = { "debug", "info", "warning", "error", NULL };
static const char *const fail_choices[] = { "tempfail", "accept", NULL };
static const char *const from_ambiguous_choices[] = { "reject", "worst", NULL };
static const char *const doveadm_tls_choices[] = { "no", "yes", NULL };

#define S(key, type, def, min, max) \
	{ #key, type, offsetof(struct hb_settings, key), def, min, max, NULL, NULL }
#define D(key, field, type, def, min, max) \
	{ #key, type, offsetof(struct hb_settings, field), def, min, max, NULL, NULL }
#define E(key, def, choices) \
	{ #key, T_STR, offsetof(struct hb_settings, key), def, 0, 0, choices, NULL }
/* a string checked by CHECK (hb-settings-addr.h) */
#define C(key, def, check) \
	{ #key, T_STR, offsetof(struct hb_settings, key), def, 0, 0, NULL, check }

static const struct setting_def setting_defs[] = {
	C(redis_host, "127.0.0.1", hb_check_host),
	S(redis_port, T_UINT, "6379", 1, 65535),
	C(redis_socket, "", hb_check_unix_opt),
	S(redis_user, T_STR, "", 0, 0),
	S(redis_password_file, T_STR, "", 0, 0),
	S(redis_db, T_UINT, "0", 0, 1000),
	D(redis_timeout, redis_timeout_ms, T_DURATION_MS, "1s", 10, 60000),
	S(key_prefix, T_STR, "hb:", 0, 0),
	C(director_listen, "/run/hummingbird/director.sock", hb_check_listen_opt),
	S(director_socket_mode, T_MODE, "0660", 0, 0777),
	S(director_socket_group, T_STR, "dovecot", 0, 0),
	C(director_tcp_listen, "", hb_check_inet_opt),
	C(socketmap_listen, "127.0.0.1:7302", hb_check_listen_opt),
	C(socketmap_domains, "", hb_check_domain_list),
	C(userdb_listen, "", hb_check_unix_opt),
	S(userdb_socket_mode, T_MODE, "0660", 0, 0777),
	S(userdb_socket_group, T_STR, "", 0, 0),
	C(metrics_listen, "127.0.0.1:9301", hb_check_inet_opt),
	D(user_expire, user_expire_s, T_DURATION_S, "15m", 1, 30 * 86400),
	D(lookup_wait_timeout, lookup_wait_timeout_ms, T_DURATION_MS, "10s", 0, 600000),
	S(recipient_delimiter, T_STR, "+", 0, 0),
	D(health_interval, health_interval_ms, T_DURATION_MS, "1s", 100, 3600000),
	D(health_timeout, health_timeout_ms, T_DURATION_MS, "2s", 50, 600000),
	S(health_fail_count, T_UINT, "2", 1, 100),
	D(health_dead_after, health_dead_after_ms, T_DURATION_MS, "30s", 1000, 3600000),
	S(health_ok_count, T_UINT, "2", 1, 100),
	D(degrade_probe_time, degrade_probe_time_ms, T_DURATION_MS, "1s", 0, 600000),
	S(degrade_enter_count, T_UINT, "3", 1, 100),
	S(degrade_leave_count, T_UINT, "5", 1, 100),
	S(health_login_user, T_STR, "", 0, 0),
	S(health_login_password_file, T_STR, "", 0, 0),
	D(health_lease_ttl, health_lease_ttl_ms, T_DURATION_MS, "5s", 1000, 600000),
	S(cache_size, T_UINT, "100000", 0, 100000000),
	S(instance_id, T_STR, "", 0, 0),
	E(log, "stderr", log_choices),
	E(log_level, "info", log_level_choices),
	S(pid_file, T_STR, "", 0, 0),
	S(doveadm_api_key_file, T_STR, "", 0, 0),
	E(doveadm_tls, "no", doveadm_tls_choices),
	S(doveadm_ca_file, T_STR, "", 0, 0),
	D(kick_timeout, kick_timeout_ms, T_DURATION_MS, "10s", 100, 600000),
	D(census_interval, census_interval_ms, T_DURATION_MS, "60s", 0, 86400000),
	D(route_cache_ttl, route_cache_ttl_ms, T_DURATION_MS, "2s", 0, 60000),
	C(milter_listen, "unix:/var/spool/postfix/hummingbird/milter.sock", hb_check_milter_listen),
	S(milter_socket_mode, T_MODE, "0660", 0, 0777),
	S(milter_socket_group, T_STR, "", 0, 0),
	E(milter_fail, "tempfail", fail_choices),
	C(milter_metrics_listen, "127.0.0.1:9303", hb_check_inet_opt),
	S(milter_user, T_STR, "", 0, 0),
	D(milter_cache_ttl, milter_cache_ttl_ms, T_DURATION_MS, "5s", 0, 3600000),
	D(milter_stale_ttl, milter_stale_ttl_ms, T_DURATION_MS, "10m", 0, 86400000),
	S(milter_redis_connections, T_UINT, "16", 1, 1024),
	S(milter_suspended_code, T_UINT, "550", 400, 599),
	D(milter_timeout, milter_timeout_s, T_DURATION_S, "300s", 1, 3600),
	E(milter_from_ambiguous, "reject", from_ambiguous_choices),
	C(admind_listen, "127.0.0.1:7304", hb_check_inet),
	S(admind_cert_file, T_STR, HB_CONFIG_DIR "/admind.crt", 0, 0),
	S(admind_key_file, T_STR, HB_CONFIG_DIR "/admind.key", 0, 0),
	S(admind_client_ca_file, T_STR, "", 0, 0),
	D(admind_session_ttl, admind_session_ttl_s, T_DURATION_S, "1h", 10, 7 * 86400),
	S(admind_max_body, T_UINT, "65536", 1024, 1048576),
	S(admind_max_headers, T_UINT, "8192", 1024, 65536),
	D(admind_timeout, admind_timeout_s, T_DURATION_S, "30s", 1, 3600),
	S(admind_login_failures, T_UINT, "5", 1, 1000),
	D(admind_lockout, admind_lockout_ms, T_DURATION_MS, "10s", 100, 86400000),
	D(admind_lockout_max, admind_lockout_max_ms, T_DURATION_MS, "1h", 100, 86400000),
	S(admind_addr_failures, T_UINT, "20", 1, 100000),
	D(admind_login_delay, admind_login_delay_ms, T_DURATION_MS, "500ms", 0, 60000),
	D(admind_login_delay_max, admind_login_delay_max_ms, T_DURATION_MS, "5s", 0, 60000),
	S(admind_max_connections, T_UINT, "256", 8, 100000),
	S(admind_max_connections_per_addr, T_UINT, "16", 1, 100000),
	D(admind_handshake_timeout, admind_handshake_timeout_ms, T_DURATION_MS, "5s", 100, 600000),
	D(admind_request_timeout, admind_request_timeout_ms, T_DURATION_MS, "10s", 100, 600000),
};
#define SETTING_COUNT (sizeof(setting_defs) / sizeof(setting_defs[0]))

unsigned int hb_route_cache_wait_ms(unsigned int route_cache_ttl_ms)
{
	return route_cache_ttl_ms == 0 ? 0 : route_cache_ttl_ms + HB_ROUTE_CACHE_MARGIN_MS;
}

int hb_parse_duration_ms(const char *str, unsigned long long *ms_r)
{
	char *end;
	unsigned long long value, mult;

	if (!isdigit((unsigned char)*str))
		return -1;
	errno = 0;
	value = strtoull(str, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0) mult = 1000;
	else if (strcmp(end, "ms") == 0) mult = 1;
	else if (strcmp(end, "m") == 0) mult = 60000;
	else if (strcmp(end, "h") == 0) mult = 3600000;
	else return -1;
	if (value > (1ULL << 40))
		return -1;
	*ms_r = value * mult;
	return 0;
}

static int parse_uint_value(const char *str, int base, unsigned long long *value_r)
{
	char *end;

	if (!isdigit((unsigned char)*str))
		return -1;
	errno = 0;
	*value_r = strtoull(str, &end, base);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* VALUE must be one of DEF's choices; -1 with "key: must be a, b or c". */
static int choice_check(const struct setting_def *def, const char *value,
			char *err, size_t err_size)
{
	size_t used;

	for (size_t i = 0; def->choices[i] != NULL; i++) {
		if (strcmp(def->choices[i], value) == 0)
			return 0;
	}
	used = (size_t)snprintf(err, err_size, "%s: invalid value '%.60s', must be", def->key, value);
	for (size_t i = 0; def->choices[i] != NULL && used < err_size; i++)
		used += (size_t)snprintf(err + used, err_size - used, "%s %s",
					 i == 0 ? "" : def->choices[i + 1] == NULL ? " or" : ",",
					 def->choices[i]);
	return -1;
}

/* Store VALUE into SET per DEF; returns -1 with a reason in ERR. */
static int setting_apply(struct hb_settings *set, const struct setting_def *def,
			 const char *value, char *err, size_t err_size)
{
	void *field = (char *)set + def->offset;
	unsigned long long num = 0;
	int ret = 0;

	switch (def->type) {
	case T_STR: {
		char why[160];
		if (def->choices != NULL && choice_check(def, value, err, err_size) < 0)
			return -1;
		if (def->check != NULL && def->check(value, why, sizeof(why)) < 0) {
			snprintf(err, err_size, "%s: invalid value '%.100s': %s", def->key, value, why);
			return -1;
		}
		char *copy = strdup(value);
		if (copy == NULL) {
			snprintf(err, err_size, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case T_UINT: ret = parse_uint_value(value, 10, &num); break;
	case T_MODE: ret = parse_uint_value(value, 8, &num); break;
	case T_DURATION_MS: ret = hb_parse_duration_ms(value, &num); break;
	case T_DURATION_S:
		ret = hb_parse_duration_ms(value, &num);
		if (ret == 0 && num % 1000 != 0)
			ret = -1;
		num /= 1000;
		break;
	}
	if (ret < 0) {
		snprintf(err, err_size, "%s: invalid value '%.100s'%s", def->key, value,
			 def->type == T_DURATION_MS || def->type == T_DURATION_S ?
			 " (expected a number with unit ms, s, m or h)" : "");
		return -1;
	}
	if (num < def->min || num > def->max) {
		snprintf(err, err_size, "%s: %.100s is out of range", def->key, value);
		return -1;
	}
	*(unsigned int *)field = (unsigned int)num;
	return 0;
}

struct hb_settings *hb_settings_new(void)
{
	struct hb_settings *set = calloc(1, sizeof(*set));
	char err[128];

	if (set == NULL)
		return NULL;
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (setting_apply(set, &setting_defs[i], setting_defs[i].default_value,
				  err, sizeof(err)) < 0) {
			hb_settings_free(&set);
			return NULL;
		}
	}
	return set;
}

void hb_settings_free(struct hb_settings **_set)
{
	struct hb_settings *set = *_set;

	if (set == NULL)
		return;
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (setting_defs[i].type == T_STR)
			free(*(char **)((char *)set + setting_defs[i].offset));
	}
	free(set);
	*_set = NULL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One parse: where each setting was set, and every problem so far. */
struct parse_ctx {
	const char *name;
	struct hb_settings *set;
	unsigned int line[SETTING_COUNT];	/* 0: not in the file */
	unsigned char bad[SETTING_COUNT];	/* its value was refused */
	hb_settings_report_fn *report;
	void *context;
	unsigned int problems;
};

/* Report "name:LINE: ..." ("name: ..." for LINE 0). */
static void problem(struct parse_ctx *ctx, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct parse_ctx *ctx, unsigned int line, const char *fmt, ...)
{
	char why[HB_SETTINGS_ERROR_MAX], msg[HB_SETTINGS_ERROR_MAX + 64];
	va_list args;

	va_start(args, fmt);
	vsnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	if (line == 0)
		snprintf(msg, sizeof(msg), "%s: %s", ctx->name, why);
	else
		snprintf(msg, sizeof(msg), "%s:%u: %s", ctx->name, line, why);
	ctx->problems++;
	ctx->report(ctx->context, msg);
}

static int def_index(const char *key)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (strcmp(setting_defs[i].key, key) == 0)
			return (int)i;
	}
	return -1;
}

/* Parse one line (already without newline), reporting what is wrong. */
static void parse_line(struct parse_ctx *ctx, char *line, unsigned int line_no)
{
	char *eq, *key, *value, why[HB_SETTINGS_ERROR_MAX];
	int i;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return;
	eq = strchr(line, '=');
	if (eq == NULL) {
		problem(ctx, line_no, "expected 'key = value', got '%.60s'", line);
		return;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if ((i = def_index(key)) < 0) {
		problem(ctx, line_no, "unknown setting '%.60s'", key);
		return;
	}
	if (ctx->line[i] != 0) {
		/* the last one winning silently would hide an edit */
		problem(ctx, line_no, "duplicate setting '%s' (first set at line %u)",
			key, ctx->line[i]);
		return;
	}
	ctx->line[i] = line_no;
	if (setting_apply(ctx->set, &setting_defs[i], value, why, sizeof(why)) < 0) {
		ctx->bad[i] = 1;
		problem(ctx, line_no, "%s", why);
	}
}

/* A rule on KEY1 (and KEY2, or NULL) has FAILED: report WHY at the later
 * line of the two, unless one of their values was refused already. */
static void rule(struct parse_ctx *ctx, int failed, const char *key1, const char *key2,
		 const char *why)
{
	int i = def_index(key1), j = key2 != NULL ? def_index(key2) : i;
	unsigned int line;

	if (!failed || ctx->bad[i] || ctx->bad[j])
		return;
	line = ctx->line[i] > ctx->line[j] ? ctx->line[i] : ctx->line[j];
	problem(ctx, line, "%s", why);
}

/* Checks that involve more than one value. */
static void settings_validate(struct parse_ctx *ctx)
{
	const struct hb_settings *set = ctx->set;

	rule(ctx, set->health_login_user[0] != '\0' && set->health_login_password_file[0] == '\0',
	     "health_login_user", "health_login_password_file",
	     "health_login_user needs health_login_password_file");
	rule(ctx, set->health_timeout_ms > set->health_interval_ms * 10,
	     "health_timeout", "health_interval",
	     "health_timeout must not exceed 10 x health_interval");
	/* only a probe that outlived health_timeout counts towards it */
	rule(ctx, set->health_dead_after_ms < set->health_timeout_ms,
	     "health_dead_after", "health_timeout",
	     "health_dead_after must be at least health_timeout");
	rule(ctx, set->census_interval_ms != 0 && set->census_interval_ms < 100,
	     "census_interval", NULL, "census_interval: 0 (off) or at least 100ms");
	/* a cached answer must never outlive the assignment it names */
	rule(ctx, (unsigned long long)set->route_cache_ttl_ms * 4 > set->user_expire_s * 1000ULL,
	     "route_cache_ttl", "user_expire",
	     "route_cache_ttl must be at most a quarter of user_expire");
	rule(ctx, set->milter_stale_ttl_ms != 0 && set->milter_stale_ttl_ms < set->milter_cache_ttl_ms,
	     "milter_stale_ttl", "milter_cache_ttl",
	     "milter_stale_ttl: 0 (never serve stale) or at least milter_cache_ttl");
	rule(ctx, strlen(set->key_prefix) > 64 || strchr(set->key_prefix, ' ') != NULL,
	     "key_prefix", NULL, "key_prefix: at most 64 characters, no spaces");
	rule(ctx, set->admind_lockout_max_ms < set->admind_lockout_ms,
	     "admind_lockout_max", "admind_lockout",
	     "admind_lockout_max must be at least admind_lockout");
	rule(ctx, set->admind_login_delay_max_ms < set->admind_login_delay_ms,
	     "admind_login_delay_max", "admind_login_delay",
	     "admind_login_delay_max must be at least admind_login_delay");
}

static void parse_stream(struct parse_ctx *ctx, FILE *in)
{
	char *line = NULL;
	size_t line_size = 0;
	ssize_t len;
	unsigned int line_no = 0;

	while ((len = getline(&line, &line_size, in)) > 0) {
		line_no++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > LINE_MAX_LEN)
			problem(ctx, line_no, "line too long");
		else if (memchr(line, '\0', (size_t)len) != NULL)
			problem(ctx, line_no, "NUL byte in line");
		else
			parse_line(ctx, line, line_no);
	}
	if (ferror(in))
		problem(ctx, 0, "read error: %s", strerror(errno));
	free(line);
	settings_validate(ctx);
}

/* The file names the secret files and sockets a daemon trusts: whoever may
 * write it may point a daemon at their own.  Owned by root or by us, not
 * writable by group or others (readable is fine: it holds no secret). */
static void config_file_check(struct parse_ctx *ctx, FILE *in)
{
	struct stat st;

	if (fstat(fileno(in), &st) < 0) {
		problem(ctx, 0, "fstat: %s", strerror(errno));
		return;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid())
		problem(ctx, 0, "owned by uid %u, neither root nor uid %u that reads it",
			(unsigned int)st.st_uid, (unsigned int)geteuid());
	if ((st.st_mode & 022) != 0)
		problem(ctx, 0, "writable by group/others (mode %04o): chmod go-w %s",
			(unsigned int)st.st_mode & 07777, ctx->name);
}

/* Parse IN (a file when IS_FILE) named NAME; see hb_settings_check(). */
static unsigned int check_stream(const char *name, FILE *in, int is_file,
				 struct hb_settings **set_r,
				 hb_settings_report_fn *report, void *context)
{
	struct parse_ctx ctx = { .name = name, .report = report, .context = context };

	*set_r = NULL;
	if ((ctx.set = hb_settings_new()) == NULL) {
		problem(&ctx, 0, "out of memory");
		return ctx.problems;
	}
	if (is_file)
		config_file_check(&ctx, in);
	parse_stream(&ctx, in);
	if (ctx.problems == 0)
		*set_r = ctx.set;
	else
		hb_settings_free(&ctx.set);
	return ctx.problems;
}

unsigned int hb_settings_check(const char *path, struct hb_settings **set_r,
			       hb_settings_report_fn *report, void *context)
{
	FILE *in = fopen(path, "re");
	unsigned int problems;

	if (in == NULL) {
		char msg[HB_SETTINGS_ERROR_MAX];
		snprintf(msg, sizeof(msg), "%s: cannot open: %s", path, strerror(errno));
		*set_r = NULL;
		report(context, msg);
		return 1;
	}
	problems = check_stream(path, in, 1, set_r, report, context);
	fclose(in);
	return problems;
}

unsigned int hb_settings_check_string(const char *name, const char *text,
				      struct hb_settings **set_r,
				      hb_settings_report_fn *report, void *context)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	unsigned int problems;

	if (in == NULL) {
		char msg[HB_SETTINGS_ERROR_MAX];
		snprintf(msg, sizeof(msg), "%s: %s", name, strerror(errno));
		*set_r = NULL;
		report(context, msg);
		return 1;
	}
	problems = check_stream(name, in, 0, set_r, report, context);
	fclose(in);
	return problems;
}

/* Keeps the first problem for hb_settings_load(), counts the others. */
struct first_problem {
	char *err;
	size_t err_size;
	unsigned int count;
};

static void keep_first(void *context, const char *msg)
{
	struct first_problem *first = context;

	if (first->count++ == 0)
		snprintf(first->err, first->err_size, "%s", msg);
}

/* "(and N more: see -t)" after the first problem of several */
static int first_result(struct first_problem *first)
{
	size_t used = strlen(first->err);

	if (first->count == 0)
		return 0;
	if (first->count > 1 && used < first->err_size)
		snprintf(first->err + used, first->err_size - used,
			 " (and %u more problems: check with -t)", first->count - 1);
	return -1;
}

int hb_settings_load(const char *path, struct hb_settings **set_r,
		     char *err, size_t err_size)
{
	struct first_problem first = { err, err_size, 0 };

	(void)hb_settings_check(path, set_r, keep_first, &first);
	return first_result(&first);
}

int hb_settings_parse_string(const char *name, const char *text,
			     struct hb_settings **set_r, char *err, size_t err_size)
{
	struct first_problem first = { err, err_size, 0 };

	(void)hb_settings_check_string(name, text, set_r, keep_first, &first);
	return first_result(&first);
}

/* DEF's value in SET as the file would say it: durations in their largest
 * whole unit, so that "1000ms" and "1s" read the same. */
static void format_value(const struct hb_settings *set, const struct setting_def *def,
			 char *buf, size_t size)
{
	const void *field = (const char *)set + def->offset;
	unsigned long long ms;

	switch (def->type) {
	case T_STR: snprintf(buf, size, "%s", *(char *const *)field); return;
	case T_UINT: snprintf(buf, size, "%u", *(const unsigned int *)field); return;
	case T_MODE: snprintf(buf, size, "%04o", *(const unsigned int *)field); return;
	case T_DURATION_MS: ms = *(const unsigned int *)field; break;
	case T_DURATION_S: ms = *(const unsigned int *)field * 1000ULL; break;
	default: buf[0] = '\0'; return;
	}
	if (ms == 0) snprintf(buf, size, "0");
	else if (ms % 3600000 == 0) snprintf(buf, size, "%lluh", ms / 3600000);
	else if (ms % 60000 == 0) snprintf(buf, size, "%llum", ms / 60000);
	else if (ms % 1000 == 0) snprintf(buf, size, "%llus", ms / 1000);
	else snprintf(buf, size, "%llums", ms);
}

int hb_settings_print_changed(const struct hb_settings *set, FILE *out)
{
	struct hb_settings *defaults = hb_settings_new();
	char value[LINE_MAX_LEN + 1], def_value[LINE_MAX_LEN + 1];

	if (defaults == NULL)
		return -1;
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		format_value(set, &setting_defs[i], value, sizeof(value));
		format_value(defaults, &setting_defs[i], def_value, sizeof(def_value));
		if (strcmp(value, def_value) != 0)
			fprintf(out, "%s = %s\n", setting_defs[i].key, value);
	}
	hb_settings_free(&defaults);
	return 0;
}
