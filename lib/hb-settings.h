/* hb-settings.h - the one Hummingbird configuration file (docs/DESIGN.md, 8):
 * parsed once into a struct, validated, then read-only.  Reload = load a new
 * struct and swap it. */
#ifndef HB_SETTINGS_H
#define HB_SETTINGS_H

#include <stddef.h>
#include <stdio.h>
/* settings name secret files (redis_password_file ...): read them only with
 * the one reader, hb_read_secret_file() or hb_secret_read_file() */
#include "hb-secret-file.h"
#include "hb-paths.h"

#define HB_DEFAULT_CONFIG_PATH HB_CONFIG_DIR "/hummingbird.conf"
#define HB_SETTINGS_ERROR_MAX 512

struct hb_settings {
	char *redis_host;
	unsigned int redis_port;
	char *redis_socket;
	char *redis_user;
	char *redis_password_file;
	unsigned int redis_db;
	unsigned int redis_timeout_ms;
	char *key_prefix;

	char *director_listen;
	unsigned int director_socket_mode;
	char *director_socket_group;       /* "" = the director's own group */
	char *director_tcp_listen;
	char *socketmap_listen;
	/* domains routed besides the hosted ones (hbctl domain add), separated
	 * by commas or spaces; the socketmap answers NOTFOUND for all others */
	char *socketmap_domains;
	char *userdb_listen;               /* "" = no USERDB service */
	unsigned int userdb_socket_mode;
	char *userdb_socket_group;         /* "" = the director's own group */
	char *metrics_listen;
	unsigned int user_expire_s;
	unsigned int lookup_wait_timeout_ms;
	char *recipient_delimiter;

	unsigned int health_interval_ms;
	unsigned int health_timeout_ms;
	unsigned int health_fail_count;
	unsigned int health_dead_after_ms;	/* no sign of life this long: failed */
	unsigned int health_ok_count;
	unsigned int degrade_probe_time_ms;	/* 0: probe time is no input */
	unsigned int degrade_enter_count;
	unsigned int degrade_leave_count;
	char *health_login_user;		/* "": IMAP probes greet only */
	char *health_login_password_file;
	unsigned int health_lease_ttl_ms;
	unsigned int cache_size;
	char *instance_id;
	char *log;
	char *log_level;
	char *pid_file;

	char *doveadm_api_key_file;
	char *doveadm_tls;                 /* yes: the doveadm API over TLS only */
	char *doveadm_ca_file;             /* CA of the backends' doveadm certificates */
	unsigned int kick_timeout_ms;
	unsigned int census_interval_ms;   /* 0 = no session census */
	unsigned int route_cache_ttl_ms;   /* passdb answer cache; 0 = off */

	/* hummingbird-milter (docs/MILTER.md) */
	char *milter_listen;               /* libmilter socket: inet:PORT@HOST, unix:PATH */
	unsigned int milter_socket_mode;   /* unix:PATH only */
	char *milter_socket_group;         /* unix:PATH only; "" = the milter's own */
	char *milter_fail;                 /* tempfail | accept when Redis fails */
	char *milter_metrics_listen;       /* "" = no /metrics */
	char *milter_user;                 /* "" = keep the starting user */
	unsigned int milter_cache_ttl_ms;  /* policy values re-read after this */
	unsigned int milter_stale_ttl_ms;  /* ... and served while Redis is down */
	unsigned int milter_redis_connections;
	unsigned int milter_suspended_code; /* 450 or 550 ... */
	unsigned int milter_timeout_s;     /* libmilter's socket timeout */
	char *milter_from_ambiguous;       /* reject | worst: several or unreadable From: */

	/* hummingbird-admind (docs/ADMIND.md) */
	char *admind_listen;               /* ADDR:PORT of the HTTPS API */
	char *admind_cert_file;            /* PEM certificate chain */
	char *admind_key_file;             /* PEM private key, mode 0600 */
	char *admind_client_ca_file;       /* "" = no client certificate asked */
	unsigned int admind_session_ttl_s; /* lifetime of a session token */
	unsigned int admind_max_body;      /* bytes of a request body */
	unsigned int admind_max_headers;   /* bytes of a request's head */
	unsigned int admind_timeout_s;     /* a silent connection is closed */
	unsigned int admind_login_failures; /* failures of a name before its logins are delayed */
	unsigned int admind_lockout_ms;    /* an address's first lock; doubles with each failure */
	unsigned int admind_lockout_max_ms;
	unsigned int admind_addr_failures; /* failures from one address before it is locked */
	unsigned int admind_login_delay_ms; /* a name's first delay; doubles with each failure */
	unsigned int admind_login_delay_max_ms;
	unsigned int admind_max_connections; /* in total (also kept under the fd limit) */
	unsigned int admind_max_connections_per_addr;
	unsigned int admind_handshake_timeout_ms; /* TLS handshake, from accept */
	unsigned int admind_request_timeout_ms; /* a whole request (head and body) */
};

/* Allocate settings with every documented default. */
struct hb_settings *hb_settings_new(void);
/* Parse PATH into a new struct.  PATH must be owned by root or the euid and
 * not writable by group/others (it names the secret files the daemon
 * trusts).  A key may appear once; a second line with it is an error.  On
 * error returns -1 and writes the first problem, "file:line: why", into ERR
 * (HB_SETTINGS_ERROR_MAX bytes is enough), with a count of any others. */
int hb_settings_load(const char *path, struct hb_settings **set_r,
		     char *err, size_t err_size);
/* Parse a string as if it were a file called NAME (used by tests). */
int hb_settings_parse_string(const char *name, const char *text,
			     struct hb_settings **set_r, char *err, size_t err_size);
void hb_settings_free(struct hb_settings **set);

/* Receives each problem hb_settings_check() finds, as "file:line: why"
 * ("file: why" for the file itself). */
typedef void hb_settings_report_fn(void *context, const char *problem);
/* Parse PATH as hb_settings_load() does, but hand every problem to REPORT
 * (all of them, like `postfix check`: each bad line, each duplicate key with
 * the line that first set it, each rule between values at the later line of
 * the keys involved).  Returns the number of problems; *SET_R is set only
 * when there are none. */
unsigned int hb_settings_check(const char *path, struct hb_settings **set_r,
			       hb_settings_report_fn *report, void *context);
/* The same for TEXT as if it were a file called NAME (no owner or mode). */
unsigned int hb_settings_check_string(const char *name, const char *text,
				      struct hb_settings **set_r,
				      hb_settings_report_fn *report, void *context);
/* Write "key = value" for every setting whose value differs from its
 * built-in default, in table order (like doveconf -n); durations in their
 * largest whole unit, modes in octal.  Returns -1 when out of memory. */
int hb_settings_print_changed(const struct hb_settings *set, FILE *out);

/* "1500ms", "2s", "15m", "1h", "30" (seconds) -> milliseconds. */
int hb_parse_duration_ms(const char *str, unsigned long long *ms_r);

/* How long a change that takes users away from their backend (move, down,
 * failover) waits before it kicks, so that every passdb module's cached
 * answer given before the change has expired (docs/DESIGN.md 4): the
 * route_cache_ttl plus a margin for clocks that run at slightly different
 * rates and for a proxy still connecting with an answer it just got. */
#define HB_ROUTE_CACHE_MARGIN_MS 200
unsigned int hb_route_cache_wait_ms(unsigned int route_cache_ttl_ms);

#endif
