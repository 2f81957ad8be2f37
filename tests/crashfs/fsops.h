/* fsops.h - the FUSE low-level operations of hb-crashfs and the helpers they
 * share.  Each operation takes the context lock, fails with EIO while frozen,
 * changes volatile state only (fsync/fsyncdir excepted), reports a completed
 * change to the crash trigger, then replies. */
#ifndef CFS_FSOPS_H
#define CFS_FSOPS_H

#define FUSE_USE_VERSION 31
#include <fuse_lowlevel.h>

#include "crashfs.h"

const struct fuse_lowlevel_ops *cfs_fsops(void);

/* locks; -EIO when frozen (the lock is held either way) */
int cfs_op_enter(fuse_req_t req, struct crashfs **fs_r);
/* collects garbage and unlocks */
void cfs_op_leave(struct crashfs *fs);
/* the inode behind the kernel's node id INO; -EIO/-ESTALE when detached */
int cfs_op_inode(struct crashfs *fs, fuse_ino_t ino, struct cfs_inode **inode_r);
/* the handle of FI; -EIO when a crash made it stale */
int cfs_op_handle(struct fuse_file_info *fi, struct cfs_handle **h_r);
void cfs_op_stat(const struct crashfs *fs, const struct cfs_inode *inode, struct stat *st);
/* fills E for INODE (one more kernel lookup); -ENOMEM */
int cfs_op_entry(struct crashfs *fs, struct cfs_inode *inode, struct fuse_entry_param *e);
/* the name an inode was last given, for arm matching */
const char *cfs_inode_name(const struct cfs_inode *inode);
void cfs_reply_entry(fuse_req_t req, int ret, const struct fuse_entry_param *e);
/* replies RET < 0 as an error, else success without data */
void cfs_reply_status(fuse_req_t req, int ret);

/* fsops-dir.c: names */
void cfs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void cfs_ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void cfs_ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void cfs_ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void cfs_ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		  dev_t rdev);
void cfs_ll_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name);
void cfs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi);
void cfs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void cfs_ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void cfs_ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned int flags);
void cfs_ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);

/* fsops-dirio.c: directory handles */
void cfs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void cfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);

/* fsops-file.c: data */
void cfs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void cfs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi);
void cfs_ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		      struct fuse_file_info *fi);
void cfs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
/* frees FI's handle without replying (release, or a reply that failed) */
void cfs_handle_release(fuse_req_t req, struct fuse_file_info *fi);
/* the data of INODE becomes SIZE bytes (truncate, O_TRUNC); -errno */
int cfs_set_size(struct crashfs *fs, struct cfs_inode *inode, uint64_t size);

/* fsops-attr.c: attributes */
void cfs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		    struct fuse_file_info *fi);
void cfs_ll_readlink(fuse_req_t req, fuse_ino_t ino);
void cfs_ll_statfs(fuse_req_t req, fuse_ino_t ino);
void cfs_ll_access(fuse_req_t req, fuse_ino_t ino, int mask);

#endif
