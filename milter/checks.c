/* checks.c - the rules of each SMTP stage (docs/MILTER.md 2).  MAIL FROM:
 * the login's state and its right to the envelope sender, or for
 * unauthenticated mail whether the sender's domain allows that; RCPT TO:
 * recipient caps and suspended hosted recipients; end of message: size,
 * header From: rights, rate limits.  A From: that is ambiguous (several
 * headers or addresses, or unreadable) is never waved through: refused, or
 * judged by the worst a reader could make of it (milter_from_ambiguous). */
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
	free(m->mbox_from);
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

/* An envelope sender that Postfix took but hb_addr_split() cannot read
 * ("c e o"@d, <@route:u@d>) still names a domain: judged by that alone.
 * Returns 0 with DOMAIN (A-label), or -1 when no domain can be read. */
static int unreadable_sender_domain(const char *sender_arg, char *domain, size_t size)
{
	char raw[HB_DOMAIN_INPUT_MAX + 1];
	const char *error;

	if (envelope_domain_part(sender_arg, raw, sizeof(raw), &error) < 0)
		return -1;
	return hb_domain_normalize(raw, domain, size, &error);
}

static void unauthenticated_mail(const struct milter_conf *conf, struct msg_state *m,
				 const char *sender_arg, int unreadable, struct verdict *v)
{
	struct domain_policy p;
	char domain[HB_DOMAIN_MAX + 1];

	if (m->sender[0] != '\0')
		snprintf(domain, sizeof(domain), "%s", m->sender_domain);
	else if (!unreadable || unreadable_sender_domain(sender_arg, domain, sizeof(domain)) < 0)
		return;		/* the null sender, or no domain to judge */
	if (lookup(conf, domain, &p, v) < 0 || !(p.hosted && p.unauth_reject))
		return;
	if (m->sender[0] != '\0')
		verdict_set(v, "550", "5.7.1", MC_REFUSE_UNAUTH,
			    "Sender domain %s is hosted here: authenticate to send as <%s>",
			    domain, m->sender);
	else
		verdict_set(v, "550", "5.7.1", MC_REFUSE_UNAUTH,
			    "Sender domain %s is hosted here: authenticate to send from it", domain);
}

void check_mail(const struct milter_conf *conf, struct msg_state *m, const char *login,
		const char *sender_arg, char *const *args, struct verdict *v)
{
	char raw[HB_ADDR_MAX * 4 + 1], local[HB_LOCAL_MAX + 1];
	const char *error = NULL;

	msg_reset(m);
	m->from_worst = conf->from_worst;
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
		unauthenticated_mail(conf, m, sender_arg != NULL ? sender_arg : "",
				     error != NULL, v);
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
	int mbox_line;
	const char *from = hb_mailhdr_from_field(name, value, &mbox_line);
	size_t len;

	m->bytes += (long long)(strlen(name) + strlen(value) + 4);
	if (from == NULL)
		return;
	len = strlen(from);
	if (mbox_line) {
		/* Postfix makes at most one, from the first line */
		if (m->mbox_from == NULL && len <= HB_MAILHDR_MAX_LEN)
			m->mbox_from = strdup(from);
		return;
	}
	/* the worst case of an unreadable From: needs every header's text,
	 * also of those too long or too many to keep */
	if (m->from_worst && !m->authenticated)
		hb_mailhdr_domains_scan(from, len, &m->from_domains);
	if (m->from_count < MSG_MAX_FROM_HEADERS) {
		if (len > HB_MAILHDR_MAX_LEN)
			m->from_too_long = 1;
		else
			m->from_values[m->from_count] = strdup(from);
	}
	m->from_count++;
}

void msg_add_body(struct msg_state *m, size_t len)
{
	m->bytes += (long long)len;
}

/* What the From: headers say: every address read with certainty, and why
 * the rest could not be read. */
struct from_reading {
	struct hb_mailhdr_addrs addrs;
	const char *unreadable;		/* static reason, or NULL */
	int ambiguous;			/* several headers or addresses, or unreadable */
};

static void from_add(struct from_reading *r, const struct hb_mailhdr_addrs *one)
{
	for (size_t j = 0; j < one->count; j++) {
		if (r->addrs.count == HB_MAILHDR_MAX_ADDRS) {
			r->unreadable = "too many From: addresses";
			return;
		}
		memcpy(r->addrs.addr[r->addrs.count++], one->addr[j], sizeof(one->addr[j]));
	}
}

static void read_from_headers(const struct msg_state *m, struct from_reading *r)
{
	struct hb_mailhdr_addrs one;
	const char *error;

	r->addrs.count = 0;
	r->unreadable = m->from_count > MSG_MAX_FROM_HEADERS ? "too many From: headers" : NULL;
	for (unsigned int i = 0; i < m->from_count && i < MSG_MAX_FROM_HEADERS; i++) {
		const char *value = m->from_values[i];

		if (value == NULL)
			error = m->from_too_long ? "From: header too long" : "out of memory";
		else if (hb_mailhdr_from(value, strlen(value), &one, &error) == 0) {
			from_add(r, &one);
			continue;
		}
		if (r->unreadable == NULL)
			r->unreadable = error;
	}
	r->ambiguous = r->unreadable != NULL || m->from_count > 1 || r->addrs.count > 1;
	/* an X-Mailbox-Line "From :" is no From: to readers, so it makes
	 * nothing ambiguous; what it names clearly is judged all the same */
	if (m->mbox_from != NULL &&
	    hb_mailhdr_from(m->mbox_from, strlen(m->mbox_from), &one, &error) == 0)
		from_add(r, &one);
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

/* Unauthenticated: DOMAIN (of ADDR, or named somewhere in the From:) is
 * hosted and refuses unauthenticated senders.  -1 when V is set. */
static int unauth_domain_refused(const struct milter_conf *conf, const char *domain,
				 const char *addr, struct verdict *v)
{
	struct domain_policy p;

	if (lookup(conf, domain, &p, v) < 0)
		return -1;
	if (!(p.hosted && p.unauth_reject))
		return 0;
	if (addr != NULL)
		verdict_set(v, "550", "5.7.1", MC_REFUSE_UNAUTH,
			    "From: domain %s is hosted here: authenticate to send as <%s>",
			    domain, addr);
	else
		verdict_set(v, "550", "5.7.1", MC_REFUSE_UNAUTH,
			    "From: header names %s, which is hosted here: authenticate to send as it",
			    domain);
	return -1;
}

static void check_from_unauth(const struct milter_conf *conf, const struct hb_mailhdr_addrs *addrs,
			      struct verdict *v)
{
	for (size_t i = 0; i < addrs->count; i++) {
		const char *domain = strrchr(addrs->addr[i], '@') + 1;

		if (unauth_domain_refused(conf, domain, addrs->addr[i], v) < 0)
			return;
	}
}

/* milter_from_ambiguous = worst, unauthenticated, some From: unreadable:
 * refused if any domain a reader could take from it is hosted. */
static void check_from_worst_unauth(const struct milter_conf *conf, const struct msg_state *m,
				    struct verdict *v)
{
	const struct hb_mailhdr_domains *d = &m->from_domains;

	if (d->overflow) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID,
			    "From: header names too many domains to judge");
		return;
	}
	for (unsigned int i = 0; i < d->count; i++) {
		if (unauth_domain_refused(conf, d->domain[i], NULL, v) < 0)
			return;
	}
}

static void refuse_ambiguous(const struct msg_state *m, const struct from_reading *r,
			     struct verdict *v)
{
	verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID, "From: header not accepted: %s",
		    r->unreadable != NULL ? r->unreadable :
		    m->from_count > 1 ? "more than one From: header" : "more than one address");
}

/* The From: headers.  Readable addresses are judged first (a refusal that
 * names the address says the most); then an ambiguous From: is refused, or
 * in worst mode judged by what a reader could take from it. */
static void check_from(const struct milter_conf *conf, struct msg_state *m, struct verdict *v)
{
	struct from_reading r;

	read_from_headers(m, &r);
	if (m->authenticated)
		check_from_rights(conf, m, &r.addrs, v);
	else
		check_from_unauth(conf, &r.addrs, v);
	if (v->action != V_CONTINUE || !r.ambiguous)
		return;
	/* a login's right to an address it did not write legibly is unproven */
	if (!m->from_worst || (m->authenticated && r.unreadable != NULL))
		refuse_ambiguous(m, &r, v);
	else if (!m->authenticated && r.unreadable != NULL)
		check_from_worst_unauth(conf, m, v);
}

void check_eom(const struct milter_conf *conf, struct msg_state *m, struct verdict *v)
{
	v->action = V_CONTINUE;
	if (m->max_size >= 0 && m->bytes > m->max_size) {
		verdict_set(v, "552", "5.3.4", MC_REFUSE_SIZE,
			    "Message size %lld exceeds the limit of %lld bytes", m->bytes, m->max_size);
		return;
	}
	/* no From: at all: readers show the envelope sender, checked at MAIL FROM */
	if (m->from_count > 0 || m->mbox_from != NULL) {
		check_from(conf, m, v);
		if (v->action != V_CONTINUE)
			return;
	}
	if (m->login_hosted)
		check_rates(conf, m, v);
}
