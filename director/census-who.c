/* census-who.c - user names from a doveadm "who" reply (reply walking, incl.
 * Dovecot 2.3.19's broken nesting, is in lib/hb-doveadm-reply.c). */
#include "census-who.h"
#include "hb-doveadm-reply.h"
#include "hb-user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int add_user(struct census_who *who, const char *name, size_t *alloc)
{
	if (who->count == *alloc) {
		size_t n = *alloc == 0 ? 64 : *alloc * 2;
		char **users = realloc(who->users, n * sizeof(*users));
		if (users == NULL)
			return -1;
		who->users = users;
		*alloc = n;
	}
	if ((who->users[who->count] = strdup(name)) == NULL)
		return -1;
	who->count++;
	return 0;
}

static int add_entry(struct census_who *who, const struct hb_jdoc *doc,
		     const struct hb_jnode *obj, const char *delim, size_t *alloc)
{
	const struct hb_jnode *u = hb_json_get(doc, obj, "username");
	char user[HB_USER_MAX + 1];
	const char *why;

	who->sessions += hb_doveadm_who_sessions(doc, obj);
	if (u == NULL || u->type != HB_JSTRING || hb_user_normalize(u->str, delim, user, &why) < 0) {
		who->invalid++;
		return 0;
	}
	if (who->count >= CENSUS_WHO_MAX_USERS)
		return 0;
	return add_user(who, user, alloc);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(struct census_who *who)
{
	size_t w = 0;

	if (who->count == 0)
		return;
	qsort(who->users, who->count, sizeof(*who->users), cmp_str);
	for (size_t r = 1; r < who->count; r++) {
		if (strcmp(who->users[r], who->users[w]) == 0)
			free(who->users[r]);
		else
			who->users[++w] = who->users[r];
	}
	who->count = w + 1;
}

struct collect_ctx {
	struct census_who *who;
	const char *delim;
	size_t alloc;
};

static int collect_one(const struct hb_jdoc *doc, const struct hb_jnode *obj, void *context)
{
	struct collect_ctx *ctx = context;

	return add_entry(ctx->who, doc, obj, ctx->delim, &ctx->alloc);
}

static int interpret(struct census_who *who, const struct hb_jdoc *doc, const char *delim,
		     char *err, size_t err_size)
{
	struct collect_ctx ctx = { who, delim, 0 };
	enum hb_doveadm_kind kind;
	const struct hb_jnode *payload;
	const char *error;

	if (hb_doveadm_reply_split(doc, &kind, &payload, &error) < 0) {
		snprintf(err, err_size, "%s", error);
		return -1;
	}
	if (kind == HB_DOVEADM_ERROR) {
		const struct hb_jnode *code = hb_json_get(doc, payload, "exitCode");
		if (code != NULL && code->type == HB_JNUMBER && code->number == HB_DOVEADM_EX_NOUSER)
			return 0;
		snprintf(err, err_size, "doveadm who failed");
		return -1;
	}
	if (hb_doveadm_each_result(doc, payload, collect_one, &ctx) < 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	sort_unique(who);
	return 0;
}

int census_who_parse(const char *body, size_t len, const char *delim,
		     struct census_who *who, char *err, size_t err_size)
{
	struct hb_jdoc *doc;
	char jerr[128];
	int ret;

	memset(who, 0, sizeof(*who));
	if (hb_json_parse(body, len, &doc, jerr, sizeof(jerr)) < 0) {
		snprintf(err, err_size, "doveadm who reply: %s", jerr);
		return -1;
	}
	ret = interpret(who, doc, delim, err, err_size);
	hb_json_free(&doc);
	if (ret < 0)
		census_who_free(who);
	return ret;
}

void census_who_free(struct census_who *who)
{
	for (size_t i = 0; i < who->count; i++)
		free(who->users[i]);
	free(who->users);
	memset(who, 0, sizeof(*who));
}
