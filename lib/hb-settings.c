/* hb-settings.c - parser for hummingbird.conf: "key = value" lines, table
 * driven, every error names file:line.  Produces a struct that is read-only
 * afterwards; reload = parse a new one and swap. */
#include "hb-settings.h"

#include <ctype.h>
#include <errno.h>
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
};

static const char *const log_choices[] = { "stderr", "syslog", NULL };
static const char *const log_level_choices[] = { "debug", "info", "warning", "error", NULL };
static const char *const fail_choices[] = { "tempfail", "accept", NULL };
static const char *const from_ambiguous_choices[] = { "reject", "worst", NULL };
static const char *const doveadm_tls_choices[] = { "no", "yes", NULL };

#define S(key, type, def, min, max) \
	{ #key, type, offsetof(struct hb_settings, key), def, min, max, NULL }
#define D(key, field, type, def, min, max) \
	{ #key, type, offsetof(struct hb_settings, field), def, min, max, NULL }
#define E(key, def, choices) \
	{ #key, T_STR, offsetof(struct hb_settings, key), def, 0, 0, choices }

static const struct setting_def setting_defs[] = {
	S(redis_host, T_STR, "127.0.0.1", 0, 0),
	S(redis_port, T_UINT, "6379", 1, 65535),
	S(redis_socket, T_STR, "", 0, 0),
	S(redis_user, T_STR, "", 0, 0),
	S(redis_password_file, T_STR, "", 0, 0),
	S(redis_db, T_UINT, "0", 0, 1000),
	D(redis_timeout, redis_timeout_ms, T_DURATION_MS, "1s", 10, 60000),
	S(key_prefix, T_STR, "hb:", 0, 0),
	S(director_listen, T_STR, "/run/hummingbird/director.sock", 0, 0),
	S(director_socket_mode, T_MODE, "0660", 0, 0777),
	S(director_socket_group, T_STR, "dovecot", 0, 0),
	S(director_tcp_listen, T_STR, "", 0, 0),
	S(socketmap_listen, T_STR, "127.0.0.1:7302", 0, 0),
	S(socketmap_domains, T_STR, "", 0, 0),
	S(userdb_listen, T_STR, "", 0, 0),
	S(userdb_socket_mode, T_MODE, "0660", 0, 0777),
	S(userdb_socket_group, T_STR, "", 0, 0),
	S(metrics_listen, T_STR, "127.0.0.1:9301", 0, 0),
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
	S(milter_listen, T_STR, "unix:/var/spool/postfix/hummingbird/milter.sock", 0, 0),
	S(milter_socket_mode, T_MODE, "0660", 0, 0777),
	S(milter_socket_group, T_STR, "", 0, 0),
	E(milter_fail, "tempfail", fail_choices),
	S(milter_metrics_listen, T_STR, "127.0.0.1:9303", 0, 0),
	S(milter_user, T_STR, "", 0, 0),
	D(milter_cache_ttl, milter_cache_ttl_ms, T_DURATION_MS, "5s", 0, 3600000),
	D(milter_stale_ttl, milter_stale_ttl_ms, T_DURATION_MS, "10m", 0, 86400000),
	S(milter_redis_connections, T_UINT, "16", 1, 1024),
	S(milter_suspended_code, T_UINT, "550", 400, 599),
	D(milter_timeout, milter_timeout_s, T_DURATION_S, "300s", 1, 3600),
	E(milter_from_ambiguous, "reject", from_ambiguous_choices),
	S(admind_listen, T_STR, "127.0.0.1:7304", 0, 0),
	S(admind_cert_file, T_STR, "/etc/hummingbird/admind.crt", 0, 0),
	S(admind_key_file, T_STR, "/etc/hummingbird/admind.key", 0, 0),
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
		if (def->choices != NULL && choice_check(def, value, err, err_size) < 0)
			return -1;
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

/* Parse one line (already without newline); -1 with ERR on error. */
static int parse_line(struct hb_settings *set, char *line, char *err, size_t err_size)
{
	char *eq, *key, *value;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL) {
		snprintf(err, err_size, "expected 'key = value', got '%.60s'", line);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (strcmp(setting_defs[i].key, key) == 0)
			return setting_apply(set, &setting_defs[i], value, err, err_size);
	}
	snprintf(err, err_size, "unknown setting '%.60s'", key);
	return -1;
}

/* Checks that involve more than one value. */
static int settings_validate(const struct hb_settings *set, char *err, size_t err_size)
{
	if (set->health_login_user[0] != '\0' && set->health_login_password_file[0] == '\0') {
		snprintf(err, err_size, "health_login_user needs health_login_password_file");
		return -1;
	}
	if (set->health_timeout_ms > set->health_interval_ms * 10) {
		snprintf(err, err_size, "health_timeout must not exceed 10 x health_interval");
		return -1;
	}
	if (set->health_dead_after_ms < set->health_timeout_ms) {
		/* only a probe that outlived health_timeout counts towards it */
		snprintf(err, err_size, "health_dead_after must be at least health_timeout");
		return -1;
	}
	if (set->census_interval_ms != 0 && set->census_interval_ms < 100) {
		snprintf(err, err_size, "census_interval: 0 (off) or at least 100ms");
		return -1;
	}
	if ((unsigned long long)set->route_cache_ttl_ms * 4 > set->user_expire_s * 1000ULL) {
		/* a cached answer must never outlive the assignment it names */
		snprintf(err, err_size, "route_cache_ttl must be at most a quarter of user_expire");
		return -1;
	}
	if (set->milter_stale_ttl_ms != 0 && set->milter_stale_ttl_ms < set->milter_cache_ttl_ms) {
		snprintf(err, err_size, "milter_stale_ttl: 0 (never serve stale) or at least milter_cache_ttl");
		return -1;
	}
	if (strlen(set->key_prefix) > 64 || strchr(set->key_prefix, ' ') != NULL) {
		snprintf(err, err_size, "key_prefix: at most 64 characters, no spaces");
		return -1;
	}
	return 0;
}

static int settings_parse_stream(const char *name, FILE *in, struct hb_settings **set_r,
				 char *err, size_t err_size)
{
	struct hb_settings *set = hb_settings_new();
	char *line = NULL, why[HB_SETTINGS_ERROR_MAX];
	size_t line_size = 0;
	ssize_t len;
	unsigned int line_no = 0;

	if (set == NULL) {
		snprintf(err, err_size, "%s: out of memory", name);
		return -1;
	}
	while ((len = getline(&line, &line_size, in)) > 0) {
		line_no++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > LINE_MAX_LEN) {
			snprintf(err, err_size, "%s:%u: line too long", name, line_no);
			goto fail;
		}
		if (memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(err, err_size, "%s:%u: NUL byte in line", name, line_no);
			goto fail;
		}
		if (parse_line(set, line, why, sizeof(why)) < 0) {
			snprintf(err, err_size, "%s:%u: %s", name, line_no, why);
			goto fail;
		}
	}
	if (ferror(in)) {
		snprintf(err, err_size, "%s: read error: %s", name, strerror(errno));
		goto fail;
	}
	if (settings_validate(set, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "%s: %s", name, why);
		goto fail;
	}
	free(line);
	*set_r = set;
	return 0;
fail:
	free(line);
	hb_settings_free(&set);
	return -1;
}

/* The file names the secret files and sockets a daemon trusts: whoever may
 * write it may point a daemon at their own.  Owned by root or by us, not
 * writable by group or others (readable is fine: it holds no secret). */
static int config_file_check(FILE *in, const char *path, char *err, size_t err_size)
{
	struct stat st;

	if (fstat(fileno(in), &st) < 0) {
		snprintf(err, err_size, "%s: fstat: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, err_size, "%s: owned by uid %u, neither root nor uid %u that reads it",
			 path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -1;
	}
	if ((st.st_mode & 022) != 0) {
		snprintf(err, err_size, "%s: writable by group/others (mode %04o): chmod go-w %s",
			 path, (unsigned int)st.st_mode & 07777, path);
		return -1;
	}
	return 0;
}

int hb_settings_load(const char *path, struct hb_settings **set_r,
		     char *err, size_t err_size)
{
	FILE *in = fopen(path, "re");
	int ret;

	if (in == NULL) {
		snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (config_file_check(in, path, err, err_size) < 0) {
		fclose(in);
		return -1;
	}
	ret = settings_parse_stream(path, in, set_r, err, err_size);
	fclose(in);
	return ret;
}

int hb_settings_parse_string(const char *name, const char *text,
			     struct hb_settings **set_r, char *err, size_t err_size)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (in == NULL) {
		snprintf(err, err_size, "%s: %s", name, strerror(errno));
		return -1;
	}
	ret = settings_parse_stream(name, in, set_r, err, err_size);
	fclose(in);
	return ret;
}
