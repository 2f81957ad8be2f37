/* hb-domain-list.c - see hb-domain-list.h.  The names are kept sorted so a
 * lookup on every socketmap request costs a binary search, not a scan. */
#include "hb-domain-list.h"
#include "hb-addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_SEPARATORS ", \t\r\n"

struct hb_domain_list {
	char **names;
	size_t count;
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Normalise one item (LEN octets at ITEM) and append it. */
static int list_add(struct hb_domain_list *list, size_t cap, const char *item,
		    size_t len, char *err, size_t err_size)
{
	char raw[HB_DOMAIN_INPUT_MAX + 1], alabel[HB_DOMAIN_MAX + 1];
	const char *error = "name too long";
	int ok = len <= HB_DOMAIN_INPUT_MAX;

	if (ok) {
		memcpy(raw, item, len);
		raw[len] = '\0';
		ok = hb_domain_normalize(raw, alabel, sizeof(alabel), &error) == 0;
	}
	if (!ok) {
		snprintf(err, err_size, "invalid domain '%.*s': %s",
			 (int)(len > 64 ? 64 : len), item, error);
		return -1;
	}
	if (list->count >= cap || (list->names[list->count] = strdup(alabel)) == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	list->count++;
	return 0;
}

/* Sort and drop repeated names (a name given twice, or as U- and A-label). */
static void list_sort_unique(struct hb_domain_list *list)
{
	size_t kept = 0;

	if (list->count == 0)
		return;
	qsort(list->names, list->count, sizeof(*list->names), compare_names);
	for (size_t i = 1; i < list->count; i++) {
		if (strcmp(list->names[i], list->names[kept]) == 0)
			free(list->names[i]);
		else
			list->names[++kept] = list->names[i];
	}
	list->count = kept + 1;
}

int hb_domain_list_parse(const char *text, struct hb_domain_list **list_r,
			 char *err, size_t err_size)
{
	struct hb_domain_list *list = calloc(1, sizeof(*list));
	/* every item is at least one octet followed by a separator */
	size_t cap = strlen(text) / 2 + 1, len;

	*list_r = NULL;
	if (list == NULL || (list->names = calloc(cap, sizeof(*list->names))) == NULL) {
		free(list);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	for (const char *p = text; *p != '\0'; p += len) {
		p += strspn(p, LIST_SEPARATORS);
		len = strcspn(p, LIST_SEPARATORS);
		if (len > 0 && list_add(list, cap, p, len, err, err_size) < 0) {
			hb_domain_list_free(&list);
			return -1;
		}
	}
	list_sort_unique(list);
	*list_r = list;
	return 0;
}

void hb_domain_list_free(struct hb_domain_list **_list)
{
	struct hb_domain_list *list = *_list;

	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->names[i]);
	free(list->names);
	free(list);
	*_list = NULL;
}

int hb_domain_list_contains(const struct hb_domain_list *list, const char *alabel)
{
	if (list == NULL || list->count == 0)
		return 0;
	return bsearch(&alabel, list->names, list->count, sizeof(*list->names),
		       compare_names) != NULL;
}

size_t hb_domain_list_count(const struct hb_domain_list *list)
{
	return list != NULL ? list->count : 0;
}
