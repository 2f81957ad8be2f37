/* commands.c - one function per hb-crashfs control command (crash, arm,
 * disarm, resume, sync, stats, quit), run with the context lock held so that
 * no FUSE operation is half done.  Parsing is ctl-parse.c's. */
#include <inttypes.h>
#include <stdio.h>

#include "commands.h"
#include "ctl-parse.h"

static void cmd_crash(struct crashfs *fs, const struct cfs_cmd *cmd, char *reply, size_t size)
{
	if (crashfs_crash(fs, cmd->mode) < 0)
		snprintf(reply, size, "error out of memory during crash (some directory came back empty)");
	else
		snprintf(reply, size, "ok crashed mode=%s", cfs_crash_mode_name(cmd->mode));
}

static void cmd_arm(struct crashfs *fs, const struct cfs_cmd *cmd, char *reply, size_t size)
{
	struct cfs_arm *arm = &fs->arm;

	arm->armed = 1;
	arm->op = cmd->op;
	snprintf(arm->glob, sizeof(arm->glob), "%s", cmd->glob);
	arm->n = cmd->n;
	arm->seen = 0;
	arm->mode = cmd->mode;
	snprintf(reply, size, "ok armed op=%s glob=%s n=%lu mode=%s", cfs_op_name(arm->op),
		 arm->glob, arm->n, cfs_crash_mode_name(arm->mode));
}

static void cmd_sync(struct crashfs *fs, char *reply, size_t size)
{
	/* the same as after a crash: everything already is durable */
	if (cfs_power_sync_all(&fs->tree) < 0)
		snprintf(reply, size, "error out of memory (not everything is durable)");
	else
		snprintf(reply, size, "ok synced");
	cfs_xrename_clear(&fs->xrenames);
	cfs_tree_gc(&fs->tree);
}

static void cmd_stats(struct crashfs *fs, char *reply, size_t size)
{
	const struct crashfs_stats *s = &fs->stats;

	snprintf(reply, size, "ok ops=%" PRIu64 " writes=%" PRIu64 " fsyncs=%" PRIu64
		 " fsyncdirs=%" PRIu64 " renames=%" PRIu64 " crashes=%" PRIu64
		 " frozen=%d armed=%d fired=%" PRIu64 " fired_ns=%" PRIu64 " seed=%" PRIu64
		 " files=%zu bytes=%" PRIu64,
		 s->ops, s->writes, s->fsyncs, s->fsyncdirs, s->renames, s->crashes,
		 fs->frozen, fs->arm.armed, s->fired, s->fired_ns, fs->seed, fs->tree.ninodes,
		 fs->tree.bytes);
}

static int command_run(struct crashfs *fs, const struct cfs_cmd *cmd, char *reply, size_t size)
{
	switch (cmd->kind) {
	case CFS_CMD_CRASH:
		cmd_crash(fs, cmd, reply, size);
		break;
	case CFS_CMD_ARM:
		cmd_arm(fs, cmd, reply, size);
		break;
	case CFS_CMD_DISARM:
		fs->arm.armed = 0;
		snprintf(reply, size, "ok disarmed");
		break;
	case CFS_CMD_RESUME:
		fs->frozen = 0;
		snprintf(reply, size, "ok resumed");
		break;
	case CFS_CMD_SYNC:
		cmd_sync(fs, reply, size);
		break;
	case CFS_CMD_STATS:
		cmd_stats(fs, reply, size);
		break;
	case CFS_CMD_QUIT:
		snprintf(reply, size, "ok bye");
		return 1;
	}
	return 0;
}

int crashfs_command(struct crashfs *fs, const char *line, char *reply, size_t size)
{
	struct cfs_cmd cmd;
	const char *error;
	int ret;

	if (cfs_cmd_parse(line, &cmd, &error) < 0) {
		snprintf(reply, size, "error %s", error);
		return 0;
	}
	pthread_mutex_lock(&fs->lock);
	ret = command_run(fs, &cmd, reply, size);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}
