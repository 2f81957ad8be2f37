/* main.c - hb-crashfs: an in-memory FUSE file system that loses power on
 * command, for the hb_guard fault-injection harness.
 *
 * SYNOPSIS
 *	hb-crashfs MOUNTPOINT --control=SOCKET [--seed=N] [-f] [-d] [-o opt,...]
 *
 * DESCRIPTION
 *	Every inode has a volatile state (what processes see) and a durable
 *	state (what survives power loss); every directory has volatile and
 *	durable entries.  write, truncate, chmod, chown and utimens change the
 *	volatile state; fsync/fdatasync of a file makes its data, size and
 *	metadata durable; fsync of a directory makes its entry table (names ->
 *	inodes) and metadata durable.  create, mkdir, link, unlink, rmdir,
 *	symlink and rename change volatile entries only: a new name or a
 *	removal is durable once its directory is fsynced (stricter than ext4's
 *	ordered mode).  A rename is atomic, as on every journaling file system:
 *	once either of its directories is fsynced it is durable in both, and
 *	nothing else of the other directory is.  An inode that becomes
 *	durably reachable keeps its own durable data: a file whose directory
 *	was synced but whose data was not comes back empty.
 *
 *	A crash (power loss) rebuilds the volatile tree from the root's durable
 *	entries; unreachable inodes are freed and every handle opened before
 *	goes stale (EIO).  Mode "drop" restores exactly the durable state; mode
 *	"garble" gives each file with unsynced changes a random mix: the size
 *	is the durable or the volatile one, each 4 KiB block the durable block,
 *	the volatile block, or garbage (zeros or noise), from a seeded PRNG.
 *	After a crash every operation fails with EIO until "resume"; the
 *	kernel's node ids from before it stay stale (EIO), so a process that
 *	lived through the crash (cwd or open file inside) sees EIO, new path
 *	lookups see the rebooted tree.  Inode numbers (st_ino) are never reused.
 *	FUSE low-level API, single-threaded; no kernel caching (direct_io,
 *	zero entry/attribute timeouts), so no mmap: Dovecot needs
 *	mmap_disable = yes.  Locks (fcntl, flock) are the kernel's.
 *
 *	The control socket takes one command per line and answers one line,
 *	"ok ..." or "error <why>": crash [drop|garble], arm OP GLOB N
 *	[drop|garble], disarm, resume, sync, stats, quit (docs/RELIABILITY.md).
 *
 * DIAGNOSTICS
 *	Start-up problems (no mount point, socket path taken) go to stderr with
 *	exit status 1.  SIGTERM, SIGINT, quit and an external unmount exit 0.
 *
 * SEE ALSO
 *	docs/RELIABILITY.md "The crash layer"; tests/system/test_crashfs.py
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "fsops.h"

/* fixed mount options: the kernel checks permissions (Dovecot's imap runs
 * as the mail user), and anyone may enter */
#define CFS_MOUNT_OPTS "-odefault_permissions,allow_other,fsname=hb-crashfs,subtype=hb-crashfs"

struct cfs_options {
	char *control;
	char *seed;
};

static const struct fuse_opt cfs_opt_spec[] = {
	{ "--control=%s", offsetof(struct cfs_options, control), 0 },
	{ "--seed=%s", offsetof(struct cfs_options, seed), 0 },
	FUSE_OPT_END
};

static void usage(const char *prog)
{
	printf("usage: %s MOUNTPOINT --control=SOCKET [--seed=N] [options]\n"
	       "    --control=SOCKET   control socket (unix stream, mode 0600)\n"
	       "    --seed=N           garble PRNG seed (default: from time and pid)\n"
	       "    -f                 stay in the foreground\n\n", prog);
}

/* a decimal uint64 seed; -1 when malformed */
static int parse_seed(const char *s, uint64_t *seed_r)
{
	char *end;

	if (s == NULL) {
		*seed_r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		return 0;
	}
	errno = 0;
	*seed_r = strtoull(s, &end, 10);
	return *s == '\0' || *end != '\0' || errno != 0 || *s == '-' ? -1 : 0;
}

static int control_handler(void *ctx, const char *line, char *reply, size_t size)
{
	return crashfs_command(ctx, line, reply, size);
}

/* "quit": end the FUSE loop.  SIGUSR1 breaks its read() (no SA_RESTART). */
static void control_quit(void *ctx)
{
	struct crashfs *fs = ctx;

	fuse_session_exit(fs->session);
	pthread_kill(fs->loop_thread, SIGUSR1);
}

static void wakeup_handler(int sig)
{
	(void)sig;
}

static int set_wakeup_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wakeup_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

/* mounted: serve until quit, a signal or an unmount; 0 when that was clean */
static int serve(struct crashfs *fs, struct cfs_control *control, int foreground)
{
	struct fuse_session *se = fs->session;
	int ret;

	if (fuse_daemonize(foreground) < 0 || fuse_set_signal_handlers(se) < 0 ||
	    set_wakeup_handler() < 0) {
		fprintf(stderr, "hb-crashfs: cannot daemonize or set signal handlers\n");
		return -1;
	}
	fs->loop_thread = pthread_self();
	if ((ret = cfs_control_start(control, control_handler, control_quit, fs)) < 0) {
		fprintf(stderr, "hb-crashfs: control thread: %s\n", strerror(-ret));
		fuse_remove_signal_handlers(se);
		return -1;
	}
	/* 0: unmounted; -EINTR: quit; > 0: the signal that ended it */
	ret = fuse_session_loop(se);
	fuse_remove_signal_handlers(se);
	if (ret < 0 && ret != -EINTR) {
		fprintf(stderr, "hb-crashfs: FUSE loop: %s\n", strerror(-ret));
		return -1;
	}
	return 0;
}

/* the mount point must be a directory, the seed a number; -1 (reported) */
static int check_args(const struct cfs_options *opts, const struct fuse_cmdline_opts *cmd,
		      uint64_t *seed_r)
{
	struct stat st;

	if (stat(cmd->mountpoint, &st) < 0) {
		fprintf(stderr, "hb-crashfs: mount point %s: %s\n", cmd->mountpoint,
			strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hb-crashfs: mount point %s: not a directory\n", cmd->mountpoint);
		return -1;
	}
	if (parse_seed(opts->seed, seed_r) < 0) {
		fprintf(stderr, "hb-crashfs: --seed must be a decimal number: %s\n", opts->seed);
		return -1;
	}
	return 0;
}

/* checks the arguments, binds the socket, mounts and serves; exit status */
static int run(struct fuse_args *args, const struct cfs_options *opts,
	       const struct fuse_cmdline_opts *cmd)
{
	struct cfs_control *control;
	struct crashfs fs;
	uint64_t seed;
	char error[512];
	int ret = 1;

	if (check_args(opts, cmd, &seed) < 0)
		return 1;
	if ((control = cfs_control_listen(opts->control, error, sizeof(error))) == NULL) {
		fprintf(stderr, "hb-crashfs: %s\n", error);
		return 1;
	}
	if (crashfs_init(&fs, seed, getuid(), getgid()) < 0) {
		fprintf(stderr, "hb-crashfs: out of memory\n");
		cfs_control_free(&control);
		return 1;
	}
	fs.session = fuse_session_new(args, cfs_fsops(), sizeof(struct fuse_lowlevel_ops), &fs);
	if (fs.session != NULL && fuse_session_mount(fs.session, cmd->mountpoint) == 0) {
		if (cmd->foreground)
			fprintf(stderr, "hb-crashfs: mounted on %s, control %s, seed %" PRIu64 "\n",
				cmd->mountpoint, opts->control, seed);
		ret = serve(&fs, control, cmd->foreground) < 0 ? 1 : 0;
		cfs_control_free(&control);
		fuse_session_unmount(fs.session);
	}
	cfs_control_free(&control);
	if (fs.session != NULL)
		fuse_session_destroy(fs.session);
	crashfs_deinit(&fs);
	return ret;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct cfs_options opts = { NULL, NULL };
	struct fuse_cmdline_opts cmd;
	int ret = 1;

	memset(&cmd, 0, sizeof(cmd));
	if (fuse_opt_parse(&args, &opts, cfs_opt_spec, NULL) < 0 ||
	    fuse_parse_cmdline(&args, &cmd) < 0)
		goto out;
	if (cmd.show_help || cmd.show_version) {
		usage(argv[0]);
		if (cmd.show_version)
			printf("FUSE library version %s\n", fuse_pkgversion());
		ret = 0;
	} else if (cmd.mountpoint == NULL || opts.control == NULL) {
		fprintf(stderr, "hb-crashfs: usage: %s MOUNTPOINT --control=SOCKET "
			"[--seed=N] [-f] [-o opt,...]\n", argv[0]);
	} else if (fuse_opt_add_arg(&args, CFS_MOUNT_OPTS) == 0) {
		ret = run(&args, &opts, &cmd);
	}
out:
	free(cmd.mountpoint);
	free(opts.control);
	free(opts.seed);
	fuse_opt_free_args(&args);
	return ret;
}
