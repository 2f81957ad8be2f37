/* hb-domain-list.h - a configured list of domain names (e.g. the director's
 * socketmap_domains): parsed once when the configuration is loaded, each
 * name normalised like every other domain (hb-addr.h: IDN to its lower-case
 * A-label), then matched exactly by binary search. */
#ifndef HB_DOMAIN_LIST_H
#define HB_DOMAIN_LIST_H

#include <stddef.h>

struct hb_domain_list;

/* Parse TEXT: domain names separated by commas and/or white space; empty
 * items are skipped, duplicates kept once.  An empty TEXT gives an empty
 * list.  Returns 0 with *LIST_R set (free with hb_domain_list_free()), or -1
 * with the reason and the offending name in ERR. */
int hb_domain_list_parse(const char *text, struct hb_domain_list **list_r,
			 char *err, size_t err_size);
void hb_domain_list_free(struct hb_domain_list **list);

/* 1 if ALABEL (a normalised A-label domain) is in LIST, else 0.  A NULL
 * LIST is empty. */
int hb_domain_list_contains(const struct hb_domain_list *list, const char *alabel);
size_t hb_domain_list_count(const struct hb_domain_list *list);

#endif
