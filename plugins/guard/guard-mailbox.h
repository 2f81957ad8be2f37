/* guard-mailbox.h - hb_guard's per-mailbox context: vfunc wrappers of each
 * mailbox (open throttle, directory fsync after commits and syncs,
 * fenced-commit errors); the user's settings come from guard-user.h. */
#ifndef GUARD_MAILBOX_H
#define GUARD_MAILBOX_H

struct mailbox;

void guard_mailbox_allocated(struct mailbox *box);

#endif
