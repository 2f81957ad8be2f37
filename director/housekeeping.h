/* housekeeping.h - the director's once-a-second work: reload the backend
 * table, renew the health lease, publish a heartbeat, prune old assignments. */
#ifndef DIRECTOR_HOUSEKEEPING_H
#define DIRECTOR_HOUSEKEEPING_H

struct director;

void housekeeping_start(struct director *d);
void housekeeping_stop(struct director *d);

#endif
