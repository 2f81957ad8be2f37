/* gc.c - open handles and garbage collection of hb-crashfs inodes.  An inode
 * lives while a volatile or durable entry reachable from the root names it,
 * while a live handle holds it (an unlinked file still open) or while the
 * kernel holds its node id. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"

struct cfs_handle *cfs_handle_new(struct cfs_tree *t, struct cfs_inode *inode)
{
	struct cfs_handle *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->inode = inode;
	inode->opencount++;
	h->next = t->handles;
	if (t->handles != NULL)
		t->handles->prev = h;
	t->handles = h;
	return h;
}

static void handle_list_free(struct cfs_handle *h)
{
	size_t i;

	for (i = 0; i < h->count; i++)
		free(h->list[i].name);
	free(h->list);
	h->list = NULL;
	h->count = 0;
}

int cfs_handle_list(struct cfs_handle *h)
{
	const struct cfs_entries *e = &h->inode->entries;
	size_t i;

	handle_list_free(h);
	if (e->count == 0)
		return 0;
	if ((h->list = calloc(e->count, sizeof(h->list[0]))) == NULL)
		return -ENOMEM;
	for (i = 0; i < e->count; i++) {
		h->list[i].ino = e->v[i].inode->ino;
		h->list[i].type = e->v[i].inode->meta.mode & S_IFMT;
		if ((h->list[i].name = strdup(e->v[i].name)) == NULL) {
			h->count = i;
			handle_list_free(h);
			return -ENOMEM;
		}
	}
	h->count = e->count;
	return 0;
}

void cfs_handle_free(struct cfs_tree *t, struct cfs_handle **_h)
{
	struct cfs_handle *h = *_h;

	*_h = NULL;
	if (h->inode != NULL && --h->inode->opencount == 0 && h->inode->links == 0)
		t->gc_pending = 1;
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		t->handles = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	handle_list_free(h);
	free(h);
}

void cfs_handles_detach(struct cfs_tree *t)
{
	struct cfs_handle *h;

	for (h = t->handles; h != NULL; h = h->next) {
		if (h->inode != NULL)
			h->inode->opencount--;
		h->inode = NULL;
	}
}

/* marks INODE and puts a directory on the work list */
static void gc_visit(struct cfs_inode *inode, struct cfs_inode **work)
{
	if (inode->mark)
		return;
	inode->mark = 1;
	if (S_ISDIR(inode->meta.mode)) {
		inode->work = *work;
		*work = inode;
	}
}

static void gc_visit_entries(const struct cfs_entries *e, struct cfs_inode **work)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		gc_visit(e->v[i].inode, work);
}

void cfs_tree_gc(struct cfs_tree *t)
{
	struct cfs_inode *inode, *work = NULL;

	for (inode = t->inodes; inode != NULL; inode = inode->next)
		inode->mark = 0;
	gc_visit(t->root, &work);
	for (inode = t->inodes; inode != NULL; inode = inode->next) {
		if (inode->opencount > 0 || inode->knode != NULL)
			gc_visit(inode, &work);
	}
	while ((inode = work) != NULL) {
		work = inode->work;
		gc_visit_entries(&inode->entries, &work);
		gc_visit_entries(&inode->dentries, &work);
	}
	cfs_tree_sweep(t);
	t->gc_pending = 0;
}

static void inode_free(struct cfs_tree *t, struct cfs_inode *inode)
{
	if (inode->prev != NULL)
		inode->prev->next = inode->next;
	else
		t->inodes = inode->next;
	if (inode->next != NULL)
		inode->next->prev = inode->prev;
	cfs_knode_detach(inode, ESTALE);
	free(inode->name);
	cfs_data_free(t, &inode->data);
	cfs_data_free(t, &inode->ddata);
	cfs_entries_clear(&inode->entries);
	cfs_entries_clear(&inode->dentries);
	t->ninodes--;
	free(inode);
}

void cfs_tree_sweep(struct cfs_tree *t)
{
	struct cfs_inode *inode = t->inodes, *next;

	for (; inode != NULL; inode = next) {
		next = inode->next;
		if (!inode->mark)
			inode_free(t, inode);
	}
}
