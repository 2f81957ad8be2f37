/* hb-backend.h - a backend mail node as stored in Redis (docs/DESIGN.md, 1):
 * its services, ports, weight, admin state and health, and the rules that
 * derive the effective state.  Pure data: no I/O here. */
#ifndef HB_BACKEND_H
#define HB_BACKEND_H

#include <stddef.h>

#define HB_BACKEND_NAME_MAX 64
#define HB_HOST_MAX 64
#define HB_WEIGHT_MAX 1000
#define HB_REASON_MAX 200

enum hb_service {
	HB_SERVICE_IMAP, HB_SERVICE_POP3, HB_SERVICE_LMTP,
	HB_SERVICE_SUBMISSION, HB_SERVICE_SIEVE, HB_SERVICE_DOVEADM,
	HB_SERVICE_COUNT
};

/* The first four are admin states (the `state` field); DEGRADED is only ever
 * effective: an `up` backend whose lock pressure or probe latency crossed its
 * threshold (the `degraded` field, set by the health checks). */
enum hb_state { HB_STATE_UP, HB_STATE_DOWN, HB_STATE_DRAINING, HB_STATE_MAINTENANCE,
		HB_STATE_DEGRADED };
enum hb_health { HB_HEALTH_UNKNOWN, HB_HEALTH_OK, HB_HEALTH_FAILED };
/* Whether the backend's doveadm HTTP API accepts a director's API key (the
 * `doveadm_api` field, written by director/apikey.c): UNKNOWN = not checked;
 * ERROR = it answered, but neither 200 nor 401/403. */
enum hb_doveadm_api { HB_DOVEADM_API_UNKNOWN, HB_DOVEADM_API_OK, HB_DOVEADM_API_REFUSED,
		      HB_DOVEADM_API_UNREACHABLE, HB_DOVEADM_API_ERROR };
#define HB_DIRECTOR_ID_MAX 128

struct hb_backend {
	char name[HB_BACKEND_NAME_MAX + 1];
	char host[HB_HOST_MAX + 1];
	unsigned int ports[HB_SERVICE_COUNT];
	unsigned int weight;
	enum hb_state state;
	enum hb_health health;
	long long health_time;
	char health_reason[HB_REASON_MAX + 1];
	unsigned int health_fails, health_oks;
	long long fence_until_ms;
	int degraded;			/* 1: no new users (health, docs/DESIGN.md 5) */
	long long degraded_since;	/* s; when it last became degraded */
	char degraded_reason[HB_REASON_MAX + 1];
	enum hb_doveadm_api doveadm_api;	/* last API key check (docs/DESIGN.md 1) */
	long long doveadm_api_time;		/* s */
	char doveadm_api_reason[HB_REASON_MAX + 1];
	char doveadm_api_by[HB_DIRECTOR_ID_MAX + 1];	/* the director that checked */
};

const char *hb_service_name(enum hb_service service);
/* "imap" -> HB_SERVICE_IMAP; -1 if unknown. */
int hb_service_parse(const char *name, enum hb_service *service_r);
/* Redis hash field holding the port of SERVICE, e.g. "imap_port". */
const char *hb_service_port_field(enum hb_service service);

const char *hb_state_name(enum hb_state state);
/* Admin states only: "degraded" is refused. */
int hb_state_parse(const char *name, enum hb_state *state_r);
const char *hb_health_name(enum hb_health health);
int hb_health_parse(const char *name, enum hb_health *health_r);
/* "ok", "refused", "unreachable", "error"; "unknown" for UNKNOWN. */
const char *hb_doveadm_api_name(enum hb_doveadm_api api);

/* Admin state corrected by health: up/draining + failed health = down;
 * up + degraded = degraded. */
enum hb_state hb_backend_effective(const struct hb_backend *backend);
/* Users already assigned may stay (effective up, draining or degraded). */
int hb_backend_keeps_users(const struct hb_backend *backend);
/* New users may be assigned (effective up and weight > 0). */
int hb_backend_takes_users(const struct hb_backend *backend);
/* New users may be assigned when no backend takes users: a degraded backend
 * is slow, refusing every new login would be worse (weight > 0). */
int hb_backend_takes_users_last(const struct hb_backend *backend);

/* Backend names: 1..64 of [A-Za-z0-9_.-]. Returns 0 if valid. */
int hb_backend_name_valid(const char *name);
/* HOST must be an IPv4 or IPv6 literal (no DNS on the login path). */
int hb_backend_host_valid(const char *host);

/* Fill BACKEND from a Redis HGETALL reply given as field/value string pairs.
 * Unknown fields are ignored; malformed values return -1 with ERR set. */
int hb_backend_from_fields(struct hb_backend *backend, const char *name,
			   const char *const *fields, size_t count,
			   char *err, size_t err_size);

#endif
