/* xrename.h - renames between two directories in hb-crashfs.  A rename is
 * atomic: when either directory is fsynced, the rename becomes durable in
 * both (the old name gone, the new name there), as on ext4, XFS and btrfs,
 * whose journals commit a rename in one transaction.  Everything else in
 * the other directory stays as volatile as it was. */
#ifndef CFS_XRENAME_H
#define CFS_XRENAME_H

#include <stddef.h>
#include <stdint.h>

struct cfs_tree;
struct cfs_inode;

struct cfs_xrename {
	uint64_t sdir, ddir, inode;	/* inode numbers: never reused */
	char *sname, *dname;
};

/* renames not yet durable, oldest first */
struct cfs_xrenames {
	struct cfs_xrename *v;
	size_t count, cap;
};

/* records INODE's rename SDIR/SNAME -> DDIR/DNAME; -ENOMEM */
int cfs_xrename_add(struct cfs_xrenames *x, const struct cfs_inode *sdir,
		    const char *sname, const struct cfs_inode *ddir,
		    const char *dname, const struct cfs_inode *inode);
/* forgets the one added last (its rename failed after all) */
void cfs_xrename_drop_last(struct cfs_xrenames *x);
/* DIR was fsynced: makes each pending rename into or out of it durable in
 * the other directory too, and forgets it; -ENOMEM */
int cfs_xrename_dir_synced(struct cfs_xrenames *x, struct cfs_tree *t,
			   const struct cfs_inode *dir);
/* forgets them all (a crash, or everything became durable) */
void cfs_xrename_clear(struct cfs_xrenames *x);

#endif
