/* guard-corruption.c - sees Dovecot's own corruption reports through an
 * event callback (every e_error/e_warning passes it).  Dovecot 2.3.19 names
 * only the cache's ("mail_cache_corrupted", sent after the file is already
 * unlinked); the index, log and uidlist reports are known by their text:
 * "Corrupted index file", "Corrupted transaction log file", "Fixed index
 * file", maildir "Broken file".  mail_index_set_error() logs before
 * mail_index_mark_corrupted() unlinks dovecot.index and the log, so the
 * copy made here still has the damaged files.  A report is attributed to
 * the user whose event it descends from, never to a process global. */
#include "lib.h"
#include "lib-event-private.h"
#include "mail-index-private.h"
#include "mail-cache.h"
#include "guard-events.h"
#include "guard-fence.h"
#include "guard-quarantine.h"
#include "guard-rebuild.h"
#include "guard-settings.h"
#include "guard-user.h"
#include "guard-corruption.h"

static bool guard_in_callback;

const char *guard_corruption_kind_of_event(const char *event_name)
{
	if (event_name != NULL && strcmp(event_name, "mail_cache_corrupted") == 0)
		return "cache";
	return NULL;
}

const char *guard_corruption_kind(const char *message)
{
	static const struct {
		const char *prefix, *kind;
	} kinds[] = {
		{ "Corrupted transaction log file", "log" },
		{ "Corrupted index file", "index" },
		{ "Fixed index file", "index-fixed" },
		{ "Broken file ", "uidlist" },
		{ "Maildir uidlist dotlock overridden", "uidlist-overridden" },
	};
	for (unsigned int i = 0; i < N_ELEMENTS(kinds); i++) {
		if (strstr(message, kinds[i].prefix) != NULL)
			return kinds[i].kind;
	}
	return NULL;
}

const char *guard_corruption_path(const char *message)
{
	const char *start = strchr(message, '/'), *end;

	while (start != NULL && start != message && start[-1] != ' ' &&
	       start[-1] != '(')
		start = strchr(start + 1, '/');
	if (start == NULL)
		return NULL;
	end = start;
	while (*end != '\0' && *end != ' ' && *end != ')' && *end != ',')
		end++;
	if (end > start && end[-1] == ':')
		end--;
	return t_strdup_until(start, end);
}

/* "Deleting corrupted cache: REASON" names no file: the cache belongs to
   the index whose event is the cache event's parent */
static const char *guard_cache_path(struct event *event)
{
	struct mail_index *index = guard_fence_index_of_event(event);

	if (index == NULL || index->filepath == NULL)
		return "";
	return t_strconcat(index->filepath, MAIL_CACHE_FILE_SUFFIX, NULL);
}

/* copies the damaged directory into its user's quarantine and marks it
   for a throttled rebuild */
static void guard_corruption_contain(struct event *event, const char *path)
{
	struct guard_user *guser = guard_user_from_event(event);
	const char *slash = strrchr(path, '/');
	const char *dir;

	if (guser == NULL || slash == NULL || slash == path)
		return;
	dir = t_strdup_until(path, slash);
	guard_quarantine_copy(&guser->set, guser->user->username, event, dir);
	guard_rebuild_mark(dir);
}

static void guard_corruption_seen(struct event *sent, const char *message)
{
	const char *kind = guard_corruption_kind_of_event(sent->sending_name);
	/* a passthrough event (Dovecot's named ones) would be reused, renamed
	   and sent again by our own event_create_passthrough(): report under
	   the event it extends */
	struct event *event = sent->passthrough ? event_get_parent(sent) : sent;
	const char *path;

	if (kind != NULL) {
		/* the cache: already unlinked, and Dovecot refills it as
		   mail is read - no rebuild to throttle, nothing to copy */
		guard_event_corruption(event, guard_cache_path(event), kind,
				       message);
		return;
	}
	kind = guard_corruption_kind(message);
	if (kind == NULL)
		return;
	path = guard_corruption_path(message);
	if (path == NULL)
		path = "";
	guard_event_corruption(event, path, kind, message);
	guard_corruption_contain(event, path);
}

static bool guard_corruption_callback(struct event *event,
				      enum event_callback_type type,
				      struct failure_context *ctx,
				      const char *fmt, va_list args)
{
	va_list copy;

	if (type != EVENT_CALLBACK_TYPE_SEND || ctx == NULL ||
	    (ctx->type != LOG_TYPE_ERROR && ctx->type != LOG_TYPE_WARNING) ||
	    fmt == NULL || guard_in_callback)
		return TRUE;
	guard_in_callback = TRUE;
	T_BEGIN {
		VA_COPY(copy, args);
		guard_corruption_seen(event, t_strdup_vprintf(fmt, copy));
		va_end(copy);
	} T_END;
	guard_in_callback = FALSE;
	return TRUE;
}

void guard_corruption_init(void)
{
	event_register_callback(guard_corruption_callback);
}

void guard_corruption_deinit(void)
{
	event_unregister_callback(guard_corruption_callback);
}
