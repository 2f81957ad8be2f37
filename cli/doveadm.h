/* doveadm.h - the two doveadm commands hbctl needs, over the HTTP API:
 * "kick" (disconnect a user's or every session) and "who" (count sessions),
 * plus waiting until a backend has no sessions left for a mask.  HTTP or
 * verified TLS as hummingbird.conf says (doveadm_tls, doveadm_ca_file). */
#ifndef HBCTL_DOVEADM_H
#define HBCTL_DOVEADM_H

#include <stddef.h>
#include "doveadm-http.h"

struct hb_settings;

/* Where to reach one backend's doveadm HTTP API. */
struct hbctl_doveadm {
	const char *host;
	unsigned int port;
	const char *api_key;
	unsigned int timeout_ms;	/* per request */
	/* doveadm_tls and doveadm_ca_file; required: without it nothing is
	 * sent, so that no caller can send the key in clear by omission */
	const struct hb_settings *set;
};

/* Build [[COMMAND,{"mask":[MASK]},"hbctl"]] (malloc'd). */
char *hbctl_doveadm_request(const char *command, const char *mask);
/* Parse a reply to COMMAND.  For "who" *COUNT_R is the number of sessions;
 * for "kick" the number of users kicked (Dovecot's "no such user" error
 * counts as 0).  Pure. */
int hbctl_doveadm_parse_reply(const char *command, const char *body, size_t len,
			      unsigned int *count_r, char *err, size_t err_size);

enum hbctl_http_result hbctl_doveadm_kick(const struct hbctl_doveadm *da, const char *mask,
					  unsigned int *kicked_r, char *err, size_t err_size);
enum hbctl_http_result hbctl_doveadm_who(const struct hbctl_doveadm *da, const char *mask,
					 unsigned int *sessions_r, char *err, size_t err_size);
/* Kick MASK, then poll "who" every 200 ms until no session is left or
 * WAIT_MS passed.  *LEFT_R = sessions still open (0 = done). */
enum hbctl_http_result hbctl_doveadm_kick_wait(const struct hbctl_doveadm *da,
					       const char *mask, unsigned int wait_ms,
					       unsigned int *left_r,
					       char *err, size_t err_size);

#endif
