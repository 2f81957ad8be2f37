/* census-who.c - user names from a doveadm "who" reply.  Dovecot 2.3.19
 * closes the result array after the first entry when several users are
 * listed and puts the others after it, so every object in the response
 * element (inside the payload array or after it) is an entry. */
#include "census-who.h"
#include "hb-json.h"
#include "hb-user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_NOUSER 68	/* doveadm's exit code when no user matched */

/* Sessions one entry stands for: "connections" (a string in 2.3), or 1. */
static unsigned int entry_sessions(const struct hb_jdoc *doc, const struct hb_jnode *obj)
{
	const struct hb_jnode *c = hb_json_get(doc, obj, "connections");

	if (c != NULL && c->type == HB_JNUMBER && c->number >= 1 && c->number < 1e6)
		return (unsigned int)c->number;
	if (c != NULL && c->type == HB_JSTRING && c->str[0] != '\0' && strlen(c->str) < 7 &&
	    strspn(c->str, "0123456789") == strlen(c->str) && atoi(c->str) > 0)
		return (unsigned int)atoi(c->str);
	return 1;
}

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

	who->sessions += entry_sessions(doc, obj);
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

static int collect(struct census_who *who, const struct hb_jdoc *doc,
		   const struct hb_jnode *payload, const char *delim)
{
	size_t alloc = 0;

	for (const struct hb_jnode *n = payload; n != NULL; n = hb_json_next(doc, n)) {
		const struct hb_jnode *item = n->type == HB_JARRAY ? hb_json_first(doc, n) : n;
		for (; item != NULL; item = n->type == HB_JARRAY ? hb_json_next(doc, item) : NULL) {
			if (item->type == HB_JOBJECT && add_entry(who, doc, item, delim, &alloc) < 0)
				return -1;
		}
	}
	sort_unique(who);
	return 0;
}

static int interpret(struct census_who *who, const struct hb_jdoc *doc, const char *delim,
		     char *err, size_t err_size)
{
	const struct hb_jnode *root = hb_json_root(doc);
	const struct hb_jnode *elem = hb_json_first(doc, root);
	const struct hb_jnode *kind = hb_json_first(doc, elem);
	const struct hb_jnode *payload = hb_json_next(doc, kind);

	if (root->type != HB_JARRAY || elem == NULL || elem->type != HB_JARRAY ||
	    kind == NULL || kind->type != HB_JSTRING || payload == NULL) {
		snprintf(err, err_size, "doveadm who reply has an unexpected shape");
		return -1;
	}
	if (strcmp(kind->str, "error") == 0) {
		const struct hb_jnode *code = hb_json_get(doc, payload, "exitCode");
		if (code != NULL && code->type == HB_JNUMBER && code->number == EX_NOUSER)
			return 0;
		snprintf(err, err_size, "doveadm who failed");
		return -1;
	}
	if (strcmp(kind->str, "doveadmResponse") != 0) {
		snprintf(err, err_size, "doveadm who reply of unknown kind");
		return -1;
	}
	if (collect(who, doc, payload, delim) < 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
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
