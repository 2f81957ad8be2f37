/* test-hb-settings.c - cmocka tests of lib/hb-settings.c: documented defaults,
 * every key, durations, ranges, "file:line: why" errors for unknown keys and
 * malformed or overlong lines, cross-field checks, and secret files that
 * others can read being refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb-settings.h"

#define NAME "test.conf"

/* Parse TEXT that must be valid. */
static struct hb_settings *parse_ok(const char *text)
{
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX] = "";

	if (hb_settings_parse_string(NAME, text, &set, err, sizeof(err)) < 0)
		fail_msg("unexpected error for '%s': %s", text, err);
	assert_non_null(set);
	return set;
}

/* Parse TEXT that must fail with an error starting with PREFIX and
 * containing WHY (if not NULL). */
static void parse_fails(const char *text, const char *prefix, const char *why)
{
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX] = "";

	if (hb_settings_parse_string(NAME, text, &set, err, sizeof(err)) == 0) {
		hb_settings_free(&set);
		fail_msg("'%s' was accepted", text);
	}
	assert_null(set);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	if (why != NULL && strstr(err, why) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, why);
}

static void check_defaults(const struct hb_settings *set)
{
	assert_string_equal(set->redis_host, "127.0.0.1");
	assert_int_equal(set->redis_port, 6379);
	assert_string_equal(set->redis_socket, "");
	assert_string_equal(set->redis_user, "");
	assert_string_equal(set->redis_password_file, "");
	assert_int_equal(set->redis_db, 0);
	assert_int_equal(set->redis_timeout_ms, 1000);
	assert_string_equal(set->key_prefix, "hb:");
	assert_string_equal(set->director_listen, "/run/hummingbird/director.sock");
	/* not 0666: whoever reaches the lookup socket creates assignments */
	assert_int_equal(set->director_socket_mode, 0660);
	assert_string_equal(set->director_socket_group, "dovecot");
	assert_int_equal(set->milter_socket_mode, 0660);
	assert_string_equal(set->milter_socket_group, "");
	assert_string_equal(set->director_tcp_listen, "");
	assert_string_equal(set->socketmap_listen, "127.0.0.1:7302");
	assert_string_equal(set->metrics_listen, "127.0.0.1:9301");
	assert_int_equal(set->user_expire_s, 900);
	assert_int_equal(set->lookup_wait_timeout_ms, 10000);
	assert_string_equal(set->recipient_delimiter, "+");
	assert_int_equal(set->health_interval_ms, 1000);
	assert_int_equal(set->health_timeout_ms, 2000);
	assert_int_equal(set->health_fail_count, 2);
	assert_int_equal(set->health_dead_after_ms, 30000);
	assert_int_equal(set->health_ok_count, 2);
	assert_int_equal(set->health_lease_ttl_ms, 5000);
	assert_int_equal(set->degrade_probe_time_ms, 1000);
	assert_int_equal(set->degrade_enter_count, 3);
	assert_int_equal(set->degrade_leave_count, 5);
	assert_string_equal(set->health_login_user, "");
	assert_string_equal(set->health_login_password_file, "");
	assert_int_equal(set->cache_size, 100000);
	assert_string_equal(set->instance_id, "");
	assert_string_equal(set->log, "stderr");
	assert_string_equal(set->log_level, "info");
	assert_string_equal(set->pid_file, "");
	assert_string_equal(set->doveadm_api_key_file, "");
	assert_int_equal(set->kick_timeout_ms, 10000);
	assert_int_equal(set->census_interval_ms, 60000);
	assert_int_equal(set->route_cache_ttl_ms, 2000);
	assert_int_equal(hb_route_cache_wait_ms(set->route_cache_ttl_ms),
			 2000 + HB_ROUTE_CACHE_MARGIN_MS);
}

static void test_defaults(void **state)
{
	struct hb_settings *set = hb_settings_new();

	assert_non_null(set);
	check_defaults(set);
	hb_settings_free(&set);
	assert_null(set);
}

static void test_comments_and_blank_lines(void **state)
{
	struct hb_settings *set = parse_ok("# only comments\n\n   \n\t# indented\n");

	check_defaults(set);
	hb_settings_free(&set);
}

static void test_empty_text(void **state)
{
	struct hb_settings *set = parse_ok("");

	check_defaults(set);
	hb_settings_free(&set);
}

static const char every_key[] =
	"redis_host = 127.0.0.2\n"
	"redis_port = 6380\n"
	"redis_socket = /run/redis/redis.sock\n"
	"redis_user = hummingbird\n"
	"redis_password_file = /etc/hummingbird/redis.pass\n"
	"redis_db = 3\n"
	"redis_timeout = 250ms\n"
	"key_prefix = test:\n"
	"director_listen = /tmp/d.sock\n"
	"director_socket_mode = 0600\n"
	"director_socket_group = mail\n"
	"director_tcp_listen = 127.0.0.1:7300\n"
	"socketmap_listen =\n"
	"metrics_listen = 127.0.0.3:9999\n"
	"user_expire = 1h\n"
	"lookup_wait_timeout = 1500ms\n"
	"recipient_delimiter = -+\n"
	"health_interval = 500ms\n"
	"health_timeout = 1s\n"
	"health_fail_count = 5\n"
	"health_dead_after = 45s\n"
	"health_ok_count = 4\n"
	"health_lease_ttl = 3s\n"
	"cache_size = 0\n"
	"instance_id = dir-a:1\n"
	"log = syslog\n"
	"log_level = debug\n"
	"pid_file = /run/hb.pid\n"
	"doveadm_api_key_file = /etc/hummingbird/doveadm.key\n"
	"kick_timeout = 2m\n"
	"census_interval = 30s\n";

static void test_every_key(void **state)
{
	struct hb_settings *set = parse_ok(every_key);

	assert_string_equal(set->redis_host, "127.0.0.2");
	assert_int_equal(set->redis_port, 6380);
	assert_string_equal(set->redis_socket, "/run/redis/redis.sock");
	assert_string_equal(set->redis_user, "hummingbird");
	assert_string_equal(set->redis_password_file, "/etc/hummingbird/redis.pass");
	assert_int_equal(set->redis_db, 3);
	assert_int_equal(set->redis_timeout_ms, 250);
	assert_string_equal(set->key_prefix, "test:");
	assert_string_equal(set->director_listen, "/tmp/d.sock");
	assert_int_equal(set->director_socket_mode, 0600);
	assert_string_equal(set->director_socket_group, "mail");
	assert_string_equal(set->director_tcp_listen, "127.0.0.1:7300");
	assert_string_equal(set->socketmap_listen, "");
	assert_string_equal(set->metrics_listen, "127.0.0.3:9999");
	assert_int_equal(set->user_expire_s, 3600);
	assert_int_equal(set->lookup_wait_timeout_ms, 1500);
	assert_string_equal(set->recipient_delimiter, "-+");
	assert_int_equal(set->health_interval_ms, 500);
	assert_int_equal(set->health_timeout_ms, 1000);
	assert_int_equal(set->health_fail_count, 5);
	assert_int_equal(set->health_dead_after_ms, 45000);
	assert_int_equal(set->health_ok_count, 4);
	assert_int_equal(set->health_lease_ttl_ms, 3000);
	assert_int_equal(set->cache_size, 0);
	assert_string_equal(set->instance_id, "dir-a:1");
	assert_string_equal(set->log, "syslog");
	assert_string_equal(set->log_level, "debug");
	assert_string_equal(set->pid_file, "/run/hb.pid");
	assert_string_equal(set->doveadm_api_key_file, "/etc/hummingbird/doveadm.key");
	assert_int_equal(set->kick_timeout_ms, 120000);
	assert_int_equal(set->census_interval_ms, 30000);
	hb_settings_free(&set);
}

static void test_syntax_variants(void **state)
{
	/* no spaces, extra spaces, CRLF, '=' in the value, repeated key (last wins) */
	struct hb_settings *set = parse_ok(
		"redis_port=6381\n"
		"   redis_db   =   7   \r\n"
		"instance_id = a=b\n"
		"redis_host = 10.0.0.1\n"
		"redis_host = 10.0.0.2\n"
		"log_level = warning");       /* last line without newline */

	assert_int_equal(set->redis_port, 6381);
	assert_int_equal(set->redis_db, 7);
	assert_string_equal(set->instance_id, "a=b");
	assert_string_equal(set->redis_host, "10.0.0.2");
	assert_string_equal(set->log_level, "warning");
	hb_settings_free(&set);
}

static void test_durations(void **state)
{
	static const struct { const char *in; unsigned long long ms; } good[] = {
		{ "0", 0 }, { "30", 30000 }, { "1500ms", 1500 }, { "2s", 2000 },
		{ "15m", 900000 }, { "1h", 3600000 }, { "0ms", 0 }, { "007s", 7000 },
	};
	static const char *const bad[] = {
		"", "s", "ms", "-1", "+1", " 1s", "1 s", "1S", "1MS", "1.5s", "1d",
		"1sec", "1msx", "1hh", "0x10", "99999999999999999999", "1099511627777",
	};
	unsigned long long ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 12345;
		if (hb_parse_duration_ms(good[i].in, &ms) < 0)
			fail_msg("duration '%s' refused", good[i].in);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hb_parse_duration_ms(bad[i], &ms) == 0)
			fail_msg("duration '%s' accepted", bad[i]);
	}
}

static void test_duration_values_in_file(void **state)
{
	parse_fails("redis_timeout = 1d\n", NAME ":1: ", "redis_timeout");
	parse_fails("health_interval = fast\n", NAME ":1: ", "unit");
	/* user_expire is kept in seconds: fractions of a second are refused */
	parse_fails("user_expire = 1500ms\n", NAME ":1: ", "user_expire");

	struct hb_settings *set = parse_ok("user_expire = 90000ms\nlookup_wait_timeout = 0\n");
	assert_int_equal(set->user_expire_s, 90);
	assert_int_equal(set->lookup_wait_timeout_ms, 0);
	hb_settings_free(&set);
}

static void test_bad_numbers(void **state)
{
	parse_fails("redis_port = \n", NAME ":1: ", "redis_port");
	parse_fails("redis_port = abc\n", NAME ":1: ", "invalid value");
	parse_fails("redis_port = -1\n", NAME ":1: ", "invalid value");
	parse_fails("redis_port = 12x\n", NAME ":1: ", "invalid value");
	parse_fails("redis_port = 0x50\n", NAME ":1: ", "invalid value");
	parse_fails("redis_port = 6379 # comment\n", NAME ":1: ", "invalid value");
	parse_fails("cache_size = 99999999999999999999999\n", NAME ":1: ", "cache_size");
	parse_fails("director_socket_mode = 0999\n", NAME ":1: ", "director_socket_mode");
}

static void test_out_of_range(void **state)
{
	static const char *const cases[] = {
		"redis_port = 0\n", "redis_port = 65536\n", "redis_db = 1001\n",
		"redis_timeout = 5ms\n", "redis_timeout = 61s\n",
		"director_socket_mode = 1000\n", "user_expire = 0\n", "user_expire = 31d\n",
		"user_expire = 721h\n", "lookup_wait_timeout = 11m\n",
		"health_interval = 99ms\n", "health_timeout = 49ms\n",
		"health_fail_count = 0\n", "health_fail_count = 101\n",
		"health_dead_after = 999ms\n", "health_dead_after = 61m\n",
		"health_ok_count = 0\n", "health_ok_count = 101\n",
		"health_lease_ttl = 999ms\n", "cache_size = 100000001\n",
		"kick_timeout = 99ms\n", "kick_timeout = 11m\n", "census_interval = 25h\n",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i], NAME ":1: ", NULL);
	parse_fails("redis_port = 0\n", NAME ":1: ", "out of range");

	/* the limits themselves are accepted */
	struct hb_settings *set = parse_ok("redis_port = 65535\nredis_db = 1000\n"
					   "redis_timeout = 10ms\nhealth_fail_count = 100\n"
					   "director_socket_mode = 0777\n");
	assert_int_equal(set->redis_port, 65535);
	assert_int_equal(set->director_socket_mode, 0777);
	hb_settings_free(&set);
}

static void test_unknown_key_line_number(void **state)
{
	parse_fails("# comment\n\nredis_port = 6380\nno_such_key = 1\nredis_db = 2\n",
		    NAME ":4: ", "unknown setting 'no_such_key'");
	parse_fails("Redis_Port = 6380\n", NAME ":1: ", "unknown setting");
}

static void test_malformed_line_number(void **state)
{
	parse_fails("redis_port = 6380\njust some words\n", NAME ":2: ", "key = value");
	parse_fails("\n\n\nredis_port 6380\n", NAME ":4: ", NULL);
	parse_fails("= 6380\n", NAME ":1: ", "unknown setting");
	/* the error after a long value still names the right line */
	parse_fails("redis_port = 1\nredis_db = 1\nhealth_ok_count = zero\n",
		    NAME ":3: ", "health_ok_count");
}

static void test_overlong_line(void **state)
{
	char *text = malloc(10000);
	struct hb_settings *set;

	assert_non_null(text);
	/* a long but acceptable value */
	strcpy(text, "instance_id = ");
	memset(text + strlen(text), 'x', 4000);
	text[14 + 4000] = '\0';
	strcat(text, "\n");
	set = parse_ok(text);
	assert_int_equal(strlen(set->instance_id), 4000);
	hb_settings_free(&set);

	/* line 2 is 8000 bytes long */
	strcpy(text, "redis_db = 1\ninstance_id = ");
	memset(text + strlen(text), 'y', 8000);
	text[27 + 8000] = '\0';
	strcat(text, "\nredis_db = 2\n");
	parse_fails(text, NAME ":2: ", "line too long");
	free(text);
}

static void test_cross_field_validation(void **state)
{
	struct hb_settings *set;

	parse_fails("health_interval = 1s\nhealth_timeout = 11s\n", NAME ": ",
		    "health_timeout");
	parse_fails("health_timeout = 5s\nhealth_dead_after = 4s\n", NAME ": ",
		    "health_dead_after must be at least health_timeout");
	/* value lists are checked per line, so the error names the line */
	parse_fails("redis_db = 1\nlog = file\n", NAME ":2: ", "log");
	parse_fails("log_level = verbose\n", NAME ":1: ", "log_level");
	parse_fails("log_level =\n", NAME ":1: ", "log_level");
	parse_fails("log =\n", NAME ":1: ", "must be stderr or syslog");
	parse_fails("key_prefix = a b\n", NAME ": ", "key_prefix");
	parse_fails("census_interval = 99ms\n", NAME ": ", "census_interval");
	parse_fails("health_login_user = hbhealth\n", NAME ": ",
		    "health_login_user needs health_login_password_file");
	parse_fails("degrade_enter_count = 0\n", NAME ":1: ", "degrade_enter_count");
	parse_fails("degrade_probe_time = soon\n", NAME ":1: ", "degrade_probe_time");
	set = parse_ok("health_login_user = hbhealth\nhealth_login_password_file = /p\n"
		       "degrade_probe_time = 0\ndegrade_enter_count = 1\ndegrade_leave_count = 100\n");
	assert_string_equal(set->health_login_user, "hbhealth");
	assert_string_equal(set->health_login_password_file, "/p");
	assert_int_equal(set->degrade_probe_time_ms, 0);
	assert_int_equal(set->degrade_enter_count, 1);
	assert_int_equal(set->degrade_leave_count, 100);
	hb_settings_free(&set);
	set = parse_ok("census_interval = 0\n");
	assert_int_equal(set->census_interval_ms, 0);
	hb_settings_free(&set);
	/* a cached passdb answer must never outlive its assignment */
	parse_fails("user_expire = 4s\nroute_cache_ttl = 1001ms\n", NAME ": ",
		    "route_cache_ttl must be at most a quarter of user_expire");
	parse_fails("route_cache_ttl = 61s\n", NAME ":1: ", "route_cache_ttl");
	set = parse_ok("user_expire = 4s\nroute_cache_ttl = 1s\n");
	assert_int_equal(set->route_cache_ttl_ms, 1000);
	hb_settings_free(&set);
	set = parse_ok("user_expire = 1s\nroute_cache_ttl = 0\n");
	assert_int_equal(set->route_cache_ttl_ms, 0);
	assert_int_equal(hb_route_cache_wait_ms(set->route_cache_ttl_ms), 0);
	hb_settings_free(&set);
	parse_fails("key_prefix = "
		    "12345678901234567890123456789012345678901234567890123456789012345\n",
		    NAME ": ", "key_prefix");

	set = parse_ok("health_interval = 1s\nhealth_timeout = 10s\nlog = syslog\n"
		       "key_prefix = 1234567890123456789012345678901234567890123456789012345678901234\n");
	assert_int_equal(set->health_timeout_ms, 10000);
	assert_string_equal(set->log, "syslog");
	assert_int_equal(strlen(set->key_prefix), 64);
	hb_settings_free(&set);
}

/* Write CONTENT to a new temporary file with MODE; returns its path (static). */
static const char *write_temp(const char *content, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/hb-unit-settings-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void test_load_file(void **state)
{
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX];
	const char *path = write_temp("redis_port = 6390\n", 0600);
	char expected[128];

	assert_int_equal(hb_settings_load(path, &set, err, sizeof(err)), 0);
	assert_int_equal(set->redis_port, 6390);
	hb_settings_free(&set);
	unlink(path);

	path = write_temp("redis_port = 6390\nbogus\n", 0600);
	assert_int_equal(hb_settings_load(path, &set, err, sizeof(err)), -1);
	snprintf(expected, sizeof(expected), "%s:2: ", path);
	assert_memory_equal(err, expected, strlen(expected));
	unlink(path);

	assert_int_equal(hb_settings_load("/nonexistent/hummingbird.conf", &set, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/hummingbird.conf"));
}

/* A configuration names the secret files a daemon trusts: one that others
 * may write, or that another user owns, is refused; readable is fine. */
static void test_load_file_refuses_writable_or_foreign(void **state)
{
	static const mode_t bad_modes[] = { 0620, 0602, 0660, 0666 };
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX];
	const char *path;

	path = write_temp("redis_port = 6390\n", 0644);
	assert_int_equal(hb_settings_load(path, &set, err, sizeof(err)), 0);
	hb_settings_free(&set);
	for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
		assert_int_equal(chmod(path, bad_modes[i]), 0);
		if (hb_settings_load(path, &set, err, sizeof(err)) == 0)
			fail_msg("configuration with mode %o accepted", (unsigned)bad_modes[i]);
		assert_null(set);
		assert_non_null(strstr(err, "writable by group/others"));
	}
	assert_int_equal(chmod(path, 0644), 0);
	if (geteuid() == 0) {		/* root may own it; another user may not */
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(hb_settings_load(path, &set, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "owned by uid 65534"));
	}
	unlink(path);
}

/* A NUL byte inside a line would hide the rest of it from a C-string parser. */
static void test_load_file_nul_byte(void **state)
{
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX], expected[128];
	const char *path = write_temp("redis_db = 1\n", 0600);
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	assert_int_equal(fwrite("redis_port = 1\0bogus = 2\n", 1, 26, f), 26);
	fclose(f);
	assert_int_equal(hb_settings_load(path, &set, err, sizeof(err)), -1);
	assert_null(set);
	snprintf(expected, sizeof(expected), "%s:2: NUL byte", path);
	assert_memory_equal(err, expected, strlen(expected));
	unlink(path);
}

static void test_error_buffer_truncation(void **state)
{
	struct hb_settings *set = NULL;
	char err[16];

	assert_int_equal(hb_settings_parse_string(NAME, "nonsense_key = 1\n", &set,
						  err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_null(set);
}

/* hb_read_secret_file() is the one secret reader (lib/hb-secret-file.c)
 * behind redis_password_file and health_login_password_file: one line of a
 * regular file of ours with no group/other bits (test-hb-secret.c tests the
 * reader itself; this is the settings' form of it). */
static void test_secret_file(void **state)
{
	char err[256], *secret = NULL;
	const char *path;

	path = write_temp("s3cret\n", 0600);
	assert_int_equal(hb_read_secret_file(path, &secret, err, sizeof(err)), 0);
	assert_string_equal(secret, "s3cret");
	free(secret);
	secret = NULL;
	unlink(path);

	path = write_temp("with-crlf\r\n", 0400);
	assert_int_equal(hb_read_secret_file(path, &secret, err, sizeof(err)), 0);
	assert_string_equal(secret, "with-crlf");
	free(secret);
	secret = NULL;
	unlink(path);
}

static void test_secret_file_refused(void **state)
{
	/* the old reader let the group read (0640, 0660): no longer */
	static const mode_t modes[] = { 0640, 0660, 0620, 0610, 0644, 0604, 0602, 0601, 0666 };
	char err[256], link[64], *secret = NULL;
	const char *path;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		path = write_temp("s3cret\n", modes[i]);
		if (hb_read_secret_file(path, &secret, err, sizeof(err)) == 0)
			fail_msg("secret file with mode %o accepted", (unsigned)modes[i]);
		assert_null(secret);
		assert_non_null(strstr(err, "by group/others"));
		unlink(path);
	}
	path = write_temp("s3cret\nsecond line\n", 0600);
	assert_int_equal(hb_read_secret_file(path, &secret, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one line"));
	/* a symlink to a good file is not followed */
	snprintf(link, sizeof(link), "%s.link", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(hb_read_secret_file(link, &secret, err, sizeof(err)), -1);
	assert_null(secret);
	assert_non_null(strstr(err, "symbolic link"));
	unlink(link);
	unlink(path);
	path = write_temp("", 0600);
	assert_int_equal(hb_read_secret_file(path, &secret, err, sizeof(err)), -1);
	assert_null(secret);
	unlink(path);
	assert_int_equal(hb_read_secret_file("/nonexistent/secret", &secret, err,
					     sizeof(err)), -1);
	assert_null(secret);
}

static void test_free_null(void **state)
{
	struct hb_settings *set = NULL;

	hb_settings_free(&set);
	assert_null(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_comments_and_blank_lines),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_duration_values_in_file),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_unknown_key_line_number),
		cmocka_unit_test(test_malformed_line_number),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_cross_field_validation),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_file_refuses_writable_or_foreign),
		cmocka_unit_test(test_load_file_nul_byte),
		cmocka_unit_test(test_error_buffer_truncation),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_secret_file_refused),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
