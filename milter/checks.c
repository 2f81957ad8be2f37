/* checks.c - the rules of each SMTP stage (docs/MILTER.md 2).  MAIL FROM:
 * the login's state and its right to the envelope sender, or for
 * unauthenticated mail whether the sender's domain allows that; RCPT TO:
 * recipient caps and suspended hosted recipients; end of message: size,
 * header From: rights, rate limits. */
#include "checks.h"
#include "envelope.h"
#include "milter.h"
#include "redis-pool.h"
#include "hb-keys.h"
#include "hb-log.h"
#include "hb-mailhdr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void msg_init(struct msg_state *m)
{
	memset(m, 0, sizeof(*m));
	m->size_param = -1;
	m->max_size = -1;
}

void msg_reset(struct msg_state *m)
{
	for (unsigned int i = 0; i < m->from_count && i < MSG_MAX_FROM_HEADERS; i++)
		free(m->from_values[i]);
	msg_init(m);
}

void verdict_set(struct verdict *v, const char *code, const char *dsn,
		 enum milter_counter reason, const char *fmt, ...)
{
	va_list ap;

	v->action = code[0] == '4' ? V_TEMPFAIL : V_REJECT;
	snprintf(v->code, sizeof(v->code), "%s", code);
	snprintf(v->dsn, sizeof(v->dsn), "%s", dsn);
	v->reason = reason;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
	/* an SMTP reply line is ASCII; libmilter treats '%' specially */
	for (char *p = v->text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '%')
			*p = '?';
	}
}

void verdict_redis_failed(const struct milter_conf *conf, struct verdict *v,
			  const char *what, const char *err)
{
	static long long last_logged_ms;
	long long now = milter_now_ms();

	metrics_inc(MC_REDIS_FAILED);
	/* an outage is logged once by the pool; anything else (an ACL or
	 * script error) at most every 10 s */
	if (redis_pool_up() && now - __atomic_load_n(&last_logged_ms, __ATOMIC_RELAXED) > 10000) {
		__atomic_store_n(&last_logged_ms, now, __ATOMIC_RELAXED);
		hb_error("%s check failed: %s; answering %s", what, err,
			 conf->fail_accept ? "accept" : "tempfail");
	}
	if (conf->fail_accept) {
		v->action = V_CONTINUE;
		return;
	}
	verdict_set(v, "451", "4.3.0", MC_REDIS_FAILED,
		    "Policy service temporarily unavailable, try again later");
}

static void suspended(const struct milter_conf *conf, struct verdict *v, const char *what,
		      const char *name)
{
	char code[4], dsn[10];

	snprintf(code, sizeof(code), "%u", conf->set->milter_suspended_code);
	snprintf(dsn, sizeof(dsn), "%c.7.1", code[0]);
	verdict_set(v, code, dsn, MC_REFUSE_SUSPENDED, "%s %s is suspended", what, name);
}

/* LOCAL@DOMAIN into OUT; hb_addr_split() already bounded the total length. */
static void join_addr(char *out, size_t size, const char *local, const char *domain)
{
	if (snprintf(out, size, "%s@%s", local, domain) >= (int)size)
		out[0] = '\0';
}

static void lower_limit(long long *limit, long long value)
{
	if (value >= 0 && (*limit < 0 || value < *limit))
		*limit = value;
}

/* Look up DOMAIN's policy; on a Redis failure V says what to do (-1). */
static int lookup(const struct milter_conf *conf, const char *domain,
		  struct domain_policy *p, struct verdict *v)
{
	char err[256];

	if (policy_lookup(conf, domain, p, err, sizeof(err)) == 0)
		return 0;
	verdict_redis_failed(conf, v, "domain policy", err);
	return -1;
}

/* ---------------------------------------------------------- MAIL FROM --- */

/* A login that is not a hosted mailbox may still not use hosted addresses. */
static void unhosted_login_sender(const struct milter_conf *conf, struct msg_state *m,
				  struct verdict *v)
{
	struct domain_policy p;

	if (m->sender[0] == '\0' || lookup(conf, m->sender_domain, &p, v) < 0)
		return;
	if (p.hosted)
		verdict_set(v, "550", "5.7.1", MC_REFUSE_SENDER,
			    "Login %s may not send as <%s>", m->login, m->sender);
}

static void hosted_login_sender(const struct milter_conf *conf, struct msg_state *m,
				struct verdict *v)
{
	const char *addrs[1] = { m->sender };
	int right = 1;

	/* the size limit first: it needs no Redis, so it holds in an outage too */
	m->max_size = m->login_policy.max_msg_size;
	if (m->size_param >= 0 && m->max_size >= 0 && m->size_param > m->max_size) {
		verdict_set(v, "552", "5.3.4", MC_REFUSE_SIZE,
			    "Message size %lld exceeds the limit of %lld bytes for %s",
			    m->size_param, m->max_size, m->login_domain);
		return;
	}
	if (sender_rights(conf, m, addrs, m->sender[0] != '\0' ? 1 : 0, &right, v) < 0)
		return;
	if (!right) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_SENDER,
			    "Login %s may not send as <%s>", m->login, m->sender);
		return;
	}
	m->sender_verified = m->sender[0] != '\0';
}

static void authenticated_mail(const struct milter_conf *conf, struct msg_state *m,
			       const char *login, const char *sender_error, struct verdict *v)
{
	const char *error;

	m->authenticated = 1;
	snprintf(m->login, sizeof(m->login), "%s", login);
	if (sender_error != NULL) {
		verdict_set(v, "553", "5.1.7", MC_REFUSE_INVALID,
			    "Sender address not accepted: %s", sender_error);
		return;
	}
	if (hb_addr_split(login, m->login_local, sizeof(m->login_local), m->login_domain,
			  sizeof(m->login_domain), &error) == 0 &&
	    lookup(conf, m->login_domain, &m->login_policy, v) == 0 && m->login_policy.hosted) {
		m->login_hosted = 1;
		join_addr(m->login, sizeof(m->login), m->login_local, m->login_domain);
		hosted_login_sender(conf, m, v);
	} else if (v->action == V_CONTINUE) {
		unhosted_login_sender(conf, m, v);
	}
}

static void unauthenticated_mail(const struct milter_conf *conf, struct msg_state *m,
				 struct verdict *v)
{
	struct domain_policy p;

	if (m->sender[0] == '\0' || lookup(conf, m->sender_domain, &p, v) < 0)
		return;
	if (p.hosted && p.unauth_reject)
		verdict_set(v, "550", "5.7.1", MC_REFUSE_UNAUTH,
			    "Sender domain %s is hosted here: authenticate to send as <%s>",
			    m->sender_domain, m->sender);
}

void check_mail(const struct milter_conf *conf, struct msg_state *m, const char *login,
		const char *sender_arg, char *const *args, struct verdict *v)
{
	char raw[HB_ADDR_MAX * 4 + 1], local[HB_LOCAL_MAX + 1];
	const char *error = NULL;

	msg_reset(m);
	v->action = V_CONTINUE;
	if (envelope_size_param(args, &m->size_param) <= 0)
		m->size_param = -1;
	if (envelope_unbracket(sender_arg != NULL ? sender_arg : "", raw, sizeof(raw), &error) == 0 &&
	    raw[0] != '\0' &&
	    hb_addr_split(raw, local, sizeof(local), m->sender_domain,
			  sizeof(m->sender_domain), &error) == 0)
		join_addr(m->sender, sizeof(m->sender), local, m->sender_domain);
	/* else: the null sender (error stays NULL), or an unreadable one */
	if (login != NULL && login[0] != '\0')
		authenticated_mail(conf, m, login, error, v);
	else
		unauthenticated_mail(conf, m, v);
}

/* ------------------------------------------------------------ RCPT TO --- */

static struct rcpt_domain *rcpt_domain(struct msg_state *m, const char *domain)
{
	for (unsigned int i = 0; i < m->rdomain_count; i++) {
		if (strcmp(m->rdomains[i].domain, domain) == 0)
			return &m->rdomains[i];
	}
	if (m->rdomain_count == MSG_MAX_RCPT_DOMAINS)
		return NULL;
	struct rcpt_domain *r = &m->rdomains[m->rdomain_count++];
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->count = 0;
	return r;
}

/* The stored state of mailbox LOCAL@DOMAIN ("" when there is none). */
static int mailbox_state(const struct milter_conf *conf, const char *local, const char *domain,
			 char *state, size_t size, struct verdict *v)
{
	char key[HB_KEY_MAX], err[256];
	const char *argv[] = { "HGET", key, "state" };
	size_t lens[3];
	struct pool_cmd cmd = { 3, argv, lens };
	redisReply *r;

	if (hb_domain_key(key, sizeof(key), conf->set->key_prefix, HB_DKEY_MAILBOX,
			  domain, local) == 0)
		return -1;
	lens[0] = 4;
	lens[1] = strlen(key);
	lens[2] = 5;
	if (redis_pool_exec(conf, 1, &cmd, &r, err, sizeof(err)) < 0) {
		verdict_redis_failed(conf, v, "recipient", err);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, sizeof(err), "HGET: %.200s", r->str);
		freeReplyObject(r);
		verdict_redis_failed(conf, v, "recipient", err);
		return -1;
	}
	snprintf(state, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return 0;
}

static void hosted_rcpt(const struct milter_conf *conf, struct msg_state *m, const char *local,
			const char *domain, const struct domain_policy *p, struct verdict *v)
{
	struct rcpt_domain *rd;
	char state[32];

	if (p->suspended) {
		suspended(conf, v, "Domain", domain);
		return;
	}
	if (mailbox_state(conf, local, domain, state, sizeof(state), v) < 0)
		return;
	if (state[0] != '\0' && strcmp(state, "active") != 0) {
		char addr[HB_ADDR_MAX + 1];
		join_addr(addr, sizeof(addr), local, domain);
		suspended(conf, v, "Mailbox", addr);
		return;
	}
	rd = rcpt_domain(m, domain);
	if (rd == NULL) {
		verdict_set(v, "452", "4.5.3", MC_REFUSE_RCPT,
			    "Too many recipient domains in one message; send the rest separately");
		return;
	}
	if (p->max_rcpt >= 0 && rd->count + 1 > (unsigned long long)p->max_rcpt) {
		verdict_set(v, "452", "4.5.3", MC_REFUSE_RCPT,
			    "Too many recipients in %s for one message (at most %lld)",
			    domain, p->max_rcpt);
		return;
	}
	if (m->size_param >= 0 && p->max_msg_size >= 0 && m->size_param > p->max_msg_size) {
		verdict_set(v, "552", "5.3.4", MC_REFUSE_SIZE,
			    "Message size %lld exceeds the limit of %lld bytes for %s",
			    m->size_param, p->max_msg_size, domain);
		return;
	}
	rd->count++;
	lower_limit(&m->max_size, p->max_msg_size);
}

void check_rcpt(const struct milter_conf *conf, struct msg_state *m, const char *rcpt_arg,
		struct verdict *v)
{
	char raw[HB_ADDR_MAX * 4 + 1], local[HB_LOCAL_MAX + 1], domain[HB_DOMAIN_MAX + 1];
	struct domain_policy p;
	const char *error;

	v->action = V_CONTINUE;
	if (m->login_hosted && m->login_policy.max_rcpt >= 0 &&
	    m->rcpts + 1 > (unsigned long long)m->login_policy.max_rcpt) {
		verdict_set(v, "452", "4.5.3", MC_REFUSE_RCPT,
			    "Too many recipients for one message (at most %lld for %s)",
			    m->login_policy.max_rcpt, m->login_domain);
		return;
	}
	/* an address that is no hosted mailbox is left to Postfix */
	if (envelope_unbracket(rcpt_arg != NULL ? rcpt_arg : "", raw, sizeof(raw), &error) == 0 &&
	    raw[0] != '\0' &&
	    hb_addr_split(raw, local, sizeof(local), domain, sizeof(domain), &error) == 0) {
		envelope_strip_extension(local, conf->set->recipient_delimiter);
		if (lookup(conf, domain, &p, v) < 0)
			return;
		if (p.hosted)
			hosted_rcpt(conf, m, local, domain, &p, v);
	}
	if (v->action == V_CONTINUE)
		m->rcpts++;
}

/* ----------------------------------------------------- end of message --- */

void msg_add_header(struct msg_state *m, const char *name, const char *value)
{
	size_t len = strlen(value);

	m->bytes += (long long)(strlen(name) + len + 4);
	if (strcasecmp(name, "From") != 0)
		return;
	if (m->from_count < MSG_MAX_FROM_HEADERS) {
		if (len > HB_MAILHDR_MAX_LEN)
			m->from_too_long = 1;
		else
			m->from_values[m->from_count] = strdup(value);
	}
	m->from_count++;
}

void msg_add_body(struct msg_state *m, size_t len)
{
	m->bytes += (long long)len;
}

/* The header From: addresses into ADDRS; -1 with V when they cannot be read. */
static int read_from(const struct msg_state *m, struct hb_mailhdr_addrs *addrs,
		     struct verdict *v)
{
	const char *error;

	if (m->from_count > 1) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID,
			    "More than one From: header");
		return -1;
	}
	if (m->from_too_long || m->from_values[0] == NULL) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID, "From: header too long");
		return -1;
	}
	if (hb_mailhdr_from(m->from_values[0], strlen(m->from_values[0]), addrs, &error) < 0) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID,
			    "From: header not accepted: %s", error);
		return -1;
	}
	return 0;
}

/* Authenticated: every From: address must be one the login may use. */
static void check_from_rights(const struct milter_conf *conf, struct msg_state *m,
			      const struct hb_mailhdr_addrs *addrs, struct verdict *v)
{
	const char *ask[HB_MAILHDR_MAX_ADDRS];
	int rights[HB_MAILHDR_MAX_ADDRS];
	unsigned int n = 0;

	for (size_t i = 0; i < addrs->count; i++) {
		if (!(m->sender_verified && strcmp(addrs->addr[i], m->sender) == 0))
			ask[n++] = addrs->addr[i];
	}
	if (n == 0)
		return;
	if (!m->login_hosted) {
		for (unsigned int i = 0; i < n; i++) {
			struct domain_policy p;
			const char *at = strrchr(ask[i], '@');
			if (lookup(conf, at + 1, &p, v) < 0)
				return;
			if (p.hosted) {
				verdict_set(v, "550", "5.7.1", MC_REFUSE_SENDER,
					    "From: <%s> may not be used by login %s", ask[i], m->login);
				return;
			}
		}
		return;
	}
	if (sender_rights(conf, m, ask, n, rights, v) < 0)
		return;
	for (unsigned int i = 0; i < n; i++) {
		if (!rights[i]) {
			verdict_set(v, "550", "5.7.1", MC_REFUSE_SENDER,
				    "From: <%s> may not be used by login %s", ask[i], m->login);
			return;
		}
	}
}

/* Unauthenticated: a From: in a hosted domain that refuses that. */
static void check_from_unauth(const struct milter_conf *conf, const struct hb_mailhdr_addrs *addrs,
			      struct verdict *v)
{
	for (size_t i = 0; i < addrs->count; i++) {
		struct domain_policy p;
		const char *domain = strrchr(addrs->addr[i], '@') + 1;
		if (lookup(conf, domain, &p, v) < 0)
			return;
		if (p.hosted && p.unauth_reject) {
			verdict_set(v, "550", "5.7.1", MC_REFUSE_UNAUTH,
				    "From: domain %s is hosted here: authenticate to send as <%s>",
				    domain, addrs->addr[i]);
			return;
		}
	}
}

void check_eom(const struct milter_conf *conf, struct msg_state *m, struct verdict *v)
{
	struct hb_mailhdr_addrs addrs;
	const char *ignored;

	v->action = V_CONTINUE;
	if (m->max_size >= 0 && m->bytes > m->max_size) {
		verdict_set(v, "552", "5.3.4", MC_REFUSE_SIZE,
			    "Message size %lld exceeds the limit of %lld bytes", m->bytes, m->max_size);
		return;
	}
	if (m->from_count > 0) {
		if (m->authenticated) {
			if (read_from(m, &addrs, v) < 0)
				return;
			check_from_rights(conf, m, &addrs, v);
		} else if (m->from_count == 1 && !m->from_too_long && m->from_values[0] != NULL &&
			   hb_mailhdr_from(m->from_values[0], strlen(m->from_values[0]), &addrs,
					   &ignored) == 0) {
			/* foreign mail whose From: we cannot read is not ours to judge */
			check_from_unauth(conf, &addrs, v);
		}
		if (v->action != V_CONTINUE)
			return;
	}
	if (m->login_hosted)
		check_rates(conf, m, v);
}
