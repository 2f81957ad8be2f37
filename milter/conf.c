/* conf.c - the configuration snapshot of milter.h: reference counted, so a
 * reload never frees settings under a check that is still using them. */
#include "milter.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct milter_conf *current;
static unsigned int generation;

long long milter_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conf_free(struct milter_conf *conf)
{
	hb_settings_free(&conf->set);
	free(conf);
}

struct milter_conf *milter_conf_acquire(void)
{
	struct milter_conf *conf;

	pthread_mutex_lock(&conf_lock);
	conf = current;
	conf->refs++;
	pthread_mutex_unlock(&conf_lock);
	return conf;
}

void milter_conf_release(struct milter_conf *conf)
{
	int last;

	if (conf == NULL)
		return;
	pthread_mutex_lock(&conf_lock);
	last = --conf->refs == 0;
	pthread_mutex_unlock(&conf_lock);
	if (last)
		conf_free(conf);
}

int milter_conf_install(struct hb_settings *set)
{
	struct milter_conf *conf = calloc(1, sizeof(*conf));
	struct milter_conf *old;

	if (conf == NULL) {
		hb_settings_free(&set);
		return -1;
	}
	conf->set = set;
	conf->fail_accept = strcmp(set->milter_fail, "accept") == 0;
	conf->from_worst = strcmp(set->milter_from_ambiguous, "worst") == 0;
	conf->refs = 1;		/* the reference "current" holds */
	pthread_mutex_lock(&conf_lock);
	conf->generation = ++generation;
	old = current;
	current = conf;
	pthread_mutex_unlock(&conf_lock);
	milter_conf_release(old);
	return 0;
}

void milter_conf_shutdown(void)
{
	struct milter_conf *old;

	pthread_mutex_lock(&conf_lock);
	old = current;
	current = NULL;
	pthread_mutex_unlock(&conf_lock);
	milter_conf_release(old);
}
