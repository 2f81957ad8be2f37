/* failover.h - what the health-lease holder does once a backend has failed
 * (docs/DESIGN.md 4): kick what may still run there through the doveadm
 * API, lift the fence as soon as that is known to be safe, and hand the
 * backend's users to reassign.c once the fence is over. */
#ifndef DIRECTOR_FAILOVER_H
#define DIRECTOR_FAILOVER_H

struct director;

enum failover_kind {
	/* proven dead (refused, reset, closed, an error reply): kick at once;
	   if its doveadm does not answer either, the node is gone and its
	   users may go elsewhere right away */
	FAILOVER_DEAD,
	/* no sign of life on any channel for health_dead_after: it may only
	   be stalled, with sessions that wake up again; kick after the answer
	   caches expired, as a move does */
	FAILOVER_SILENT,
};

/* The fence (ms) the health script sets when BACKEND fails: how long its
   users wait at most before they may log in elsewhere. */
unsigned int failover_fence_ms(const struct director *d, const char *backend);

/* BACKEND (at HOST, doveadm on DOVEADM_PORT, 0 = none) has just failed. */
void failover_begin(struct director *d, const char *backend, const char *host,
		    unsigned int doveadm_port, enum failover_kind kind);

/* Kick everything on BACKEND now: it failed, its failover kick never got
 * through (it was stalled, not dead; health.c remembers that through
 * health_kick_owed()), and it has just answered a probe again, so its old
 * sessions may wake up while its users work elsewhere. */
void failover_kick_again(struct director *d, const char *backend);

#endif
