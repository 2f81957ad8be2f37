/* backend-users.c - `hbctl backend users NAME`: exactly which users are
 * assigned to a backend, i.e. members of users:NAME whose user:USER key still
 * names NAME ("which mailboxes are affected?").  Read-only; scans in batches
 * so that Redis is never blocked by one huge command. */
#include "backend-cmds.h"
#include "hb-user.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HBCTL_SCAN_COUNT "1000"
#define HBCTL_MAX_LISTED_USERS 10000000

struct user_entry {
	char *user;
	long long last_lookup;
};

struct user_list {
	struct user_entry *items;
	size_t count, alloc;
};

static int list_add(struct user_list *list, const char *user, long long last)
{
	if (list->count >= HBCTL_MAX_LISTED_USERS)
		return -1;
	if (list->count == list->alloc) {
		size_t alloc = list->alloc == 0 ? 256 : list->alloc * 2;
		struct user_entry *items = realloc(list->items, alloc * sizeof(*items));
		if (items == NULL)
			return -1;
		list->items = items;
		list->alloc = alloc;
	}
	if ((list->items[list->count].user = strdup(user)) == NULL)
		return -1;
	list->items[list->count++].last_lookup = last;
	return 0;
}

static void list_free(struct user_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].user);
	free(list->items);
}

/* Keep the members of one ZSCAN page (user, score pairs) whose user: key
 * names NAME. */
static int check_page(struct hbctl *ctx, const char *name, redisReply *page,
		      struct user_list *list)
{
	size_t n = page->elements / 2;
	const char **argv = calloc(n + 1, sizeof(*argv));
	char (*keys)[HB_KEY_MAX] = calloc(n + 1, HB_KEY_MAX);
	redisReply *reply = NULL;
	int ret = HBCTL_EXIT_OK;

	if (argv == NULL || keys == NULL) {
		free(argv);
		free(keys);
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	}
	argv[0] = "MGET";
	for (size_t i = 0; i < n; i++)
		argv[1 + i] = hbctl_key(ctx, keys[i], HB_KEY_MAX, HB_KEY_USER,
					page->element[2 * i]->str);
	if (n > 0 && (ret = hbctl_cmd(ctx, &reply, (int)n + 1, argv)) == HBCTL_EXIT_OK) {
		for (size_t i = 0; i < n && i < reply->elements && ret == HBCTL_EXIT_OK; i++) {
			redisReply *v = reply->element[i];
			if (v->type != REDIS_REPLY_STRING || strcmp(v->str, name) != 0)
				continue;
			if (list_add(list, page->element[2 * i]->str,
				     atoll(page->element[2 * i + 1]->str)) < 0)
				ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "too many users or out of memory");
		}
	}
	if (reply != NULL)
		freeReplyObject(reply);
	free(argv);
	free(keys);
	return ret;
}

/* hb_redis_cmd allows 64 arguments, so pages are checked 60 users at a time. */
#define HBCTL_MGET_BATCH 60

static int check_page_batched(struct hbctl *ctx, const char *name, redisReply *page,
			      struct user_list *list)
{
	int ret = HBCTL_EXIT_OK;

	for (size_t off = 0; off < page->elements && ret == HBCTL_EXIT_OK;
	     off += 2 * HBCTL_MGET_BATCH) {
		size_t len = page->elements - off;
		if (len > 2 * HBCTL_MGET_BATCH)
			len = 2 * HBCTL_MGET_BATCH;
		redisReply sub = { .type = REDIS_REPLY_ARRAY, .elements = len & ~(size_t)1,
				   .element = page->element + off };
		ret = check_page(ctx, name, &sub, list);
	}
	return ret;
}

static int scan_users(struct hbctl *ctx, const char *name, struct user_list *list)
{
	char key[HB_KEY_MAX], cursor[32] = "0";
	int ret;

	hbctl_key(ctx, key, sizeof(key), HB_KEY_BACKEND_USERS, name);
	do {
		const char *argv[] = { "ZSCAN", key, cursor, "COUNT", HBCTL_SCAN_COUNT };
		redisReply *reply;
		if ((ret = hbctl_cmd(ctx, &reply, 5, argv)) != HBCTL_EXIT_OK)
			return ret;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "unexpected ZSCAN reply");
		}
		snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
		ret = check_page_batched(ctx, name, reply->element[1], list);
		freeReplyObject(reply);
	} while (ret == HBCTL_EXIT_OK && strcmp(cursor, "0") != 0);
	return ret;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct user_entry *)a)->user, ((const struct user_entry *)b)->user);
}

static void print_users(struct hbctl *ctx, const char *name, const struct user_list *list)
{
	long long now = (long long)time(NULL);
	char age[32], user[HB_USER_MAX + 1];

	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "backend", name);
		hbctl_json_int(&ctx->js, "count", (long long)list->count);
		hbctl_json_arr_begin(&ctx->js, "users");
		for (size_t i = 0; i < list->count; i++) {
			hbctl_json_obj_begin(&ctx->js, NULL);
			hbctl_json_str(&ctx->js, "user", list->items[i].user);
			hbctl_json_int(&ctx->js, "last_lookup", list->items[i].last_lookup);
			hbctl_json_obj_end(&ctx->js);
		}
		hbctl_json_arr_end(&ctx->js);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
		return;
	}
	for (size_t i = 0; i < list->count; i++)
		printf("%-40s last lookup %s ago\n",
		       hbctl_printable(list->items[i].user, user, sizeof(user)),
		       hbctl_format_duration(now - list->items[i].last_lookup, age, sizeof(age)));
	printf("%zu users assigned to %s\n", list->count, name);
}

int hbctl_backend_users(struct hbctl *ctx)
{
	const struct hbctl_args *a = ctx->args;
	struct user_list list = { 0 };
	struct hb_backend b;
	int ret;

	if (a->word_count != 3)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: backend users NAME");
	if ((ret = hbctl_backend_name_arg(ctx, a->words[2])) != HBCTL_EXIT_OK ||
	    (ret = hbctl_backend_load(ctx, a->words[2], &b)) != HBCTL_EXIT_OK)
		return ret;
	ret = scan_users(ctx, b.name, &list);
	if (ret == HBCTL_EXIT_OK) {
		/* no users: items is NULL, which qsort must not be given */
		if (list.count > 1)
			qsort(list.items, list.count, sizeof(*list.items), entry_cmp);
		print_users(ctx, b.name, &list);
	}
	list_free(&list);
	return ret;
}
