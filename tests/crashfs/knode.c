/* knode.c - the node ids hb-crashfs gives the kernel (FUSE low-level API).
 * A node id points at a struct cfs_knode, which points at the inode until a
 * crash (or the inode's end) detaches it; the kernel then gets EIO (ESTALE)
 * for it, just as a process from before the reboot would.  Freed only when
 * the kernel forgets it, or at unmount. */
#include <stdlib.h>

#include "tree.h"

struct cfs_knode *cfs_knode_get(struct cfs_tree *t, struct cfs_inode *inode)
{
	struct cfs_knode *k = inode->knode;

	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return NULL;
		k->inode = inode;
		inode->knode = k;
		k->next = t->knodes;
		if (t->knodes != NULL)
			t->knodes->prev = k;
		t->knodes = k;
	}
	k->nlookup++;
	return k;
}

static void knode_free(struct cfs_tree *t, struct cfs_knode *k)
{
	if (k->inode != NULL) {
		/* unlinked, closed and no longer known to the kernel: garbage
		 * unless a durable entry still names it */
		if (k->inode->links == 0 && k->inode->opencount == 0)
			t->gc_pending = 1;
		k->inode->knode = NULL;
	}
	/* the head told by identity, not by a NULL prev: the same for a
	 * consistent list, and t->knodes provably never keeps a freed node */
	if (t->knodes == k)
		t->knodes = k->next;
	else
		k->prev->next = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	free(k);
}

void cfs_knode_forget(struct cfs_tree *t, struct cfs_knode *k, uint64_t n)
{
	k->nlookup = n >= k->nlookup ? 0 : k->nlookup - n;
	if (k->nlookup == 0)
		knode_free(t, k);
}

void cfs_knode_detach(struct cfs_inode *inode, int error)
{
	if (inode->knode == NULL)
		return;
	inode->knode->inode = NULL;
	inode->knode->error = error;
	inode->knode = NULL;
}

void cfs_knodes_detach(struct cfs_tree *t, int error)
{
	struct cfs_knode *k;

	for (k = t->knodes; k != NULL; k = k->next) {
		if (k->inode != NULL)
			cfs_knode_detach(k->inode, error);
	}
}

void cfs_knodes_free(struct cfs_tree *t)
{
	while (t->knodes != NULL) {
		struct cfs_knode *k = t->knodes;

		k->inode = NULL;
		knode_free(t, k);
	}
}
