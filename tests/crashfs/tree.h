/* tree.h - the in-memory inodes of hb-crashfs: each with a volatile state
 * (what processes see) and a durable state (what survives power loss), link
 * counting, open handles, the kernel's node ids and garbage collection.
 * Nothing here decides what becomes durable: that is power.c. */
#ifndef CFS_TREE_H
#define CFS_TREE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "entries.h"

#define CFS_BLOCK_SIZE 4096
#define CFS_MAX_FILE_SIZE ((uint64_t)1 << 30)	/* one file, EFBIG beyond */
#define CFS_MAX_BYTES ((uint64_t)2 << 30)	/* all data held, ENOSPC beyond */
#define CFS_MAX_INODES 1000000			/* ENOSPC beyond */

struct cfs_data {
	unsigned char *buf;
	size_t size, cap;
};

struct cfs_meta {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
};

struct cfs_inode {
	uint64_t ino;			/* never reused */
	struct cfs_meta meta, dmeta;	/* volatile, durable */
	struct cfs_data data, ddata;	/* regular files and symlinks */
	struct cfs_entries entries, dentries;	/* directories */
	unsigned int links;		/* volatile entries naming this inode */
	unsigned int subdirs;		/* directories: volatile subdirectories */
	unsigned int opencount;		/* live (non-stale) handles */
	int dirty;			/* data changed since the last fsync */
	int mark;			/* garbage collection / crash walk */
	char *name;			/* the name it was last given, for arm */
	struct cfs_knode *knode;	/* its current kernel node id, if any */
	struct cfs_inode *work;		/* intrusive work list of a walk */
	struct cfs_inode *prev, *next;	/* every inode of the tree */
};

/* what the kernel knows an inode by (its FUSE node id points here).  A
 * crash detaches them all: the kernel's inodes from before it go stale, and
 * fresh lookups get new node ids (st_ino stays the inode's own number). */
struct cfs_knode {
	struct cfs_inode *inode;	/* NULL when detached */
	uint64_t nlookup;		/* the kernel's reference count */
	int error;			/* errno of a detached node: EIO, ESTALE */
	struct cfs_knode *prev, *next;
};

/* one entry of a directory listing taken at opendir / rewinddir */
struct cfs_dirent {
	char *name;
	uint64_t ino;
	mode_t type;
};

/* an open file or directory; fi->fh of FUSE points at one */
struct cfs_handle {
	struct cfs_inode *inode;	/* NULL once a crash made it stale */
	struct cfs_dirent *list;	/* directories: the listing being read */
	size_t count;
	struct cfs_handle *prev, *next;
};

struct cfs_tree {
	struct cfs_inode *root;
	struct cfs_inode *inodes;
	struct cfs_handle *handles;
	struct cfs_knode *knodes;
	uint64_t next_ino;
	size_t ninodes;
	uint64_t bytes;			/* volatile + durable data held */
	int gc_pending;			/* something may have become unreachable */
};

/* creates the root directory (mode 0755, owned by UID:GID); -1 on ENOMEM */
int cfs_tree_init(struct cfs_tree *t, uid_t uid, gid_t gid);
/* frees every inode and handle */
void cfs_tree_deinit(struct cfs_tree *t);

void cfs_now(struct timespec *ts);
/* allocates an inode, volatile and durable state alike; NULL when full */
struct cfs_inode *cfs_inode_new(struct cfs_tree *t, mode_t mode, uid_t uid, gid_t gid);
unsigned int cfs_inode_nlink(const struct cfs_tree *t, const struct cfs_inode *inode);

/* a directory's volatile entry NAME; -ENOENT, -ENOTDIR, -ENAMETOOLONG */
int cfs_lookup(struct cfs_inode *dir, const char *name, struct cfs_inode **inode_r);
/* may NAME become a new entry of DIR?  -EEXIST, -ENOTDIR, -ENAMETOOLONG */
int cfs_check_new(struct cfs_inode *dir, const char *name);

/* volatile entry changes with link counts and times; -ENOMEM */
int cfs_link_add(struct cfs_tree *t, struct cfs_inode *dir, const char *name,
		 struct cfs_inode *inode);
/* NAME (present) now names INODE; the inode it named loses a link */
void cfs_link_replace(struct cfs_tree *t, struct cfs_inode *dir, const char *name,
		      struct cfs_inode *inode);
void cfs_link_remove(struct cfs_tree *t, struct cfs_inode *dir, const char *name);

/* data buffers, accounted in t->bytes; -EFBIG, -ENOSPC, -ENOMEM */
int cfs_data_resize(struct cfs_tree *t, struct cfs_data *d, uint64_t size);
int cfs_data_copy(struct cfs_tree *t, struct cfs_data *dst, const struct cfs_data *src);
/* DST takes SRC's buffer; SRC is left empty */
void cfs_data_move(struct cfs_tree *t, struct cfs_data *dst, struct cfs_data *src);
void cfs_data_free(struct cfs_tree *t, struct cfs_data *d);

/* allocates a handle on INODE; NULL on ENOMEM */
struct cfs_handle *cfs_handle_new(struct cfs_tree *t, struct cfs_inode *inode);
void cfs_handle_free(struct cfs_tree *t, struct cfs_handle **h);
/* H's listing := the directory's volatile entries now; -ENOMEM */
int cfs_handle_list(struct cfs_handle *h);
/* makes every handle stale (a crash): they keep no inode alive */
void cfs_handles_detach(struct cfs_tree *t);

/* knode.c: INODE's node id for the kernel, one more lookup on it; NULL on ENOMEM */
struct cfs_knode *cfs_knode_get(struct cfs_tree *t, struct cfs_inode *inode);
/* the kernel dropped N lookups of K; frees K at zero */
void cfs_knode_forget(struct cfs_tree *t, struct cfs_knode *k, uint64_t n);
/* detaches every knode (a crash: ERROR = EIO) */
void cfs_knodes_detach(struct cfs_tree *t, int error);
/* detaches INODE's knode (the inode is being freed) */
void cfs_knode_detach(struct cfs_inode *inode, int error);
void cfs_knodes_free(struct cfs_tree *t);

/* frees the inodes reachable neither from the root (volatile or durable
 * entries) nor from an open handle or a node id the kernel holds */
void cfs_tree_gc(struct cfs_tree *t);
/* frees every inode whose mark is clear (the caller marked the live ones) */
void cfs_tree_sweep(struct cfs_tree *t);

#endif
