/* commands.h - runs hb-crashfs control commands against the context. */
#ifndef CFS_COMMANDS_H
#define CFS_COMMANDS_H

#include <stddef.h>

#include "crashfs.h"

#define CFS_REPLY_MAX 512

/* runs one control LINE under fs->lock and writes the one-line answer
 * ("ok ..." or "error <why>", no newline) to REPLY; 1 when it was quit */
int crashfs_command(struct crashfs *fs, const char *line, char *reply, size_t size);

#endif
