/* guard-uidlist.h - keeps a maildir save from giving out a UID twice after
 * a writer was killed between its two commits (docs/GUARD.md "UIDs after a
 * killed save"). */
#ifndef GUARD_UIDLIST_H
#define GUARD_UIDLIST_H

struct mailbox;
struct mail_index;

/* Around a save commit of BOX (Dovecot's transaction_save_commit_pre):
   begin returns the mailbox whose save was running before, to give back
   to end (saves do not nest in practice; this keeps them right if so). */
struct mailbox *guard_uidlist_save_begin(struct mailbox *box);
void guard_uidlist_save_end(struct mailbox *previous);

/* Called when a transaction of INDEX is created: the first one of the
   saving mailbox's index is its index sync, which Dovecot begins with the
   uidlist locked, after deciding where next_uid comes from and before it
   gives UIDs out. */
void guard_uidlist_index_transaction(struct mail_index *index);

#endif
