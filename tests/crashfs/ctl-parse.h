/* ctl-parse.h - the one parser of hb-crashfs control lines: untrusted text in,
 * a validated command struct out.  It never executes anything. */
#ifndef CFS_CTL_PARSE_H
#define CFS_CTL_PARSE_H

#include "power.h"

#define CFS_CTL_LINE_MAX 1024		/* bytes of one command line */
#define CFS_CTL_MAX_N 1000000000UL	/* largest N of arm */

enum cfs_cmd_kind {
	CFS_CMD_CRASH, CFS_CMD_ARM, CFS_CMD_DISARM, CFS_CMD_RESUME,
	CFS_CMD_SYNC, CFS_CMD_STATS, CFS_CMD_QUIT,
};

struct cfs_cmd {
	enum cfs_cmd_kind kind;
	enum cfs_crash_mode mode;	/* crash, arm */
	enum cfs_op op;			/* arm */
	char glob[CFS_GLOB_MAX + 1];	/* arm */
	unsigned long n;		/* arm */
};

/* parses LINE (no newline); -1 with a static *ERROR_R for the reply */
int cfs_cmd_parse(const char *line, struct cfs_cmd *cmd_r, const char **error_r);

#endif
