/* callbacks.c - libmilter glue: one session state per MTA connection, the
 * protocol steps the milter does not need switched off at negotiation (no
 * connect, HELO, end-of-header or unknown events), and each verdict of
 * checks.c turned into an SMTP reply.
 *
 * DATA is skipped and headers and body chunks get no reply: a reply per
 * header costs Postfix and the milter more CPU than anything the checks do
 * (measured: 2.3 vs 1.9 ms per message in all, and fewer messages/s).  On
 * TCP this leaves runs of unanswered packets, which Postfix's Nagle holds
 * until the milter's delayed ACK (40 ms): every such milter adds ~40 ms of
 * latency per message there, not CPU; a unix socket has none of it
 * (docs/MILTER.md 1). */
#include "callbacks.h"
#include "checks.h"
#include "milter.h"
#include "hb-log.h"

#include <stdlib.h>
#include <string.h>

struct session {
	struct msg_state msg;
	int no_reply_header, no_reply_body;
};

static unsigned int active_sessions;

unsigned int milter_active_sessions(void)
{
	return __atomic_load_n(&active_sessions, __ATOMIC_RELAXED);
}

static struct session *session_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long wanted = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN |
		SMFIP_NODATA | SMFIP_NOEOH | SMFIP_NR_HDR | SMFIP_NR_BODY;
	struct session *s = calloc(1, sizeof(*s));

	(void)f0; (void)f2; (void)f3;
	if (s == NULL) {
		hb_error("out of memory for a new MTA session");
		return SMFIS_TEMPFAIL;
	}
	msg_init(&s->msg);
	*pf0 = 0;			/* no modifications of the message */
	*pf1 = f1 & wanted;
	*pf2 = 0;
	*pf3 = 0;
	s->no_reply_header = (*pf1 & SMFIP_NR_HDR) != 0;
	s->no_reply_body = (*pf1 & SMFIP_NR_BODY) != 0;
	smfi_setpriv(ctx, s);
	__atomic_add_fetch(&active_sessions, 1, __ATOMIC_RELAXED);
	return SMFIS_CONTINUE;
}

/* Turn V into libmilter's answer; log refusals with what they concern. */
static sfsistat answer(SMFICTX *ctx, struct session *s, const struct verdict *v,
		       const char *stage)
{
	const char *qid;

	if (v->action == V_CONTINUE)
		return SMFIS_CONTINUE;
	metrics_inc(v->reason);
	qid = smfi_getsymval(ctx, "i");
	hb_info("%s%s%s refused: login=%s sender=<%s>: %s %s %s", qid != NULL ? qid : "",
		qid != NULL ? ": " : "", stage, s->msg.authenticated ? s->msg.login : "-",
		s->msg.sender, v->code, v->dsn, v->text);
	if (smfi_setreply(ctx, (char *)v->code, (char *)v->dsn, (char *)v->text) != MI_SUCCESS)
		hb_warn("libmilter refused the reply %s %s", v->code, v->dsn);
	return v->action == V_TEMPFAIL ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

static void count_message(const struct verdict *v)
{
	metrics_inc(v->action == V_CONTINUE ? MC_MSG_ACCEPTED :
		    v->action == V_TEMPFAIL ? MC_MSG_TEMPFAILED : MC_MSG_REJECTED);
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);
	struct milter_conf *conf;
	struct verdict v = { .action = V_CONTINUE };

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	conf = milter_conf_acquire();
	check_mail(conf, &s->msg, smfi_getsymval(ctx, "{auth_authen}"), argv[0],
		   argv[0] != NULL ? argv + 1 : NULL, &v);
	milter_conf_release(conf);
	if (v.action != V_CONTINUE)
		count_message(&v);
	return answer(ctx, s, &v, "MAIL FROM");
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);
	struct milter_conf *conf;
	struct verdict v = { .action = V_CONTINUE };

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	conf = milter_conf_acquire();
	check_rcpt(conf, &s->msg, argv[0], &v);
	milter_conf_release(conf);
	return answer(ctx, s, &v, "RCPT TO");
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = session_of(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	msg_add_header(&s->msg, name, value != NULL ? value : "");
	return s->no_reply_header ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct session *s = session_of(ctx);

	(void)chunk;
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	msg_add_body(&s->msg, len);
	return s->no_reply_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);
	struct milter_conf *conf;
	struct verdict v = { .action = V_CONTINUE };
	sfsistat ret;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	conf = milter_conf_acquire();
	check_eom(conf, &s->msg, &v);
	milter_conf_release(conf);
	count_message(&v);
	ret = answer(ctx, s, &v, "message");
	msg_reset(&s->msg);
	return ret == SMFIS_CONTINUE ? SMFIS_ACCEPT : ret;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s != NULL)
		msg_reset(&s->msg);
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s != NULL) {
		msg_reset(&s->msg);
		free(s);
		smfi_setpriv(ctx, NULL);
		__atomic_sub_fetch(&active_sessions, 1, __ATOMIC_RELAXED);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "hummingbird-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_header = on_header,
	.xxfi_body = on_body,
	.xxfi_eom = on_eom,
	.xxfi_abort = on_abort,
	.xxfi_close = on_close,
	.xxfi_negotiate = on_negotiate,
};
