/* sender.c - may this login use these addresses?  One read-only script call
 * (lib/hb-scripts-sender.c) answers for every address at once, together with
 * the state of the login's domain and mailbox.  The answer for one address
 * (the envelope sender) is reused for milter_cache_ttl, like policy values:
 * a grant, revocation or suspension reaches every node within that time. */
#include "checks.h"
#include "milter.h"
#include "redis-pool.h"
#include "ttl-cache.h"
#include "hb-mailhdr.h"
#include "hb-scripts-sender.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* every From: address plus the envelope sender */
#define SENDER_ADDRS_MAX (HB_MAILHDR_MAX_ADDRS + 1)
#define SENDER_ARGS_MAX (4 + SENDER_ADDRS_MAX)

struct rights_entry {
	char domain_state[16], login_state[16];
	int right;
};

static struct ttl_cache rights_cache = TTL_CACHE_INIT(struct rights_entry, 50000);
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

/* Ask Redis: fills RIGHTS and E (the states, and RIGHTS[0] when N is 1).
 * Returns 0, or -1 with V set per milter_fail. */
static int rights_fetch(const struct milter_conf *conf, const struct msg_state *m,
			const char *const *addrs, unsigned int n, int *rights,
			struct rights_entry *e, struct verdict *v)
{
	const char *argv[SENDER_ARGS_MAX];
	size_t lens[SENDER_ARGS_MAX];
	char err[256];
	redisReply *r;
	int argc = 0, ret = -1;

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
	for (unsigned int i = 0; i < n; i++)
		rights[i] = strcmp(r->element[2 + i]->str, "no") != 0;
	snprintf(e->domain_state, sizeof(e->domain_state), "%s", r->element[0]->str);
	snprintf(e->login_state, sizeof(e->login_state), "%s", r->element[1]->str);
	e->right = n == 1 ? rights[0] : 1;
	ret = 0;
out:
	freeReplyObject(r);
	return ret;
}

int sender_rights(const struct milter_conf *conf, const struct msg_state *m,
		  const char *const *addrs, unsigned int n, int *rights, struct verdict *v)
{
	const unsigned int ttl = conf->set->milter_cache_ttl_ms;
	const int use_cache = n <= 1 && ttl > 0;
	struct rights_entry e;
	char key[2 * HB_ADDR_MAX + 2];
	long long age;

	if (n > SENDER_ADDRS_MAX) {
		verdict_set(v, "550", "5.7.1", MC_REFUSE_INVALID, "Too many sender addresses");
		return -1;
	}
	if (use_cache)
		snprintf(key, sizeof(key), "%s\n%s", m->login, n == 1 ? addrs[0] : "");
	if (use_cache && ttl_cache_get(&rights_cache, key, &e, &age) == 0 && age < (long long)ttl) {
		if (n == 1)
			rights[0] = e.right;
	} else {
		if (rights_fetch(conf, m, addrs, n, rights, &e, v) < 0)
			return -1;
		if (use_cache)
			ttl_cache_put(&rights_cache, key, &e);
	}
	return login_usable(conf, m, e.domain_state, e.login_state, v);
}

void sender_rights_cache_clear(void)
{
	ttl_cache_clear(&rights_cache);
}
