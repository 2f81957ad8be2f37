/* health.h - active health checks of the backends (docs/DESIGN.md, 5), run
 * only by the director that holds the health lease in Redis. */
#ifndef DIRECTOR_HEALTH_H
#define DIRECTOR_HEALTH_H

struct director;

struct health *health_create(struct director *d);
void health_destroy(struct health **health);
/* Called every second: take or renew the lease. */
void health_lease_tick(struct health *health);
int health_lease_held(const struct health *health);
/* Backend NAME refused the health login: said once; probes only greet until
 * the password file changes. */
void health_login_refused(struct health *health, const char *name);
/* OWED = 1: backend NAME failed and its failover kick did not get through;
 * the next sign of life kicks it again (failover_kick_again). */
void health_kick_owed(struct health *health, const char *name, int owed);

#endif
