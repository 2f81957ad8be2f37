/* census.h - the session census (docs/DESIGN.md, 4): the health-lease holder
 * asks every backend's doveadm API "who" every census_interval, keeps the
 * assignments of users with open sessions alive (or pins them again where
 * the session is) and reports users open on a backend they are not
 * assigned to. */
#ifndef DIRECTOR_CENSUS_H
#define DIRECTOR_CENSUS_H

struct director;
struct census;

struct census *census_create(struct director *d);
/* Cancels requests in flight; call before Redis and kick state go away. */
void census_destroy(struct census **census);
/* Sessions BACKEND had in its last successful census; 0 if none yet. */
int census_sessions(const struct census *census, const char *backend,
		    unsigned long *sessions_r);

#endif
