/* checks.h - the milter's policy rules (docs/MILTER.md 2), one function
 * per SMTP stage, free of libmilter: the glue in callbacks.c hands them the
 * envelope, headers and body sizes and turns a verdict into a reply. */
#ifndef CHECKS_H
#define CHECKS_H

#include "hb-addr.h"
#include "hb-mailhdr.h"
#include "metrics.h"
#include "policy-cache.h"

#define MSG_MAX_FROM_HEADERS 4
#define MSG_MAX_RCPT_DOMAINS 32

struct milter_conf;

enum verdict_action { V_CONTINUE, V_REJECT, V_TEMPFAIL };

struct verdict {
	enum verdict_action action;
	char code[4];		/* "550" */
	char dsn[10];		/* "5.7.1" */
	char text[400];		/* ASCII, no CR/LF or '%' */
	enum milter_counter reason;
};

struct rcpt_domain {
	char domain[HB_DOMAIN_MAX + 1];
	unsigned int count;
};

/* What the checks know about the message in progress. */
struct msg_state {
	int authenticated;		/* {auth_authen} was given */
	int login_hosted;		/* ... and is a mailbox of a hosted domain */
	char login[HB_ADDR_MAX + 1];	/* normalised, or as given if it does not parse */
	char login_local[HB_LOCAL_MAX + 1], login_domain[HB_DOMAIN_MAX + 1];
	struct domain_policy login_policy;

	char sender[HB_ADDR_MAX + 1];	/* normalised; "" = null or unreadable */
	char sender_domain[HB_DOMAIN_MAX + 1];
	int sender_verified;		/* the login may use SENDER */
	long long size_param;		/* SIZE= or -1 */
	long long max_size;		/* smallest limit that applies, -1 none */

	unsigned int rcpts;
	struct rcpt_domain rdomains[MSG_MAX_RCPT_DOMAINS];
	unsigned int rdomain_count;

	int from_worst;			/* milter_from_ambiguous = worst, taken at MAIL FROM */
	char *from_values[MSG_MAX_FROM_HEADERS];	/* NULL: too long to keep */
	unsigned int from_count;	/* may exceed MSG_MAX_FROM_HEADERS */
	int from_too_long;
	/* worst mode, unauthenticated: every domain a reader could take from
	 * any From: (hb_mailhdr_domains_scan), for one that cannot be read */
	struct hb_mailhdr_domains from_domains;
	/* Postfix's X-Mailbox-Line "From : ..." (hb_mailhdr_from_field):
	 * readers do not see it as From:, but its addresses are judged */
	char *mbox_from;
	long long bytes;
};

void msg_init(struct msg_state *m);
/* Free what M holds and make it empty (a new transaction). */
void msg_reset(struct msg_state *m);

/* MAIL FROM: LOGIN is {auth_authen} (NULL or "" when unauthenticated),
 * SENDER_ARG the "<addr>" argument, ARGS the ESMTP parameters. */
void check_mail(const struct milter_conf *conf, struct msg_state *m, const char *login,
		const char *sender_arg, char *const *args, struct verdict *v);
void check_rcpt(const struct milter_conf *conf, struct msg_state *m, const char *rcpt_arg,
		struct verdict *v);
void msg_add_header(struct msg_state *m, const char *name, const char *value);
void msg_add_body(struct msg_state *m, size_t len);
void check_eom(const struct milter_conf *conf, struct msg_state *m, struct verdict *v);

/* --- helpers shared by the check files --- */

/* Fill V with CODE, DSN and printf-style text (made safe for an SMTP reply). */
void verdict_set(struct verdict *v, const char *code, const char *dsn,
		 enum milter_counter reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A Redis failure while checking WHAT: milter_fail decides (tempfail, or
 * continue without that check).  Errors other than an outage are logged at
 * most every few seconds. */
void verdict_redis_failed(const struct milter_conf *conf, struct verdict *v,
			  const char *what, const char *err);

/* The login's rights for N normalised ADDRS (sender.c): fills RIGHTS[i] with
 * 1 (may use) or 0, and refuses suspended or missing logins into V.
 * Returns 0, or -1 when V says why no verdict was reached. */
int sender_rights(const struct milter_conf *conf, const struct msg_state *m,
		  const char *const *addrs, unsigned int n, int *rights, struct verdict *v);

/* Forget cached sender rights (sender.c; after a reload, at exit). */
void sender_rights_cache_clear(void);

/* The rate limits of an authenticated hosted login for this message
 * (ratelimit.c): V stays V_CONTINUE when allowed. */
void check_rates(const struct milter_conf *conf, const struct msg_state *m, struct verdict *v);

#endif
