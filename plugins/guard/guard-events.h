/* guard-events.h - the named events hb_guard sends (docs/GUARD.md "Events
 * and metrics"); Dovecot's stats process counts them with the metric {}
 * blocks of conf.d/90-hb-guard.conf. */
#ifndef GUARD_EVENTS_H
#define GUARD_EVENTS_H

#include <stdint.h>

struct event;

void guard_event_fenced(struct event *parent, const char *index_path,
			const char *lock_path, const char *reason, long age);
void guard_event_corruption(struct event *parent, const char *file,
			    const char *kind, const char *message);
void guard_event_quarantined(struct event *parent, const char *from_dir,
			     const char *to_dir, unsigned int files);
void guard_event_rebuild(struct event *parent, const char *result,
			 unsigned int wait_msecs);
void guard_event_dir_fsync(struct event *parent, const char *dir,
			   long long usecs);
void guard_event_uidlist_behind(struct event *parent, const char *path,
				uint32_t file_next_uid,
				uint32_t index_next_uid);
void guard_event_log_fsync(struct event *parent, const char *path,
			   long long usecs);

#endif
