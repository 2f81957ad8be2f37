/* locks-title.h - hb_locks' record of the locking operation a process is in,
 * kept in its process title for `hbctl locks` (docs/LOCKS.md, "Ages of
 * kernel locks"). */
#ifndef LOCKS_TITLE_H
#define LOCKS_TITLE_H

#include <sys/time.h>

/* Appends " [hb_locks OP since=EPOCH_MS user=USER box=MAILBOX]" to the title
 * while the outermost locking operation runs; nested ones only count. */
void locks_title_begin(const char *operation, const struct timeval *started,
		       const char *user, const char *mailbox);
/* Ends the innermost operation; the outermost restores Dovecot's title. */
void locks_title_end(void);

#endif
