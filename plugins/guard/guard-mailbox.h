/* guard-mailbox.h - hb_guard's per-user and per-mailbox contexts: settings
 * of the user, vfunc wrappers of each mailbox (open throttle, directory
 * fsync after commits and syncs, fenced-commit errors). */
#ifndef GUARD_MAILBOX_H
#define GUARD_MAILBOX_H

struct mail_user;
struct mailbox;

void guard_mail_user_created(struct mail_user *user);
void guard_mailbox_allocated(struct mailbox *box);

#endif
