/* metrics.c - Prometheus text exposition of the director's counters, per
 * backend state and assignment counts, served by libevent's evhttp.
 * Only GET /metrics is answered; everything else gets 404/405. */
#include "hb-config-auto.h"
#include "director.h"
#include "metrics.h"
#include "listeners.h"
#include "apikey.h"
#include "census.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>

/* Upper bounds (seconds) of the lookup latency histogram. */
static const double latency_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10
};
#define BUCKET_COUNT (sizeof(latency_buckets) / sizeof(latency_buckets[0]))

static const char *const result_names[LOOKUP_RESULT_COUNT] = {
	"ok", "new", "degraded", "tempfail", "fail"
};

struct metrics {
	struct director *d;
	struct evhttp *http;
	unsigned long long lookups[HB_SERVICE_COUNT][LOOKUP_RESULT_COUNT];
	unsigned long long latency_counts[BUCKET_COUNT + 1];
	double latency_sum;
	unsigned long long latency_count;
	unsigned long long failovers, waits, protocol_errors, redis_errors;
	unsigned long long health_ok, health_failed;
	unsigned long long census_runs, census_mismatches;
	unsigned long long conns_accepted, conns_open;
	int redis_up, lease_held;
};

struct metrics *metrics_create(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_destroy(struct metrics **_m)
{
	struct metrics *m = *_m;

	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
	*_m = NULL;
}

void metrics_lookup(struct metrics *m, enum hb_service service,
		    enum lookup_result result, double seconds)
{
	size_t i;

	m->lookups[service][result]++;
	for (i = 0; i < BUCKET_COUNT && seconds > latency_buckets[i]; i++) ;
	m->latency_counts[i]++;
	m->latency_sum += seconds;
	m->latency_count++;
}

void metrics_failover(struct metrics *m) { m->failovers++; }
void metrics_wait(struct metrics *m) { m->waits++; }
void metrics_protocol_error(struct metrics *m) { m->protocol_errors++; }
void metrics_set_redis_up(struct metrics *m, int up) { m->redis_up = up; }
void metrics_redis_error(struct metrics *m) { m->redis_errors++; }
void metrics_set_lease(struct metrics *m, int held) { m->lease_held = held; }
void metrics_census_run(struct metrics *m) { m->census_runs++; }
void metrics_census_mismatch(struct metrics *m) { m->census_mismatches++; }

void metrics_conn_opened(struct metrics *m)
{
	m->conns_accepted++;
	m->conns_open++;
}

void metrics_conn_closed(struct metrics *m) { m->conns_open--; }

void metrics_health_check(struct metrics *m, int ok)
{
	if (ok)
		m->health_ok++;
	else
		m->health_failed++;
}

unsigned long long metrics_lookups_total(const struct metrics *m)
{
	unsigned long long total = 0;

	for (int s = 0; s < HB_SERVICE_COUNT; s++)
		for (int r = 0; r < LOOKUP_RESULT_COUNT; r++)
			total += m->lookups[s][r];
	return total;
}

static void write_lookups(const struct metrics *m, struct evbuffer *out)
{
	evbuffer_add_printf(out, "# HELP hummingbird_lookups_total Routing lookups by service and result.\n"
			    "# TYPE hummingbird_lookups_total counter\n");
	for (int s = 0; s < HB_SERVICE_COUNT; s++)
		for (int r = 0; r < LOOKUP_RESULT_COUNT; r++)
			if (m->lookups[s][r] != 0)
				evbuffer_add_printf(out, "hummingbird_lookups_total{service=\"%s\",result=\"%s\"} %llu\n",
						    hb_service_name(s), result_names[r], m->lookups[s][r]);
	evbuffer_add_printf(out, "# HELP hummingbird_lookup_duration_seconds Time from request to answer.\n"
			    "# TYPE hummingbird_lookup_duration_seconds histogram\n");
	unsigned long long cumulative = 0;
	for (size_t i = 0; i < BUCKET_COUNT; i++) {
		cumulative += m->latency_counts[i];
		evbuffer_add_printf(out, "hummingbird_lookup_duration_seconds_bucket{le=\"%g\"} %llu\n",
				    latency_buckets[i], cumulative);
	}
	evbuffer_add_printf(out, "hummingbird_lookup_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
			    "hummingbird_lookup_duration_seconds_sum %.6f\n"
			    "hummingbird_lookup_duration_seconds_count %llu\n",
			    m->latency_count, m->latency_sum, m->latency_count);
}

static void write_counters(const struct metrics *m, struct evbuffer *out)
{
	evbuffer_add_printf(out,
		"# HELP hummingbird_failovers_total Users reassigned because their backend became unusable.\n"
		"# TYPE hummingbird_failovers_total counter\nhummingbird_failovers_total %llu\n"
		"# HELP hummingbird_lookup_waits_total Lookups that waited for a move or fence.\n"
		"# TYPE hummingbird_lookup_waits_total counter\nhummingbird_lookup_waits_total %llu\n"
		"# HELP hummingbird_protocol_errors_total Malformed requests on the director sockets.\n"
		"# TYPE hummingbird_protocol_errors_total counter\nhummingbird_protocol_errors_total %llu\n"
		"# HELP hummingbird_redis_up 1 while Redis answers, 0 in degraded mode.\n"
		"# TYPE hummingbird_redis_up gauge\nhummingbird_redis_up %d\n"
		"# HELP hummingbird_redis_errors_total Redis calls that failed or timed out.\n"
		"# TYPE hummingbird_redis_errors_total counter\nhummingbird_redis_errors_total %llu\n"
		"# HELP hummingbird_health_lease_held 1 if this director runs the health checks.\n"
		"# TYPE hummingbird_health_lease_held gauge\nhummingbird_health_lease_held %d\n"
		"# HELP hummingbird_health_checks_total Health checks run by this director.\n"
		"# TYPE hummingbird_health_checks_total counter\n"
		"hummingbird_health_checks_total{result=\"ok\"} %llu\n"
		"hummingbird_health_checks_total{result=\"failed\"} %llu\n"
		"# HELP hummingbird_census_runs_total Session census rounds run by this director.\n"
		"# TYPE hummingbird_census_runs_total counter\nhummingbird_census_runs_total %llu\n"
		"# HELP hummingbird_census_mismatches_total Users found with sessions on a backend other than their assigned one.\n"
		"# TYPE hummingbird_census_mismatches_total counter\nhummingbird_census_mismatches_total %llu\n"
		"# HELP hummingbird_connections_accepted_total Connections accepted on the lookup and socketmap sockets.\n"
		"# TYPE hummingbird_connections_accepted_total counter\nhummingbird_connections_accepted_total %llu\n"
		"# HELP hummingbird_connections Open connections on the lookup and socketmap sockets.\n"
		"# TYPE hummingbird_connections gauge\nhummingbird_connections %llu\n",
		m->failovers, m->waits, m->protocol_errors, m->redis_up, m->redis_errors,
		m->lease_held, m->health_ok, m->health_failed, m->census_runs, m->census_mismatches,
		m->conns_accepted, m->conns_open);
}

static void write_backends(const struct director *d, struct evbuffer *out)
{
	const struct backend_table *t = &d->table;

	evbuffer_add_printf(out,
		"# HELP hummingbird_backend_up 1 if the backend takes or keeps users (effective state up, degraded or draining).\n"
		"# TYPE hummingbird_backend_up gauge\n");
	for (size_t i = 0; i < t->count; i++)
		evbuffer_add_printf(out, "hummingbird_backend_up{backend=\"%s\",state=\"%s\",health=\"%s\"} %d\n",
				    t->backends[i].name, hb_state_name(hb_backend_effective(&t->backends[i])),
				    hb_health_name(t->backends[i].health),
				    hb_backend_keeps_users(&t->backends[i]));
	evbuffer_add_printf(out,
		"# HELP hummingbird_backend_degraded 1 while the backend gets no new users for lock pressure or slow probes.\n"
		"# TYPE hummingbird_backend_degraded gauge\n");
	for (size_t i = 0; i < t->count; i++)
		evbuffer_add_printf(out, "hummingbird_backend_degraded{backend=\"%s\"} %d\n",
				    t->backends[i].name, t->backends[i].degraded);
	evbuffer_add_printf(out,
		"# HELP hummingbird_assignments Users currently assigned to each backend.\n"
		"# TYPE hummingbird_assignments gauge\n");
	for (size_t i = 0; i < t->count; i++)
		evbuffer_add_printf(out, "hummingbird_assignments{backend=\"%s\"} %u\n",
				    t->backends[i].name, t->user_counts[i]);
	evbuffer_add_printf(out,
		"# HELP hummingbird_doveadm_api_key_ok 1 if the backend's doveadm API accepted this director's key at the last check, 0 if it refused it (no series: not checked or unreachable).\n"
		"# TYPE hummingbird_doveadm_api_key_ok gauge\n");
	for (size_t i = 0; i < t->count; i++) {
		int ok = apikey_accepted(d->apikey, t->backends[i].name);
		if (ok >= 0)
			evbuffer_add_printf(out, "hummingbird_doveadm_api_key_ok{backend=\"%s\"} %d\n",
					    t->backends[i].name, ok);
	}
	evbuffer_add_printf(out,
		"# HELP hummingbird_census_sessions Sessions seen on each backend by the last census.\n"
		"# TYPE hummingbird_census_sessions gauge\n");
	for (size_t i = 0; i < t->count; i++) {
		unsigned long sessions;
		if (census_sessions(d->census, t->backends[i].name, &sessions))
			evbuffer_add_printf(out, "hummingbird_census_sessions{backend=\"%s\"} %lu\n",
					    t->backends[i].name, sessions);
	}
}

static void on_http_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *out;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is served here");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, HTTP_BADMETHOD, "GET only");
		return;
	}
	out = evbuffer_new();
	write_lookups(m, out);
	write_counters(m, out);
	write_backends(m->d, out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

static void metrics_accept_unused(struct evconnlistener *l, evutil_socket_t fd,
				  struct sockaddr *sa, int len, void *ctx)
{
	/* evhttp replaces this callback when it takes the listener over */
}

int metrics_listen(struct metrics *m, struct director *d, const char *addr_port,
		   char *err, size_t err_size)
{
	struct evconnlistener *listener;

	m->d = d;
	m->http = evhttp_new(d->base);
	if (m->http == NULL) {
		snprintf(err, err_size, "metrics: out of memory");
		return -1;
	}
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 1024);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(m->http, on_http_request, m);
	if (addr_port[0] == '/') {
		snprintf(err, err_size, "metrics_listen: expected ADDR:PORT, got '%s'", addr_port);
		return -1;
	}
	listener = listener_open(d, addr_port, 0, metrics_accept_unused, NULL, err, err_size);
	if (listener == NULL)
		return -1;
	if (evhttp_bind_listener(m->http, listener) == NULL) {
		evconnlistener_free(listener);
		snprintf(err, err_size, "metrics: cannot serve on %s", addr_port);
		return -1;
	}
	return 0;
}
