/* entries.h - the name -> inode table of one directory (hb-crashfs).
 * A directory has two: the volatile table processes see and the durable one
 * that survives power loss.  The table owns its names, never its inodes. */
#ifndef CFS_ENTRIES_H
#define CFS_ENTRIES_H

#include <stddef.h>

struct cfs_inode;

struct cfs_entry {
	char *name;
	struct cfs_inode *inode;
};

/* sorted by name: binary search, and readdir order is stable */
struct cfs_entries {
	struct cfs_entry *v;
	size_t count, cap;
};

struct cfs_inode *cfs_entries_find(const struct cfs_entries *t, const char *name);
/* adds NAME (copied); -1 when out of memory.  NAME must not be present. */
int cfs_entries_add(struct cfs_entries *t, const char *name, struct cfs_inode *inode);
/* points existing NAME at INODE and returns the old inode, NULL when absent */
struct cfs_inode *cfs_entries_replace(struct cfs_entries *t, const char *name,
				      struct cfs_inode *inode);
/* removes NAME and returns its inode, NULL when absent */
struct cfs_inode *cfs_entries_remove(struct cfs_entries *t, const char *name);
/* DST := copy of SRC; -1 (DST unchanged) when out of memory */
int cfs_entries_copy(struct cfs_entries *dst, const struct cfs_entries *src);
/* frees every name and the array; T is empty afterwards */
void cfs_entries_clear(struct cfs_entries *t);

#endif
