/* metrics.h - the director's counters and its Prometheus text endpoint
 * (GET /metrics).  Counting is cheap and never fails; serving is bounded. */
#ifndef DIRECTOR_METRICS_H
#define DIRECTOR_METRICS_H

#include "hb-backend.h"

struct director;
struct metrics;

enum lookup_result {
	LOOKUP_OK, LOOKUP_NEW, LOOKUP_DEGRADED, LOOKUP_TEMPFAIL, LOOKUP_FAIL,
	LOOKUP_RESULT_COUNT
};

struct metrics *metrics_create(void);
void metrics_destroy(struct metrics **m);
/* Listen on ADDR:PORT for /metrics; -1 with ERR set on failure. */
int metrics_listen(struct metrics *m, struct director *d, const char *addr_port,
		   char *err, size_t err_size);

void metrics_lookup(struct metrics *m, enum hb_service service,
		    enum lookup_result result, double seconds);
void metrics_failover(struct metrics *m);
void metrics_wait(struct metrics *m);
void metrics_protocol_error(struct metrics *m);
void metrics_set_redis_up(struct metrics *m, int up);
void metrics_redis_error(struct metrics *m);
void metrics_health_check(struct metrics *m, int ok);
void metrics_set_lease(struct metrics *m, int held);
void metrics_census_run(struct metrics *m);
void metrics_census_mismatch(struct metrics *m);
/* connections on the lookup and socketmap sockets */
void metrics_conn_opened(struct metrics *m);
void metrics_conn_closed(struct metrics *m);
unsigned long long metrics_lookups_total(const struct metrics *m);

#endif
