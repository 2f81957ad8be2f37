/* guard-corruption.c - sees Dovecot's own corruption reports through an
 * event callback (every e_error/e_warning passes it): "Corrupted index
 * file", "Corrupted transaction log file", "Corrupted index cache file",
 * "Fixed index file", maildir "Broken file".  mail_index_set_error() logs
 * before mail_index_mark_corrupted() unlinks dovecot.index and the log, so
 * the copy made here still has the damaged files. */
#include "lib.h"
#include "lib-event-private.h"
#include "guard-events.h"
#include "guard-quarantine.h"
#include "guard-rebuild.h"
#include "guard-settings.h"
#include "guard-corruption.h"

static const struct guard_settings *guard_user_set;
static const char *guard_username;
static bool guard_in_callback;

void guard_corruption_set_user(const struct guard_settings *set,
			       const char *username)
{
	guard_user_set = set;
	guard_username = username;
}

const char *guard_corruption_kind(const char *message)
{
	static const struct {
		const char *prefix, *kind;
	} kinds[] = {
		{ "Corrupted transaction log file", "log" },
		{ "Corrupted index cache file", "cache" },
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

static void guard_corruption_seen(struct event *event, const char *message)
{
	const char *kind = guard_corruption_kind(message);
	const char *path, *dir, *slash;

	if (kind == NULL)
		return;
	path = guard_corruption_path(message);
	if (path == NULL)
		path = "";
	guard_event_corruption(event, path, kind, message);
	slash = strrchr(path, '/');
	if (guard_user_set == NULL || slash == NULL || slash == path)
		return;
	dir = t_strdup_until(path, slash);
	guard_quarantine_copy(guard_user_set, guard_username, event, dir);
	guard_rebuild_mark(dir);
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
	guard_user_set = NULL;
}
