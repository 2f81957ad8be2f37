/* fsops-attr.c - attribute operations of hb-crashfs.  Mode, owner, size and
 * times change in volatile state only; fsync (files) or fsyncdir
 * (directories) makes them durable.  Permission checks are the kernel's
 * (default_permissions). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fsops.h"

void cfs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	struct cfs_handle *h;
	struct stat st;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && fi != NULL)
		ret = cfs_op_handle(fi, &h);
	if (ret == 0 && (ret = cfs_op_inode(fs, ino, &inode)) == 0)
		cfs_op_stat(fs, inode, &st);
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, 0);
}

/* the times of TO_SET from ATTR (or now) */
static void set_times(struct cfs_inode *inode, const struct stat *attr, int to_set)
{
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		cfs_now(&inode->meta.atime);
	else if (to_set & FUSE_SET_ATTR_ATIME)
		inode->meta.atime = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		cfs_now(&inode->meta.mtime);
	else if (to_set & FUSE_SET_ATTR_MTIME)
		inode->meta.mtime = attr->st_mtim;
}

static int set_attr(struct crashfs *fs, struct cfs_inode *inode, const struct stat *attr,
		    int to_set)
{
	int ret;

	if ((to_set & FUSE_SET_ATTR_SIZE) &&
	    (ret = cfs_set_size(fs, inode, (uint64_t)attr->st_size)) < 0)
		return ret;
	if (to_set & FUSE_SET_ATTR_MODE)
		inode->meta.mode = (inode->meta.mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		inode->meta.uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		inode->meta.gid = attr->st_gid;
	set_times(inode, attr, to_set);
	if (to_set & FUSE_SET_ATTR_CTIME)
		inode->meta.ctime = attr->st_ctim;
	else
		cfs_now(&inode->meta.ctime);
	return 0;
}

void cfs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		    struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	struct cfs_handle *h;
	struct stat st;
	char name[NAME_MAX + 1];
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && fi != NULL)
		ret = cfs_op_handle(fi, &h);
	if (ret == 0 && (to_set & FUSE_SET_ATTR_SIZE) && attr->st_size < 0)
		ret = -EINVAL;
	if (ret == 0 && (ret = cfs_op_inode(fs, ino, &inode)) == 0 &&
	    (ret = set_attr(fs, inode, attr, to_set)) == 0) {
		/* a crash fired now may free the inode: answer from before it */
		cfs_op_stat(fs, inode, &st);
		snprintf(name, sizeof(name), "%s", cfs_inode_name(inode));
		crashfs_op_done(fs, (to_set & FUSE_SET_ATTR_SIZE) ? CFS_OP_TRUNCATE :
				CFS_OP_SETATTR, name, NULL);
	}
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, 0);
}

void cfs_ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	char target[PATH_MAX];
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_inode(fs, ino, &inode)) == 0 && !S_ISLNK(inode->meta.mode))
		ret = -EINVAL;
	if (ret == 0) {
		/* symlink() bounds targets below PATH_MAX */
		memcpy(target, inode->data.buf, inode->data.size);
		target[inode->data.size] = '\0';
	}
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_readlink(req, target);
}

void cfs_ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct crashfs *fs;
	struct statvfs st;
	int ret = cfs_op_enter(req, &fs);

	memset(&st, 0, sizeof(st));
	st.f_bsize = st.f_frsize = CFS_BLOCK_SIZE;
	st.f_blocks = CFS_MAX_BYTES / CFS_BLOCK_SIZE;
	st.f_bfree = st.f_bavail = (CFS_MAX_BYTES - fs->tree.bytes) / CFS_BLOCK_SIZE;
	st.f_files = CFS_MAX_INODES;
	st.f_ffree = st.f_favail = CFS_MAX_INODES - fs->tree.ninodes;
	st.f_namemax = NAME_MAX;
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_statfs(req, &st);
}

/* the kernel checked the permissions (default_permissions); not called */
void cfs_ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0)
		ret = cfs_op_inode(fs, ino, &inode);
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}
