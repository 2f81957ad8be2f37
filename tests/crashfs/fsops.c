/* fsops.c - the FUSE low-level operation table of hb-crashfs, its mount-time
 * settings (the kernel may cache nothing, or a crash would not show) and the
 * helpers every operation uses.  The low-level API, not the path-based one:
 * fstat of an unlinked open file must work (Dovecot does it to indexes
 * replaced by rename) without .fuse_hidden files in the directories. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "fsops.h"

static void cfs_ll_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want &= ~(unsigned int)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_HANDLE_KILLPRIV |
				      FUSE_CAP_READDIRPLUS);
}

static const struct fuse_lowlevel_ops cfs_operations = {
	.init = cfs_ll_init,
	.lookup = cfs_ll_lookup,
	.forget = cfs_ll_forget,
	.forget_multi = cfs_ll_forget_multi,
	.getattr = cfs_ll_getattr,
	.setattr = cfs_ll_setattr,
	.readlink = cfs_ll_readlink,
	.mknod = cfs_ll_mknod,
	.mkdir = cfs_ll_mkdir,
	.unlink = cfs_ll_unlink,
	.rmdir = cfs_ll_rmdir,
	.symlink = cfs_ll_symlink,
	.rename = cfs_ll_rename,
	.link = cfs_ll_link,
	.open = cfs_ll_open,
	.read = cfs_ll_read,
	.write = cfs_ll_write,
	.flush = cfs_ll_flush,
	.release = cfs_ll_release,
	.fsync = cfs_ll_fsync,
	.opendir = cfs_ll_opendir,
	.readdir = cfs_ll_readdir,
	.releasedir = cfs_ll_releasedir,
	.fsyncdir = cfs_ll_fsyncdir,
	.statfs = cfs_ll_statfs,
	.access = cfs_ll_access,
	.create = cfs_ll_create,
	.fallocate = cfs_ll_fallocate,
	/* no getlk/setlk/flock: the kernel keeps POSIX and flock locks itself */
};

const struct fuse_lowlevel_ops *cfs_fsops(void)
{
	return &cfs_operations;
}

int cfs_op_enter(fuse_req_t req, struct crashfs **fs_r)
{
	struct crashfs *fs = fuse_req_userdata(req);

	pthread_mutex_lock(&fs->lock);
	fs->stats.ops++;
	*fs_r = fs;
	return fs->frozen ? -EIO : 0;
}

void cfs_op_leave(struct crashfs *fs)
{
	if (fs->tree.gc_pending)
		cfs_tree_gc(&fs->tree);
	pthread_mutex_unlock(&fs->lock);
}

int cfs_op_inode(struct crashfs *fs, fuse_ino_t ino, struct cfs_inode **inode_r)
{
	struct cfs_knode *k = (struct cfs_knode *)(uintptr_t)ino;

	if (ino == FUSE_ROOT_ID) {
		*inode_r = fs->tree.root;
		return 0;
	}
	if (k->inode == NULL)
		return -k->error;
	*inode_r = k->inode;
	return 0;
}

int cfs_op_handle(struct fuse_file_info *fi, struct cfs_handle **h_r)
{
	struct cfs_handle *h = (struct cfs_handle *)(uintptr_t)fi->fh;

	/* opened before the crash: that process lived on the dead machine */
	if (h == NULL || h->inode == NULL)
		return -EIO;
	*h_r = h;
	return 0;
}

void cfs_op_stat(const struct crashfs *fs, const struct cfs_inode *inode, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = inode->ino;
	st->st_mode = inode->meta.mode;
	st->st_nlink = cfs_inode_nlink(&fs->tree, inode);
	st->st_uid = inode->meta.uid;
	st->st_gid = inode->meta.gid;
	st->st_size = S_ISDIR(inode->meta.mode) ? CFS_BLOCK_SIZE : (off_t)inode->data.size;
	st->st_blksize = CFS_BLOCK_SIZE;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_atim = inode->meta.atime;
	st->st_mtim = inode->meta.mtime;
	st->st_ctim = inode->meta.ctime;
}

int cfs_op_entry(struct crashfs *fs, struct cfs_inode *inode, struct fuse_entry_param *e)
{
	struct cfs_knode *k = cfs_knode_get(&fs->tree, inode);

	if (k == NULL)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->ino = (fuse_ino_t)(uintptr_t)k;
	/* the inode number is unique for the whole run: a reused pointer
	 * never looks like the old node to the kernel */
	e->generation = inode->ino;
	cfs_op_stat(fs, inode, &e->attr);
	e->attr_timeout = 0;
	e->entry_timeout = 0;
	return 0;
}

const char *cfs_inode_name(const struct cfs_inode *inode)
{
	return inode->name != NULL ? inode->name : "/";
}

void cfs_reply_entry(fuse_req_t req, int ret, const struct fuse_entry_param *e)
{
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_entry(req, e);
}

void cfs_reply_status(fuse_req_t req, int ret)
{
	fuse_reply_err(req, ret < 0 ? -ret : 0);
}
