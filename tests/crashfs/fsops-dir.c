/* fsops-dir.c - the name operations of hb-crashfs: they change the volatile
 * entry tables only, so a new, removed or renamed name is durable only once
 * the directories involved are fsynced (fsyncdir, fsops-dirio.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsops.h"

void cfs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct crashfs *fs;
	struct cfs_inode *dir, *inode;
	struct fuse_entry_param e;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_inode(fs, parent, &dir)) == 0 &&
	    (ret = cfs_lookup(dir, name, &inode)) == 0)
		ret = cfs_op_entry(fs, inode, &e);
	cfs_op_leave(fs);
	cfs_reply_entry(req, ret, &e);
}

void cfs_ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct crashfs *fs;

	(void)cfs_op_enter(req, &fs);
	if (ino != FUSE_ROOT_ID)
		cfs_knode_forget(&fs->tree, (struct cfs_knode *)(uintptr_t)ino, nlookup);
	cfs_op_leave(fs);
	fuse_reply_none(req);
}

void cfs_ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct crashfs *fs;
	size_t i;

	(void)cfs_op_enter(req, &fs);
	for (i = 0; i < count; i++) {
		if (forgets[i].ino != FUSE_ROOT_ID)
			cfs_knode_forget(&fs->tree, (struct cfs_knode *)(uintptr_t)forgets[i].ino,
					 forgets[i].nlookup);
	}
	cfs_op_leave(fs);
	fuse_reply_none(req);
}

/* a new inode for the caller; set-group-ID directories pass on their group */
static struct cfs_inode *new_child(struct crashfs *fs, fuse_req_t req,
				   struct cfs_inode *dir, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t gid = ctx->gid;

	if (dir->meta.mode & S_ISGID) {
		gid = dir->meta.gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	return cfs_inode_new(&fs->tree, mode, ctx->uid, gid);
}

/* a symlink's target is written with its inode: durable at once */
static int set_target(struct crashfs *fs, struct cfs_inode *inode, const char *target)
{
	size_t len = strlen(target);
	int ret;

	if ((ret = cfs_data_resize(&fs->tree, &inode->data, len)) < 0)
		return ret;
	memcpy(inode->data.buf, target, len);
	return cfs_data_copy(&fs->tree, &inode->ddata, &inode->data);
}

/* creates NAME in PARENT as a new inode of MODE (a symlink to TARGET) */
static int make_node(struct crashfs *fs, fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, const char *target, struct cfs_inode **inode_r)
{
	struct cfs_inode *dir, *inode;
	int ret;

	if ((ret = cfs_op_inode(fs, parent, &dir)) < 0 || (ret = cfs_check_new(dir, name)) < 0)
		return ret;
	if ((inode = new_child(fs, req, dir, mode)) == NULL)
		return -ENOSPC;
	if ((target != NULL && (ret = set_target(fs, inode, target)) < 0) ||
	    (ret = cfs_link_add(&fs->tree, dir, name, inode)) < 0) {
		/* the unnamed new inode goes with the next collection */
		fs->tree.gc_pending = 1;
		return ret;
	}
	*inode_r = inode;
	return 0;
}

/* mkdir, mknod, symlink: a new inode, its entry for the kernel, OP for arm */
static void make_reply(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       const char *target, enum cfs_op op)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	struct fuse_entry_param e;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = make_node(fs, req, parent, name, mode, target, &inode)) == 0 &&
	    (ret = cfs_op_entry(fs, inode, &e)) == 0)
		crashfs_op_done(fs, op, name, NULL);
	cfs_op_leave(fs);
	cfs_reply_entry(req, ret, &e);
}

void cfs_ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make_reply(req, parent, name, S_IFDIR | (mode & 07777), NULL, CFS_OP_MKDIR);
}

void cfs_ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		  dev_t rdev)
{
	/* regular files only: nothing here needs devices or FIFOs */
	if (!S_ISREG(mode))
		fuse_reply_err(req, EPERM);
	else
		make_reply(req, parent, name, S_IFREG | (mode & 07777), NULL, CFS_OP_CREATE);
}

void cfs_ll_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name)
{
	if (strlen(target) >= PATH_MAX)
		fuse_reply_err(req, ENAMETOOLONG);
	else
		make_reply(req, parent, name, S_IFLNK | 0777, target, CFS_OP_SYMLINK);
}

void cfs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi)
{
	struct crashfs *fs;
	struct cfs_inode *inode;
	struct cfs_handle *h = NULL;
	struct fuse_entry_param e;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = make_node(fs, req, parent, name, S_IFREG | (mode & 07777),
					 NULL, &inode)) == 0 &&
	    (h = cfs_handle_new(&fs->tree, inode)) == NULL)
		ret = -ENOMEM;
	if (ret == 0 && (ret = cfs_op_entry(fs, inode, &e)) < 0)
		cfs_handle_free(&fs->tree, &h);
	if (ret == 0) {
		fi->fh = (uintptr_t)h;
		fi->direct_io = 1;
		/* the handle exists first, so a crash fired here makes it stale */
		crashfs_op_done(fs, CFS_OP_CREATE, name, NULL);
	}
	cfs_op_leave(fs);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_create(req, &e, fi) != 0)
		cfs_handle_release(req, fi);	/* interrupted: nobody holds it */
}

/* the existing entry NAME of PARENT: its directory and inode */
static int find_entry(struct crashfs *fs, fuse_ino_t parent, const char *name,
		      struct cfs_inode **dir_r, struct cfs_inode **inode_r)
{
	int ret = cfs_op_inode(fs, parent, dir_r);

	return ret < 0 ? ret : cfs_lookup(*dir_r, name, inode_r);
}

void cfs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct crashfs *fs;
	struct cfs_inode *dir, *inode;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = find_entry(fs, parent, name, &dir, &inode)) == 0 &&
	    S_ISDIR(inode->meta.mode))
		ret = -EISDIR;
	if (ret == 0) {
		cfs_link_remove(&fs->tree, dir, name);
		crashfs_op_done(fs, CFS_OP_UNLINK, name, NULL);
	}
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}

void cfs_ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct crashfs *fs;
	struct cfs_inode *dir, *inode;
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = find_entry(fs, parent, name, &dir, &inode)) == 0) {
		if (!S_ISDIR(inode->meta.mode))
			ret = -ENOTDIR;
		else if (inode->entries.count > 0)
			ret = -ENOTEMPTY;
	}
	if (ret == 0) {
		cfs_link_remove(&fs->tree, dir, name);
		crashfs_op_done(fs, CFS_OP_RMDIR, name, NULL);
	}
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}

/* may INODE replace TARGET (NULL: nothing)?  Moving a directory below
 * itself the VFS refuses before asking us. */
static int rename_check(const struct cfs_inode *inode, const struct cfs_inode *target)
{
	if (target == NULL)
		return 0;
	if (S_ISDIR(inode->meta.mode) && !S_ISDIR(target->meta.mode))
		return -ENOTDIR;
	if (!S_ISDIR(inode->meta.mode) && S_ISDIR(target->meta.mode))
		return -EISDIR;
	if (S_ISDIR(target->meta.mode) && target->entries.count > 0)
		return -ENOTEMPTY;
	return 0;
}

static int rename_entries(struct crashfs *fs, fuse_ino_t parent, const char *name,
			  fuse_ino_t newparent, const char *newname)
{
	struct cfs_inode *sdir, *ddir, *inode, *target = NULL;
	int ret;

	if ((ret = find_entry(fs, parent, name, &sdir, &inode)) < 0 ||
	    (ret = cfs_op_inode(fs, newparent, &ddir)) < 0)
		return ret;
	if ((ret = cfs_lookup(ddir, newname, &target)) < 0 && ret != -ENOENT)
		return ret;
	if (ret == -ENOENT)
		target = NULL;
	if (target == inode)
		return 0;	/* POSIX: two links to one file, nothing to do */
	if ((ret = rename_check(inode, target)) < 0)
		return ret;
	/* a rename is atomic: durable in both directories or in neither */
	if (sdir != ddir &&
	    (ret = cfs_xrename_add(&fs->xrenames, sdir, name, ddir, newname, inode)) < 0)
		return ret;
	if (target != NULL)
		cfs_link_replace(&fs->tree, ddir, newname, inode);
	else if ((ret = cfs_link_add(&fs->tree, ddir, newname, inode)) < 0) {
		if (sdir != ddir)
			cfs_xrename_drop_last(&fs->xrenames);
		return ret;
	}
	cfs_link_remove(&fs->tree, sdir, name);
	fs->stats.renames++;
	crashfs_op_done(fs, CFS_OP_RENAME, name, newname);
	return 0;
}

void cfs_ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct crashfs *fs;
	int ret = cfs_op_enter(req, &fs);

	/* RENAME_NOREPLACE / RENAME_EXCHANGE are not needed by Dovecot */
	if (ret == 0 && flags != 0)
		ret = -EINVAL;
	if (ret == 0)
		ret = rename_entries(fs, parent, name, newparent, newname);
	cfs_op_leave(fs);
	cfs_reply_status(req, ret);
}

void cfs_ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct crashfs *fs;
	struct cfs_inode *inode, *dir;
	struct fuse_entry_param e;
	char oldname[NAME_MAX + 1] = "";
	int ret = cfs_op_enter(req, &fs);

	if (ret == 0 && (ret = cfs_op_inode(fs, ino, &inode)) == 0 && S_ISDIR(inode->meta.mode))
		ret = -EPERM;
	if (ret == 0 && (ret = cfs_op_inode(fs, newparent, &dir)) == 0)
		ret = cfs_check_new(dir, newname);
	if (ret == 0) {
		/* arm matches the source's name too, as for rename */
		snprintf(oldname, sizeof(oldname), "%s", cfs_inode_name(inode));
		ret = cfs_link_add(&fs->tree, dir, newname, inode);
	}
	if (ret == 0 && (ret = cfs_op_entry(fs, inode, &e)) == 0)
		crashfs_op_done(fs, CFS_OP_LINK, oldname, newname);
	cfs_op_leave(fs);
	cfs_reply_entry(req, ret, &e);
}
