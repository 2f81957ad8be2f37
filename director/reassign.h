/* reassign.h - moves every user of a failed backend to the backend that would
 * get it on its next login, without waiting for that login (docs/DESIGN.md
 * 4): `hbctl backend users`, the session census and Postfix's socketmap are
 * right at once.  Run by the health-lease holder once a failed backend's
 * fence is over, in batches, one `reassign` script step per user. */
#ifndef DIRECTOR_REASSIGN_H
#define DIRECTOR_REASSIGN_H

struct director;
struct reassign;

/* Start moving the users of BACKEND; NULL when out of memory.  The run ends
 * by itself when users:BACKEND has no user left to move, the backend is
 * usable again, or Redis fails; reassign_running() tells. */
struct reassign *reassign_start(struct director *d, const char *backend);
int reassign_running(const struct reassign *r);
const char *reassign_backend(const struct reassign *r);
/* Stop (a reply in flight is waited for, then everything is freed). */
void reassign_stop(struct reassign **r);

#endif
