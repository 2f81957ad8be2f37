/* test-hb-settings.c - cmocka tests of lib/hb-settings.c: documented defaults,
 * every key, durations, ranges, "file:line: why" errors for unknown keys,
 * duplicate keys, malformed or overlong lines and bad addresses, every
 * problem reported at once, cross-field checks, the non-default listing
 * (-n), the shipped conf.d files stating the true defaults, and secret files
 * that others can read being refused. */
#include <dirent.h>
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
#include <arpa/inet.h>
#include <netinet/in.h>

#include "hb-settings.h"
#include "hb-settings-addr.h"

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
	/* no spaces, extra spaces, CRLF, '=' in the value */
	struct hb_settings *set = parse_ok(
		"redis_port=6381\n"
		"   redis_db   =   7   \r\n"
		"instance_id = a=b\n"
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

	/* a rule between values names the later line of the keys involved */
	parse_fails("health_interval = 1s\nhealth_timeout = 11s\n", NAME ":2: ",
		    "health_timeout");
	parse_fails("health_timeout = 11s\nredis_db = 1\nhealth_interval = 1s\n", NAME ":3: ",
		    "health_timeout");
	parse_fails("health_timeout = 5s\nhealth_dead_after = 4s\n", NAME ":2: ",
		    "health_dead_after must be at least health_timeout");
	/* value lists are checked per line, so the error names the line */
	parse_fails("redis_db = 1\nlog = file\n", NAME ":2: ", "log");
	parse_fails("log_level = verbose\n", NAME ":1: ", "log_level");
	parse_fails("log_level =\n", NAME ":1: ", "log_level");
	parse_fails("log =\n", NAME ":1: ", "must be stderr or syslog");
	parse_fails("key_prefix = a b\n", NAME ":1: ", "key_prefix");
	parse_fails("census_interval = 99ms\n", NAME ":1: ", "census_interval");
	parse_fails("health_login_user = hbhealth\n", NAME ":1: ",
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
	parse_fails("user_expire = 4s\nroute_cache_ttl = 1001ms\n", NAME ":2: ",
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
		    NAME ":1: ", "key_prefix");
	/* admind's pairs (the parser's, so that -t sees them) */
	parse_fails("admind_lockout = 1m\nadmind_lockout_max = 30s\n", NAME ":2: ",
		    "admind_lockout_max must be at least admind_lockout");
	parse_fails("admind_login_delay_max = 1s\nadmind_login_delay = 2s\n", NAME ":2: ",
		    "admind_login_delay_max must be at least admind_login_delay");

	set = parse_ok("health_interval = 1s\nhealth_timeout = 10s\nlog = syslog\n"
		       "key_prefix = 1234567890123456789012345678901234567890123456789012345678901234\n");
	assert_int_equal(set->health_timeout_ms, 10000);
	assert_string_equal(set->log, "syslog");
	assert_int_equal(strlen(set->key_prefix), 64);
	hb_settings_free(&set);
}

/* A key set twice is refused at its second line, naming the first: the
 * last one winning silently would hide an edit. */
static void test_duplicate_key(void **state)
{
	parse_fails("redis_port = 6380\n\nredis_db = 1\nredis_port = 6380\n", NAME ":4: ",
		    "duplicate setting 'redis_port' (first set at line 1)");
	parse_fails("log = syslog\nlog = stderr\n", NAME ":2: ", "first set at line 1");
}

/* Collects the problems hb_settings_check_string() reports. */
struct problems {
	char text[4096];
	unsigned int count;
};

static void collect(void *context, const char *problem)
{
	struct problems *p = context;
	size_t used = strlen(p->text);

	p->count++;
	snprintf(p->text + used, sizeof(p->text) - used, "%s\n", problem);
}

/* Every problem is reported (not only the first), each with its line. */
static void test_every_problem_reported(void **state)
{
	struct problems p = { "", 0 };
	struct hb_settings *set = NULL;

	assert_int_equal(hb_settings_check_string(NAME,
		"bogus = 1\n"
		"redis_port = 0\n"
		"milter_listen = inet:abc@nowhere\n"
		"redis_port = 6380\n"
		"no equals sign\n"
		"health_timeout = 30s\n", &set, collect, &p), 6);
	assert_int_equal(p.count, 6);
	assert_null(set);
	assert_string_equal(p.text,
		NAME ":1: unknown setting 'bogus'\n"
		NAME ":2: redis_port: 0 is out of range\n"
		NAME ":3: milter_listen: invalid value 'inet:abc@nowhere': expected "
		"inet:PORT@ADDR with a port 1-65535 and an IPv4 address\n"
		NAME ":4: duplicate setting 'redis_port' (first set at line 2)\n"
		NAME ":5: expected 'key = value', got 'no equals sign'\n"
		NAME ":6: health_timeout must not exceed 10 x health_interval\n");
	/* a refused value does not hide a rule failing on another line */
	p.text[0] = '\0';
	p.count = 0;
	assert_int_equal(hb_settings_check_string(NAME, "log = x\nhealth_timeout = 30s\n",
						  &set, collect, &p), 2);
	assert_non_null(strstr(p.text, NAME ":2: health_timeout must not exceed"));
	/* hb_settings_parse_string() gives the first and counts the others */
	{
		char err[HB_SETTINGS_ERROR_MAX];
		assert_int_equal(hb_settings_parse_string(NAME, "a = 1\nb = 2\nc = 3\n", &set,
							  err, sizeof(err)), -1);
		assert_string_equal(err, NAME ":1: unknown setting 'a' "
				    "(and 2 more problems: check with -t)");
	}
}

/* Every address setting takes only what its daemon can bind or reach. */
static void test_addresses(void **state)
{
	static const char *const good[] = {
		"director_listen = /run/d.sock", "director_listen = 127.0.0.1:7300",
		"director_listen =", "director_tcp_listen = [::1]:7300",
		"director_tcp_listen = ::1:7300", "socketmap_listen = /run/s.sock",
		"socketmap_listen = 0.0.0.0:7302", "userdb_listen = /run/u.sock",
		"metrics_listen =", "metrics_listen = 10.1.2.3:9301",
		"milter_listen = inet:7303@127.0.0.1", "milter_listen = inet6:7303@::1",
		"milter_listen = unix:/var/spool/postfix/hummingbird/milter.sock",
		"milter_listen = local:/run/m.sock", "milter_listen = /run/m.sock",
		"milter_metrics_listen = 127.0.0.1:9303", "admind_listen = [2001:db8::1]:443",
		"redis_host = redis.example.com", "redis_host = ::1", "redis_host = 10.0.0.7",
		"redis_socket = /run/redis/redis.sock", "redis_socket =",
		"socketmap_domains = example.com, example.org  xn--bcher-kva.example",
		"socketmap_domains = bücher.example",
	};
	static const char *const bad[] = {
		"director_listen = run/d.sock", "director_listen = localhost:7300",
		"director_tcp_listen = /run/t.sock", "director_tcp_listen = 127.0.0.1",
		"socketmap_listen = not-an-address", "socketmap_listen = 127.0.0.1:0",
		"socketmap_listen = 127.0.0.1:65536", "socketmap_listen = 127.0.0.1:port",
		"userdb_listen = 127.0.0.1:7305", "metrics_listen = /run/m.sock",
		"metrics_listen = 127.0.0.1:", "milter_listen = inet:abc@nowhere",
		"milter_listen = inet:7303@localhost", "milter_listen = inet:7303@::1",
		"milter_listen = inet6:7303@127.0.0.1", "milter_listen = inet:7303",
		"milter_listen = unix:relative.sock", "milter_listen = 127.0.0.1:7303",
		"milter_listen =", "milter_metrics_listen = 1.2.3.4.5:9303",
		"admind_listen =", "admind_listen = [::1]7304", "admind_listen = localhost:7304",
		"redis_host =", "redis_host = bad host", "redis_host = -x.example",
		"redis_socket = redis.sock",
		"userdb_listen = /run/0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789/u.sock",
		"socketmap_domains = example.com,bad..example", "socketmap_domains = localhost",
	};
	struct hb_settings *set;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		set = parse_ok(good[i]);
		hb_settings_free(&set);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], NAME ":1: ", "invalid value");
}

/* The one inet parser the daemons bind with gives the address it checked. */
static void test_inet_spec_parse(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[128];

	assert_int_equal(hb_inet_spec_parse("127.0.0.1:7302", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 7302);
	assert_int_equal(hb_inet_spec_parse("[::1]:80", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 80);
	assert_int_equal(hb_inet_spec_parse("[127.0.0.1]:80", &ss, &len, err, sizeof(err)), -1);
	assert_int_equal(hb_inet_spec_parse("127.0.0.1:+80", &ss, &len, err, sizeof(err)), -1);
}

/* -n: what differs from the defaults, in table order, durations in their
 * largest whole unit, and nothing for a file of defaults only. */
static void test_print_changed(void **state)
{
	struct hb_settings *set = parse_ok(
		"milter_fail = accept\nredis_port = 6379\nuser_expire = 3600s\n"
		"redis_timeout = 1500ms\ndirector_socket_mode = 0600\nredis_host = ::1\n"
		"health_timeout = 2000ms\n");
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	assert_int_equal(hb_settings_print_changed(set, f), 0);
	fclose(f);
	assert_string_equal(out, "redis_host = ::1\nredis_timeout = 1500ms\n"
			    "director_socket_mode = 0600\nuser_expire = 1h\nmilter_fail = accept\n");
	free(out);
	hb_settings_free(&set);
}

/* Every "#key = value" line of a shipped file (a claimed default) must be
 * the built-in default, and the file must parse as it is shipped. */
static void check_shipped_file(const char *path)
{
	FILE *in = fopen(path, "r");
	char line[1024], *text = NULL, *out = NULL;
	size_t text_size = 0, out_size = 0;
	FILE *all = open_memstream(&text, &text_size);
	struct problems p = { "", 0 };
	struct hb_settings *set = NULL;
	unsigned int line_no = 0;

	assert_non_null(in);
	assert_non_null(all);
	while (fgets(line, sizeof(line), in) != NULL) {
		line_no++;
		fputs(line, all);
		/* "#key = ..." (no space after '#') claims the default */
		if (line[0] != '#' || line[1] < 'a' || line[1] > 'z' || strchr(line, '=') == NULL)
			continue;
		if (hb_settings_check_string(path, line + 1, &set, collect, &p) > 0)
			fail_msg("%s:%u: claimed default refused: %s", path, line_no, p.text);
		FILE *f = open_memstream(&out, &out_size);
		assert_int_equal(hb_settings_print_changed(set, f), 0);
		fclose(f);
		if (out[0] != '\0')
			fail_msg("%s:%u: '%s' is no default; the code's default differs (%s)",
				 path, line_no, strtok(line, "\n"), out);
		free(out);
		out = NULL;
		hb_settings_free(&set);
	}
	fclose(in);
	fclose(all);
	if (hb_settings_check_string(path, text, &set, collect, &p) > 0)
		fail_msg("%s as shipped: %s", path, p.text);
	hb_settings_free(&set);
	free(text);
}

static void test_shipped_files_state_defaults(void **state)
{
	DIR *dir = opendir(CONF_DIR);
	struct dirent *de;
	unsigned int files = 0;
	char path[1024];

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		/* NN-*.conf are Dovecot's snippets, not ours */
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 ||
		    (de->d_name[0] >= '0' && de->d_name[0] <= '9'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CONF_DIR, de->d_name);
		check_shipped_file(path);
		files++;
	}
	closedir(dir);
	/* director, milter, admind, auth, hummingbird at least */
	assert_true(files >= 5);
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
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_inet_spec_parse),
		cmocka_unit_test(test_print_changed),
		cmocka_unit_test(test_shipped_files_state_defaults),
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
