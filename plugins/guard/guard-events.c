/* guard-events.c - builds and sends hb_guard's named events.  Each is a
 * passthrough child of the event of the index or mailbox concerned, so the
 * user, session and mailbox fields come with it. */
#include "lib.h"
#include "guard-events.h"

void guard_event_fenced(struct event *parent, const char *index_path,
			const char *lock_path, const char *reason, long age)
{
	e_error(event_create_passthrough(parent)->
		set_name("hb_guard_fenced")->
		add_str("index", index_path)->add_str("lock", lock_path)->
		add_str("reason", reason)->add_int("lock_age_secs", age)->
		event(),
		"hb_guard: fenced: refused a write to %s: %s (%s, age %lds); "
		"the client gets a temporary error",
		index_path, reason, lock_path, age);
}

void guard_event_corruption(struct event *parent, const char *file,
			    const char *kind, const char *message)
{
	e_warning(event_create_passthrough(parent)->
		  set_name("hb_guard_corruption")->
		  add_str("file", file)->add_str("kind", kind)->event(),
		  "hb_guard: corruption seen in %s (%s): %s",
		  file, kind, message);
}

void guard_event_quarantined(struct event *parent, const char *from_dir,
			     const char *to_dir, unsigned int files)
{
	e_info(event_create_passthrough(parent)->
	       set_name("hb_guard_quarantined")->
	       add_str("from", from_dir)->add_str("to", to_dir)->
	       add_int("files", files)->event(),
	       "hb_guard: copied %u index files of %s to %s",
	       files, from_dir, to_dir);
}

void guard_event_rebuild(struct event *parent, const char *result,
			 unsigned int wait_msecs)
{
	e_info(event_create_passthrough(parent)->
	       set_name("hb_guard_rebuild")->
	       add_str("result", result)->add_int("wait_msecs", wait_msecs)->
	       event(),
	       "hb_guard: index rebuild %s (waited %u ms for a slot)",
	       result, wait_msecs);
}

void guard_event_uidlist_behind(struct event *parent, const char *path,
				uint32_t file_next_uid,
				uint32_t index_next_uid)
{
	e_warning(event_create_passthrough(parent)->
		  set_name("hb_guard_uidlist_behind")->
		  add_str("uidlist", path)->
		  add_int("uidlist_next_uid", file_next_uid)->
		  add_int("index_next_uid", index_next_uid)->event(),
		  "hb_guard: %s names UIDs up to %u but the index only up to "
		  "%u (a writer was killed between its two commits): reading "
		  "it before giving out UIDs, so none is given twice",
		  path, file_next_uid - 1, index_next_uid - 1);
}

void guard_event_dir_fsync(struct event *parent, const char *dir,
			   long long usecs)
{
	e_debug(event_create_passthrough(parent)->
		set_name("hb_guard_dir_fsync")->
		add_str("dir", dir)->add_int("usecs", usecs)->event(),
		"hb_guard: fsync(%s) took %lld us", dir, usecs);
}

void guard_event_log_fsync(struct event *parent, const char *path,
			   long long usecs)
{
	e_debug(event_create_passthrough(parent)->
		set_name("hb_guard_log_fsync")->
		add_str("file", path)->add_int("usecs", usecs)->event(),
		"hb_guard: fdatasync(%s) for changes no sync carried into "
		"the mail files took %lld us", path, usecs);
}
