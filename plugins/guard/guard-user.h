/* guard-user.h - hb_guard's per-user state: the settings of one mail user,
 * kept in that user's module context.  Code that has no mail_user at hand
 * (the index transaction hook, the log callback) finds the user an index
 * or a log line belongs to through its event's parents, never through a
 * process global: an LMTP process serves several users at once. */
#ifndef GUARD_USER_H
#define GUARD_USER_H

#include "mail-user.h"
#include "guard-settings.h"

struct event;

struct guard_user {
	union mail_user_module_context module_ctx;
	struct mail_user *user;
	struct guard_settings set;
};

/* mail_user_created hook: reads the user's settings into its context (a
 * bad value fails the user with an error naming the setting). */
void guard_mail_user_created(struct mail_user *user);

/* The context of user, NULL if hb_guard is not active for it. */
struct guard_user *guard_user_get(struct mail_user *user);

/* The user whose event is event or one of its parents (mailbox, storage,
 * index and cache events all descend from the user's), NULL if none. */
struct guard_user *guard_user_from_event(struct event *event);

/* Settings of the user an event belongs to; hb_guard's defaults when it
 * belongs to none (an index outliving its user). */
const struct guard_settings *guard_user_settings(struct event *event);

#endif
