/* milter.h - hummingbird-milter's shared state: the configuration snapshot
 * that every check holds while it runs (a SIGHUP installs a new one; the old
 * one is freed when its last holder lets go), and the clock. */
#ifndef MILTER_H
#define MILTER_H

#include "hb-settings.h"

struct milter_conf {
	struct hb_settings *set;
	unsigned int generation;	/* counts reloads: Redis connections of an
					   older one are closed, not reused */
	int fail_accept;		/* milter_fail = accept */
	int from_worst;			/* milter_from_ambiguous = worst */
	unsigned int refs;		/* guarded by the snapshot lock */
};

/* The current configuration; release it with milter_conf_release(). */
struct milter_conf *milter_conf_acquire(void);
void milter_conf_release(struct milter_conf *conf);
/* Make SET the current configuration (takes it over, frees it on failure).
 * Returns -1 only when out of memory; the old configuration then stays. */
int milter_conf_install(struct hb_settings *set);
/* Drop the current configuration at exit. */
void milter_conf_shutdown(void);

/* Monotonic milliseconds, for cache ages and back-off. */
long long milter_now_ms(void);

#endif
