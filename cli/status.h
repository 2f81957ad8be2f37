/* status.h - what `hbctl status` collects, and its printer (print-status.c). */
#ifndef HBCTL_STATUS_H
#define HBCTL_STATUS_H

#include "hbctl.h"

#define HBCTL_MAX_DIRECTORS 256
#define HBCTL_DIRECTOR_ID_MAX 128

struct hbctl_director {
	char id[HBCTL_DIRECTOR_ID_MAX + 1];
	char version[32];
	long long started, seen, lookups;
};

struct hbctl_status {
	int redis_up;
	long long now, epoch;
	struct hb_backend *backends;
	size_t backend_count;
	struct hbctl_director directors[HBCTL_MAX_DIRECTORS];
	size_t director_count;
	char lease_holder[HBCTL_DIRECTOR_ID_MAX + 1];
	long long lease_pttl;
};

void hbctl_print_status(struct hbctl *ctx, const struct hbctl_status *st,
			const char *redis_addr, unsigned int redis_port);

#endif
