/* fsops-file.c - the data operations of hb-crashfs: writes change the
 * volatile data only; fsync makes one file's data, size and metadata
 * durable.  Handles opened before a crash answer EIO. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "fsops.h"

/* the data of INODE changed now */
static void data_changed(struct cfs_inode *inode)
{
	cfs_now(&inode->meta.mtime);
	inode->meta.ctime = inode->meta.mtime;
	inode->dirty = 1;
}

int cfs_set_size(struct crashfs *fs, struct cfs_inode *inode, uint64_t size)
{
	int ret;

	if (S_ISDIR(inode->meta.mode))
		return -EISDIR;
	if (!S_ISREG(inode->meta.mode))
		return -EINVAL;
	if ((ret = cfs_data_resize(&fs->tree, &inode->data, size)) < 0)
		return ret;
	data_changed(inode);
	return 0;
}

void cfs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	struct cfs_handle *h = NULL;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_inode(fs, ino, &inode)) == 0 && S_ISDIR(inode->meta.mode))
		ret = -EISDIR;
	if (ret == 0 && (h = cfs_handle_new(&fs->tree, inode)) == NULL)
		ret = -ENOMEM;
	/* with atomic_o_trunc the kernel leaves O_TRUNC to us; the handle
	 * exists first, so a crash this truncate fires makes it stale */
	if (ret == 0 && (fi->flags & O_TRUNC) && inode->data.size > 0) {
		if ((ret = cfs_set_size(fs, inode, 0)) < 0)
			cfs_handle_free(&fs->tree, &h);
		else
			crashfs_op_done(fs, CFS_OP_TRUNCATE, cfs_inode_name(inode), NULL);
	}
	if (ret == 0) {
		fi->fh = (uintptr_t)h;
		fi->direct_io = 1;
	}
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_open(req, fi) != 0)
		cfs_handle_release(req, fi);	/* interrupted: nobody holds it */
}

void cfs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_handle(fi, &h)) == 0) {
		const struct cfs_data *d = &h->inode->data;
		size_t have = off >= 0 && (uint64_t)off < d->size ? d->size - (size_t)off : 0;

		/* replied under the lock: the buffer may move once it is released */
		fuse_reply_buf(req, have > 0 ? (const char *)d->buf + off : NULL,
			       size < have ? size : have);
	}
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
}

void cfs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_handle(fi, &h)) == 0 && off < 0)
		ret = -EINVAL;
	if (ret == 0 && (uint64_t)off + size > h->inode->data.size)
		ret = cfs_data_resize(&fs->tree, &h->inode->data, (uint64_t)off + size);
	if (ret == 0) {
		memcpy(h->inode->data.buf + off, buf, size);
		data_changed(h->inode);
		fs->stats.writes++;
		crashfs_op_done(fs, CFS_OP_WRITE, cfs_inode_name(h->inode), NULL);
	}
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_write(req, size);
}

/* plain allocation only (mode 0): the file grows, never shrinks; it counts
 * as a write for the crash trigger */
void cfs_ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		      struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && mode != 0)
		ret = -EOPNOTSUPP;
	if (ret == 0 && (off < 0 || len <= 0))
		ret = -EINVAL;
	if (ret == 0 && (ret = cfs_op_handle(fi, &h)) == 0 &&
	    (uint64_t)off + (uint64_t)len > h->inode->data.size &&
	    (ret = cfs_set_size(fs, h->inode, (uint64_t)off + (uint64_t)len)) == 0)
		crashfs_op_done(fs, CFS_OP_WRITE, cfs_inode_name(h->inode), NULL);
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}

void cfs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0)
		ret = cfs_op_handle(fi, &h);
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}

/* also while frozen: the handle must be freed */
void cfs_handle_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h = (struct cfs_handle *)(uintptr_t)fi->fh;

	(void)cfs_op_enter(req, &fs);
	if (h != NULL)
		cfs_handle_free(&fs->tree, &h);
	fi->fh = 0;
	cfs_op_leave(fs);
}

void cfs_ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	cfs_handle_release(req, fi);
	fuse_reply_err(req, 0);
}

void cfs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_handle(fi, &h)) == 0 &&
	    (ret = cfs_power_fsync(&fs->tree, h->inode)) == 0) {
		fs->stats.fsyncs++;
		crashfs_op_done(fs, CFS_OP_FSYNC, cfs_inode_name(h->inode), NULL);
	}
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}
