/* tree.c - inodes, name lookup and volatile links of hb-crashfs.
 * Only volatile state changes here; durable state is set once when an inode
 * is born (an empty file, the directory's mode) and afterwards by power.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"

void cfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

struct cfs_inode *cfs_inode_new(struct cfs_tree *t, mode_t mode, uid_t uid, gid_t gid)
{
	struct cfs_inode *inode;

	if (t->ninodes >= CFS_MAX_INODES)
		return NULL;
	if ((inode = calloc(1, sizeof(*inode))) == NULL)
		return NULL;
	inode->ino = t->next_ino++;
	inode->meta.mode = mode;
	inode->meta.uid = uid;
	inode->meta.gid = gid;
	cfs_now(&inode->meta.mtime);
	inode->meta.atime = inode->meta.ctime = inode->meta.mtime;
	inode->dmeta = inode->meta;
	inode->next = t->inodes;
	if (t->inodes != NULL)
		t->inodes->prev = inode;
	t->inodes = inode;
	t->ninodes++;
	return inode;
}

int cfs_tree_init(struct cfs_tree *t, uid_t uid, gid_t gid)
{
	memset(t, 0, sizeof(*t));
	t->next_ino = 1;	/* the root is inode 1 */
	t->root = cfs_inode_new(t, S_IFDIR | 0755, uid, gid);
	return t->root == NULL ? -1 : 0;
}

void cfs_tree_deinit(struct cfs_tree *t)
{
	struct cfs_inode *inode;

	while (t->handles != NULL) {
		struct cfs_handle *h = t->handles;

		cfs_handle_free(t, &h);
	}
	for (inode = t->inodes; inode != NULL; inode = inode->next)
		inode->mark = 0;
	cfs_tree_sweep(t);
	cfs_knodes_free(t);
	t->root = NULL;
}

unsigned int cfs_inode_nlink(const struct cfs_tree *t, const struct cfs_inode *inode)
{
	if (!S_ISDIR(inode->meta.mode))
		return inode->links;
	/* its own entry (the root has none), "." and each subdirectory's ".." */
	return (inode == t->root ? 1 : inode->links) + 1 + inode->subdirs;
}

int cfs_lookup(struct cfs_inode *dir, const char *name, struct cfs_inode **inode_r)
{
	if (!S_ISDIR(dir->meta.mode))
		return -ENOTDIR;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	if ((*inode_r = cfs_entries_find(&dir->entries, name)) == NULL)
		return -ENOENT;
	return 0;
}

int cfs_check_new(struct cfs_inode *dir, const char *name)
{
	struct cfs_inode *inode;
	int ret = cfs_lookup(dir, name, &inode);

	if (ret == 0)
		return -EEXIST;
	return ret == -ENOENT ? 0 : ret;
}

/* INODE is now known as NAME (for arm matching; on ENOMEM the old name stays) */
static void set_name(struct cfs_inode *inode, const char *name)
{
	char *copy = strdup(name);

	if (copy != NULL) {
		free(inode->name);
		inode->name = copy;
	}
}

/* an entry of DIR changed: its times, and the named inode's ctime */
static void link_touch(struct cfs_inode *dir, struct cfs_inode *inode)
{
	cfs_now(&dir->meta.mtime);
	dir->meta.ctime = dir->meta.mtime;
	if (inode != NULL)
		inode->meta.ctime = dir->meta.mtime;
}

static void link_count(struct cfs_tree *t, struct cfs_inode *dir, struct cfs_inode *inode,
		       int delta)
{
	inode->links += delta;
	if (S_ISDIR(inode->meta.mode))
		dir->subdirs += delta;
	if (inode->links == 0)
		t->gc_pending = 1;
}

int cfs_link_add(struct cfs_tree *t, struct cfs_inode *dir, const char *name,
		 struct cfs_inode *inode)
{
	if (cfs_entries_add(&dir->entries, name, inode) < 0)
		return -ENOMEM;
	link_count(t, dir, inode, 1);
	link_touch(dir, inode);
	set_name(inode, name);
	return 0;
}

void cfs_link_replace(struct cfs_tree *t, struct cfs_inode *dir, const char *name,
		      struct cfs_inode *inode)
{
	struct cfs_inode *old = cfs_entries_replace(&dir->entries, name, inode);

	if (old == NULL)
		return;
	link_count(t, dir, old, -1);
	link_count(t, dir, inode, 1);
	link_touch(dir, inode);
	set_name(inode, name);
	old->meta.ctime = dir->meta.ctime;
}

void cfs_link_remove(struct cfs_tree *t, struct cfs_inode *dir, const char *name)
{
	struct cfs_inode *old = cfs_entries_remove(&dir->entries, name);

	if (old == NULL)
		return;
	link_count(t, dir, old, -1);
	link_touch(dir, old);
}
