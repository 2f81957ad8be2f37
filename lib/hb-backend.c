/* hb-backend.c - names, validation and state rules of backend mail nodes.
 * Pure functions over struct hb_backend: no I/O, no allocation. */
#include "hb-backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const service_names[HB_SERVICE_COUNT] = {
	"imap", "pop3", "lmtp", "submission", "sieve", "doveadm"
};
static const char *const service_port_fields[HB_SERVICE_COUNT] = {
	"imap_port", "pop3_port", "lmtp_port", "submission_port",
	"sieve_port", "doveadm_port"
};
static const char *const state_names[] = { "up", "down", "draining", "maintenance", "degraded" };
#define ADMIN_STATE_COUNT 4
static const char *const health_names[] = { "unknown", "ok", "failed" };
static const char *const doveadm_api_names[] = { "unknown", "ok", "refused", "unreachable",
						  "error" };
#define DOVEADM_API_COUNT 5

static int name_index(const char *const *names, int count, const char *name)
{
	for (int i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return i;
	}
	return -1;
}

const char *hb_service_name(enum hb_service service)
{
	return service < HB_SERVICE_COUNT ? service_names[service] : "?";
}

int hb_service_parse(const char *name, enum hb_service *service_r)
{
	int i = name_index(service_names, HB_SERVICE_COUNT, name);
	if (i < 0)
		return -1;
	*service_r = (enum hb_service)i;
	return 0;
}

const char *hb_service_port_field(enum hb_service service)
{
	return service < HB_SERVICE_COUNT ? service_port_fields[service] : "?";
}

const char *hb_state_name(enum hb_state state)
{
	return (unsigned)state <= HB_STATE_DEGRADED ? state_names[state] : "?";
}

int hb_state_parse(const char *name, enum hb_state *state_r)
{
	int i = name_index(state_names, ADMIN_STATE_COUNT, name);
	if (i < 0)
		return -1;
	*state_r = (enum hb_state)i;
	return 0;
}

const char *hb_health_name(enum hb_health health)
{
	return (unsigned)health < 3 ? health_names[health] : "?";
}

int hb_health_parse(const char *name, enum hb_health *health_r)
{
	int i = name_index(health_names, 3, name);
	if (i < 0)
		return -1;
	*health_r = (enum hb_health)i;
	return 0;
}

const char *hb_doveadm_api_name(enum hb_doveadm_api api)
{
	return (unsigned)api < DOVEADM_API_COUNT ? doveadm_api_names[api] : "?";
}

enum hb_state hb_backend_effective(const struct hb_backend *backend)
{
	if (backend->health == HB_HEALTH_FAILED &&
	    (backend->state == HB_STATE_UP || backend->state == HB_STATE_DRAINING))
		return HB_STATE_DOWN;
	if (backend->state == HB_STATE_UP && backend->degraded)
		return HB_STATE_DEGRADED;
	return backend->state;
}

int hb_backend_keeps_users(const struct hb_backend *backend)
{
	enum hb_state state = hb_backend_effective(backend);
	return state == HB_STATE_UP || state == HB_STATE_DRAINING || state == HB_STATE_DEGRADED;
}

int hb_backend_takes_users(const struct hb_backend *backend)
{
	return hb_backend_effective(backend) == HB_STATE_UP && backend->weight > 0;
}

int hb_backend_takes_users_last(const struct hb_backend *backend)
{
	return hb_backend_effective(backend) == HB_STATE_DEGRADED && backend->weight > 0;
}

int hb_backend_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > HB_BACKEND_NAME_MAX)
		return -1;
	for (const char *p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return -1;
	}
	return 0;
}

int hb_backend_host_valid(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (strlen(host) > HB_HOST_MAX)
		return -1;
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return 0;
	return -1;
}

static int parse_uint(const char *str, unsigned long long max, unsigned long long *value_r)
{
	char *end;

	if (*str < '0' || *str > '9')
		return -1;
	errno = 0;
	*value_r = strtoull(str, &end, 10);
	if (errno != 0 || *end != '\0' || *value_r > max)
		return -1;
	return 0;
}

/* The doveadm_api* fields (director/apikey.c): a report, never a reason to
 * drop the backend, so odd values read as "unknown".  1 if FIELD is one. */
static int backend_set_api_field(struct hb_backend *backend, const char *field,
				 const char *value)
{
	int i;

	if (strncmp(field, "doveadm_api", 11) != 0)
		return 0;
	if (field[11] == '\0') {
		i = name_index(doveadm_api_names, DOVEADM_API_COUNT, value);
		backend->doveadm_api = i < 0 ? HB_DOVEADM_API_UNKNOWN : (enum hb_doveadm_api)i;
	} else if (strcmp(field + 11, "_time") == 0) {
		backend->doveadm_api_time = strtoll(value, NULL, 10);
	} else if (strcmp(field + 11, "_reason") == 0) {
		snprintf(backend->doveadm_api_reason, sizeof(backend->doveadm_api_reason),
			 "%s", value);
	} else if (strcmp(field + 11, "_by") == 0) {
		snprintf(backend->doveadm_api_by, sizeof(backend->doveadm_api_by), "%s", value);
	}
	return 1;
}

/* Apply one field; returns -1 when its value is malformed. */
static int backend_set_field(struct hb_backend *backend, const char *field, const char *value)
{
	unsigned long long num;
	enum hb_service service;

	if (backend_set_api_field(backend, field, value))
		return 0;
	for (service = 0; service < HB_SERVICE_COUNT; service++) {
		if (strcmp(field, service_port_fields[service]) == 0) {
			if (parse_uint(value, 65535, &num) < 0)
				return -1;
			backend->ports[service] = (unsigned int)num;
			return 0;
		}
	}
	if (strcmp(field, "host") == 0) {
		if (hb_backend_host_valid(value) < 0)
			return -1;
		snprintf(backend->host, sizeof(backend->host), "%s", value);
	} else if (strcmp(field, "weight") == 0) {
		if (parse_uint(value, HB_WEIGHT_MAX, &num) < 0)
			return -1;
		backend->weight = (unsigned int)num;
	} else if (strcmp(field, "state") == 0) {
		return hb_state_parse(value, &backend->state);
	} else if (strcmp(field, "health") == 0) {
		return hb_health_parse(value, &backend->health);
	} else if (strcmp(field, "health_time") == 0) {
		if (parse_uint(value, 1ULL << 62, &num) < 0)
			return -1;
		backend->health_time = (long long)num;
	} else if (strcmp(field, "health_reason") == 0) {
		snprintf(backend->health_reason, sizeof(backend->health_reason), "%s", value);
	} else if (strcmp(field, "health_fails") == 0 || strcmp(field, "health_oks") == 0) {
		if (parse_uint(value, 1U << 30, &num) < 0)
			return -1;
		if (field[7] == 'f')
			backend->health_fails = (unsigned int)num;
		else
			backend->health_oks = (unsigned int)num;
	} else if (strcmp(field, "degraded") == 0) {
		if (parse_uint(value, 1, &num) < 0)
			return -1;
		backend->degraded = (int)num;
	} else if (strcmp(field, "degraded_since") == 0) {
		if (parse_uint(value, 1ULL << 62, &num) < 0)
			return -1;
		backend->degraded_since = (long long)num;
	} else if (strcmp(field, "degraded_reason") == 0) {
		snprintf(backend->degraded_reason, sizeof(backend->degraded_reason), "%s", value);
	} else if (strcmp(field, "fence_until") == 0) {
		if (parse_uint(value, 1ULL << 62, &num) < 0)
			return -1;
		backend->fence_until_ms = (long long)num;
	}
	return 0;
}

int hb_backend_from_fields(struct hb_backend *backend, const char *name,
			   const char *const *fields, size_t count,
			   char *err, size_t err_size)
{
	memset(backend, 0, sizeof(*backend));
	backend->weight = 100;
	if (hb_backend_name_valid(name) < 0) {
		snprintf(err, err_size, "invalid backend name '%.80s'", name);
		return -1;
	}
	snprintf(backend->name, sizeof(backend->name), "%s", name);
	for (size_t i = 0; i + 1 < count; i += 2) {
		if (backend_set_field(backend, fields[i], fields[i + 1]) < 0) {
			snprintf(err, err_size, "backend %s: invalid %s '%.80s'",
				 name, fields[i], fields[i + 1]);
			return -1;
		}
	}
	if (backend->host[0] == '\0') {
		snprintf(err, err_size, "backend %s: no host", name);
		return -1;
	}
	return 0;
}
