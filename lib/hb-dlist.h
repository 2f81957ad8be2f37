/* hb-dlist.h - intrusive doubly-linked lists: any struct with `prev` and
 * `next` pointers, headed by a plain pointer.  O(1) prepend and remove. */
#ifndef HB_DLIST_H
#define HB_DLIST_H

#include <stddef.h>

#define HB_DLIST_PREPEND(head, item) do { \
	(item)->prev = NULL; \
	(item)->next = (head); \
	if ((head) != NULL) \
		(head)->prev = (item); \
	(head) = (item); \
} while (0)

/* The head is told by identity, not by a NULL prev: the same for a
 * consistent list, and what lets clang's analyzer follow a loop that empties
 * a list by removing its head. */
#define HB_DLIST_REMOVE(head, item) do { \
	if ((head) == (item)) \
		(head) = (item)->next; \
	else \
		(item)->prev->next = (item)->next; \
	if ((item)->next != NULL) \
		(item)->next->prev = (item)->prev; \
	(item)->prev = (item)->next = NULL; \
} while (0)

#endif
