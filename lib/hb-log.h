/* hb-log.h - one logging interface for every Hummingbird daemon and tool.
 * Messages go to stderr or syslog; nothing here ever exits the process. */
#ifndef HB_LOG_H
#define HB_LOG_H

enum hb_log_level { HB_LOG_DEBUG, HB_LOG_INFO, HB_LOG_WARNING, HB_LOG_ERROR };

/* Start logging as IDENT; TO_SYSLOG chooses syslog(LOG_MAIL) over stderr. */
void hb_log_open(const char *ident, int to_syslog, enum hb_log_level min_level);
void hb_log_close(void);
void hb_log(enum hb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int hb_log_level_parse(const char *name, enum hb_log_level *level_r);

#define hb_debug(...) hb_log(HB_LOG_DEBUG, __VA_ARGS__)
#define hb_info(...) hb_log(HB_LOG_INFO, __VA_ARGS__)
#define hb_warn(...) hb_log(HB_LOG_WARNING, __VA_ARGS__)
#define hb_error(...) hb_log(HB_LOG_ERROR, __VA_ARGS__)

#endif
