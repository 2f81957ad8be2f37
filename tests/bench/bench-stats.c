/* bench-stats.c - latency samples (bounded array, sorted once for percentiles),
 * clocks and number parsing shared by the benchmark programs.  It never
 * decides pass/fail: the programs only print what was measured. */
#include "bench-stats.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

uint64_t bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

double bench_self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0.0;
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int bench_lat_init(struct bench_lat *lat, size_t cap, const char **error_r)
{
	if (cap == 0 || cap > BENCH_MAX_SAMPLES)
		cap = BENCH_MAX_SAMPLES;
	lat->us = calloc(cap, sizeof(*lat->us));
	if (lat->us == NULL) {
		*error_r = "out of memory for latency samples";
		return -1;
	}
	lat->count = 0;
	lat->cap = cap;
	lat->dropped = 0;
	return 0;
}

void bench_lat_add(struct bench_lat *lat, uint64_t us)
{
	if (lat->count >= lat->cap) {
		lat->dropped++;
		return;
	}
	lat->us[lat->count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

double bench_lat_pct_ms(struct bench_lat *lat, double p)
{
	size_t idx;

	if (lat->count == 0)
		return 0.0;
	/* Sorting an already sorted array is cheap with qsort's introsort. */
	qsort(lat->us, lat->count, sizeof(*lat->us), cmp_u32);
	idx = (size_t)(p / 100.0 * (double)(lat->count - 1) + 0.5);
	if (idx >= lat->count)
		idx = lat->count - 1;
	return lat->us[idx] / 1000.0;
}

void bench_lat_free(struct bench_lat *lat)
{
	free(lat->us);
	lat->us = NULL;
	lat->count = lat->cap = 0;
}

int bench_parse_num(const char *s, long min, long max, long *num_r)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*num_r = v;
	return 0;
}
