/* check.h - one health check of one backend: its IMAP and LMTP probes run
 * together and their outcomes are combined into one verdict, the most
 * certain first (docs/DESIGN.md 5): any proof of death, else any sign of
 * sickness, else silence, else ok.  A check never decides what to do about
 * its verdict; health.c does. */
#ifndef DIRECTOR_CHECK_H
#define DIRECTOR_CHECK_H

#include "probe.h"
#include "hb-backend.h"

struct check_result {
	enum probe_status status;
	char reason[HB_REASON_MAX + 1];  /* "IMAP: connection refused", ... */
	long long took_ms;               /* the slowest probe (login refusals left out) */
	int login_refused;               /* the backend refused the health login */
};

typedef void check_done_cb(void *ctx, const struct check_result *result);

struct check;

/* Probe BACKEND's IMAP and LMTP ports (those that are set), each bounded by
 * TIMEOUT_MS; LOGIN may be NULL.  DONE is called once, later, unless the check
 * is cancelled first.  NULL when the backend has neither port or memory ran
 * out (DONE is never called then). */
struct check *check_start(struct event_base *base, const struct hb_backend *backend,
			  const struct probe_login *login, unsigned int timeout_ms,
			  check_done_cb *done, void *ctx);
/* 1 once any probe of the check has heard from the backend. */
int check_heard(const struct check *check);
void check_cancel(struct check **check);

#endif
