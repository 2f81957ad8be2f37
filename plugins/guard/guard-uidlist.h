/* guard-uidlist.h - keeps a maildir save from giving out a UID twice after
 * a writer was killed between its two commits (docs/GUARD.md "UIDs after a
 * killed save"). */
#ifndef GUARD_UIDLIST_H
#define GUARD_UIDLIST_H

#include <stdbool.h>

struct mail_save_context;
struct maildir_uidlist;

/* Before a maildir save commit: takes the uidlist lock (waiting when the
   save assigns UIDs, else only if it is free, as Dovecot does) and, if the
   index vouches for a uidlist that names UIDs past the index's next UID,
   makes Dovecot read the uidlist first.  Returns the uidlist if its lock
   was taken (NULL if not): release it with guard_uidlist_save_done() after
   the commit, which may have freed CTX. */
struct maildir_uidlist *guard_uidlist_save_prepare(struct mail_save_context *ctx);
void guard_uidlist_save_done(struct maildir_uidlist *locked);

#endif
