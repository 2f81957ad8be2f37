/* sender.c - may this login use these addresses?  One read-only script call
 * (lib/hb-scripts-sender.c) answers for every address at once, together with
 * the live state of the login's domain and mailbox, so a suspension takes
 * effect on the next message, not after a cache expires. */
#include "checks.h"
#include "milter.h"
#include "redis-pool.h"
#include "hb-mailhdr.h"
#include "hb-scripts-sender.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* every From: address plus the envelope sender */
#define SENDER_ADDRS_MAX (HB_MAILHDR_MAX_ADDRS + 1)
#define SENDER_ARGS_MAX (4 + SENDER_ADDRS_MAX)

static struct pool_script script;
static pthread_once_t script_once = PTHREAD_ONCE_INIT;

static void script_setup(void)
{
	pool_script_init(&script, hb_script_sender_check, 1);
}

/* Refuse a login whose domain or mailbox is suspended or gone. */
static int login_usable(const struct milter_conf *conf, const struct msg_state *m,
			const char *domain_state, const char *login_state, struct verdict *v)
{
	char code[4], dsn[10];

	snprintf(code, sizeof(code), "%u", conf->set->milter_suspended_code);
	snprintf(dsn, sizeof(dsn), "%c.7.1", code[0]);
	if (strcmp(domain_state, "active") != 0 && domain_state[0] != '\0') {
		verdict_set(v, code, dsn, MC_REFUSE_SUSPENDED, "Domain %s is suspended",
			    m->login_domain);
		return -1;
	}
	if (domain_state[0] == '\0' || login_state[0] == '\0') {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_SENDER,
			    "Login %s is not a mailbox here", m->login);
		return -1;
	}
	if (strcmp(login_state, "active") != 0) {
		verdict_set(v, code, dsn, MC_REFUSE_SUSPENDED, "Mailbox %s is suspended", m->login);
		return -1;
	}
	return 0;
}

int sender_rights(const struct milter_conf *conf, const struct msg_state *m,
		  const char *const *addrs, unsigned int n, int *rights, struct verdict *v)
{
	const char *argv[SENDER_ARGS_MAX];
	size_t lens[SENDER_ARGS_MAX];
	char err[256];
	redisReply *r;
	int argc = 0, ret = -1;

	if (n > SENDER_ADDRS_MAX) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID, "Too many sender addresses");
		return -1;
	}
	pthread_once(&script_once, script_setup);
	argv[argc++] = "0";
	argv[argc++] = conf->set->key_prefix;
	argv[argc++] = m->login_local;
	argv[argc++] = m->login_domain;
	for (unsigned int i = 0; i < n; i++)
		argv[argc++] = addrs[i];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	r = redis_pool_script(conf, &script, argc, argv, lens, err, sizeof(err));
	if (r == NULL) {
		verdict_redis_failed(conf, v, "sender rights", err);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 + n) {
		snprintf(err, sizeof(err), "unexpected reply%s%.200s",
			 r->type == REDIS_REPLY_ERROR ? ": " : "",
			 r->type == REDIS_REPLY_ERROR ? r->str : "");
		verdict_redis_failed(conf, v, "sender rights", err);
		goto out;
	}
	for (size_t i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			verdict_redis_failed(conf, v, "sender rights", "unexpected reply element");
			goto out;
		}
	}
	if (login_usable(conf, m, r->element[0]->str, r->element[1]->str, v) < 0)
		goto out;
	for (unsigned int i = 0; i < n; i++)
		rights[i] = strcmp(r->element[2 + i]->str, "no") != 0;
	ret = 0;
out:
	freeReplyObject(r);
	return ret;
}
