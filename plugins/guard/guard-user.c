/* guard-user.c - hb_guard's per-user module context.  The user's event
 * carries a pointer back to the mail_user (event_set_ptr), cleared at
 * deinit, so that an index commit or a logged corruption is applied and
 * attributed to the user it belongs to - not to whichever user an LMTP
 * process created last. */
#include "lib.h"
#include "module-context.h"
#include "mail-user.h"
#include "guard-user.h"

#define GUARD_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, guard_user_module)
/* key of the pointer on user->event (its own namespace, see lib-event.h) */
#define GUARD_USER_EVENT_PTR "hb_guard_mail_user"

static MODULE_CONTEXT_DEFINE_INIT(guard_user_module,
				  &mail_user_module_register);

struct guard_user *guard_user_get(struct mail_user *user)
{
	return GUARD_USER_CONTEXT(user);
}

struct guard_user *guard_user_from_event(struct event *event)
{
	struct mail_user *user;

	for (; event != NULL; event = event_get_parent(event)) {
		user = event_get_ptr(event, GUARD_USER_EVENT_PTR);
		if (user != NULL)
			return GUARD_USER_CONTEXT(user);
	}
	return NULL;
}

const struct guard_settings *guard_user_settings(struct event *event)
{
	struct guard_user *guser = guard_user_from_event(event);

	return guser != NULL ? &guser->set : &guard_settings_default;
}

static void guard_user_deinit(struct mail_user *user)
{
	struct guard_user *guser = GUARD_USER_CONTEXT(user);

	/* the event may outlive the user (a cached index holds a reference):
	   leave no pointer into the user's pool behind */
	event_set_ptr(user->event, GUARD_USER_EVENT_PTR, NULL);
	guser->module_ctx.super.deinit(user);
}

void guard_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct guard_user *guser;
	const char *error;

	guser = p_new(user->pool, struct guard_user, 1);
	guser->user = user;
	if (guard_settings_read(user, &guser->set, &error) < 0) {
		user->error = p_strdup_printf(user->pool, "hb_guard: %s",
					      error);
		return;
	}
	guser->module_ctx.super = *v;
	user->vlast = &guser->module_ctx.super;
	v->deinit = guard_user_deinit;
	MODULE_CONTEXT_SET(user, guard_user_module, guser);
	event_set_ptr(user->event, GUARD_USER_EVENT_PTR, user);
}
