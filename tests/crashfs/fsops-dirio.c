/* fsops-dirio.c - open directories of hb-crashfs: listings and fsyncdir,
 * the one operation that makes a directory's entries durable.  A listing is
 * taken at opendir (and at rewinddir) and served from the handle, so names
 * renamed during a scan are neither skipped nor repeated. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsops.h"

void cfs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	struct cfs_handle *h = NULL;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_inode(fs, ino, &inode)) == 0 && !S_ISDIR(inode->meta.mode))
		ret = -ENOTDIR;
	if (ret == 0 && (h = cfs_handle_new(&fs->tree, inode)) == NULL)
		ret = -ENOMEM;
	if (ret == 0 && (ret = cfs_handle_list(h)) < 0)
		cfs_handle_free(&fs->tree, &h);
	if (ret == 0)
		fi->fh = (uintptr_t)h;
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_open(req, fi) != 0)
		cfs_handle_release(req, fi);	/* interrupted: nobody holds it */
}

/* entry I of H's listing ("." and ".." first) into BUF; its size, which
 * exceeds SIZE when it did not fit */
static size_t add_entry(fuse_req_t req, const struct cfs_handle *h, size_t i,
			char *buf, size_t size)
{
	struct stat st;
	const char *name;

	memset(&st, 0, sizeof(st));
	if (i < 2) {
		name = i == 0 ? "." : "..";
		st.st_ino = i == 0 ? h->inode->ino : 1;
		st.st_mode = S_IFDIR;
	} else {
		name = h->list[i - 2].name;
		st.st_ino = h->list[i - 2].ino;
		st.st_mode = h->list[i - 2].type;
	}
	return fuse_add_direntry(req, buf, size, name, &st, (off_t)i + 1);
}

/* as much of H's listing from OFF as fits SIZE; -errno */
static int fill_listing(fuse_req_t req, struct cfs_handle *h, size_t size, off_t off,
			char **buf_r, size_t *len_r)
{
	size_t i, len = 0, n;
	int ret;

	/* rewinddir: a fresh listing */
	if (off == 0 && (ret = cfs_handle_list(h)) < 0)
		return ret;
	if ((*buf_r = malloc(size)) == NULL)
		return -ENOMEM;
	for (i = (size_t)off; i < h->count + 2; i++) {
		n = add_entry(req, h, i, *buf_r + len, size - len);
		if (n > size - len)
			break;
		len += n;
	}
	*len_r = len;
	return 0;
}

void cfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	char *buf = NULL;
	size_t len = 0;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && off < 0)
		ret = -EINVAL;
	if (ret == 0 && (ret = cfs_op_handle(fi, &h)) == 0)
		ret = fill_listing(req, h, size, off, &buf, &len);
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

void cfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	cfs_ll_release(req, ino, fi);
}

void cfs_ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_handle *h;
	int ret = cfs_op_enter(req, &fs);

	/* the renames into or out of the directory first, then its own
	   table: a later change of a name a rename brought in (dst/m ->
	   dst/m:2,S) must win, as in a journal that commits in order */
	if (ret == 0 && (ret = cfs_op_handle(fi, &h)) == 0 &&
	    (ret = cfs_xrename_dir_synced(&fs->xrenames, &fs->tree, h->inode)) == 0 &&
	    (ret = cfs_power_fsyncdir(&fs->tree, h->inode)) == 0) {
		fs->stats.fsyncdirs++;
		crashfs_op_done(fs, CFS_OP_FSYNCDIR, cfs_inode_name(h->inode), NULL);
	}
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}
