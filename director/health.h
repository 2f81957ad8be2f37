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

#endif
