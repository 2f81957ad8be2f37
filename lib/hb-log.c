/* hb-log.c - logging to stderr or syslog for daemons and tools.
 * Never exits or aborts: callers decide what an error means. */
#include "hb-log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "hummingbird";
static int log_to_syslog;
static enum hb_log_level log_min = HB_LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warning", "error" };

void hb_log_open(const char *ident, int to_syslog, enum hb_log_level min_level)
{
	log_ident = ident;
	log_to_syslog = to_syslog;
	log_min = min_level;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void hb_log_close(void)
{
	if (log_to_syslog)
		closelog();
	log_to_syslog = 0;
}

int hb_log_level_parse(const char *name, enum hb_log_level *level_r)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level_r = (enum hb_log_level)i;
			return 0;
		}
	}
	return -1;
}

static int syslog_priority(enum hb_log_level level)
{
	switch (level) {
	case HB_LOG_DEBUG: return LOG_DEBUG;
	case HB_LOG_INFO: return LOG_INFO;
	case HB_LOG_WARNING: return LOG_WARNING;
	case HB_LOG_ERROR: return LOG_ERR;
	}
	return LOG_ERR;
}

void hb_log(enum hb_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list args;

	if (level < log_min)
		return;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);

	if (log_to_syslog) {
		syslog(syslog_priority(level), "%s", msg);
		return;
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", gmtime_r(&now, &tm));
	fprintf(stderr, "%s %s: %s: %s\n", stamp, log_ident, level_names[level], msg);
}
