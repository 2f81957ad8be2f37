/* locks-mailbox.h - hb_locks' mail user and mailbox hooks. */
#ifndef LOCKS_MAILBOX_H
#define LOCKS_MAILBOX_H

struct mail_user;
struct mailbox;

void locks_mail_user_created(struct mail_user *user);
void locks_mailbox_allocated(struct mailbox *box);

#endif
