/* bench-stats.h - latency samples and counters for the benchmark programs in
 * tests/bench.  Samples are kept in one bounded array (microseconds) and
 * summarised as percentiles; nothing here is a timed assertion. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound of samples one run keeps (40 MB at most). */
#define BENCH_MAX_SAMPLES 10000000u

struct bench_lat {
	uint32_t *us;     /* allocated by bench_lat_init, freed by _free */
	size_t count;
	size_t cap;
	size_t dropped;   /* samples beyond cap */
};

/* Monotonic time in microseconds. */
uint64_t bench_now_us(void);
/* CPU seconds (user + system) this process used so far. */
double bench_self_cpu_s(void);

int bench_lat_init(struct bench_lat *lat, size_t cap, const char **error_r);
void bench_lat_add(struct bench_lat *lat, uint64_t us);
/* Percentile P (0..100) in milliseconds; sorts the samples once. */
double bench_lat_pct_ms(struct bench_lat *lat, double p);
void bench_lat_free(struct bench_lat *lat);

/* Parse a decimal number in [min, max]; 0 on success, -1 otherwise. */
int bench_parse_num(const char *s, long min, long max, long *num_r);

#endif
