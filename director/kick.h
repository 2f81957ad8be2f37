/* kick.h - asks a backend's doveadm HTTP API to disconnect every session,
 * so that a backend that failed its health checks but still runs cannot keep
 * users open while they are served elsewhere (docs/DESIGN.md, 4). */
#ifndef DIRECTOR_KICK_H
#define DIRECTOR_KICK_H

struct director;

enum kick_result {
	KICK_DONE,         /* doveadm answered: its sessions are gone */
	KICK_UNREACHABLE,  /* refused or reset: nothing is listening, it is dead */
	KICK_TIMEOUT,      /* no answer in time: alive or dead, we cannot tell */
	KICK_REFUSED,      /* answered with an error (wrong key, ...) */
};

typedef void kick_done_cb(struct director *d, const char *backend,
			  enum kick_result result, const char *detail);

/* Load the API key (doveadm_api_key_file); 0 if none is configured. */
int kick_init(struct director *d, char *err, size_t err_size);
void kick_deinit(struct director *d);
int kick_available(const struct director *d);
/* Kick everyone on HOST:PORT after DELAY_MS (the passdb modules' answer
   caches expire first, docs/DESIGN.md 4); DONE is called exactly once, later.
   kick_timeout counts from the kick, not from the call. */
void kick_all(struct director *d, const char *backend, const char *host,
	      unsigned int port, unsigned int delay_ms, kick_done_cb *done);

#endif
