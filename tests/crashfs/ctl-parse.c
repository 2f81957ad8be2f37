/* ctl-parse.c - parses one hb-crashfs control line ("crash garble",
 * "arm rename dovecot.index.tmp 1 drop", ...) into a struct cfs_cmd.
 * Bounded: at most CFS_CTL_LINE_MAX bytes and CFS_CTL_MAX_WORDS words;
 * control characters, unknown words and stray arguments are errors. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-parse.h"

#define CFS_CTL_MAX_WORDS 6

struct words {
	char buf[CFS_CTL_LINE_MAX + 1];
	char *w[CFS_CTL_MAX_WORDS];
	int count;
};

/* splits LINE at blanks into WORDS; -1 with *ERROR_R on bad input */
static int split_words(const char *line, struct words *words, const char **error_r)
{
	size_t len = strlen(line), i;
	char *save, *tok;

	if (len > CFS_CTL_LINE_MAX) {
		*error_r = "line too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 && c != '\t' && c != '\r') {
			*error_r = "control character in command";
			return -1;
		}
	}
	memcpy(words->buf, line, len + 1);
	words->count = 0;
	for (tok = strtok_r(words->buf, " \t\r", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (words->count == CFS_CTL_MAX_WORDS) {
			*error_r = "too many words";
			return -1;
		}
		words->w[words->count++] = tok;
	}
	if (words->count == 0) {
		*error_r = "empty command";
		return -1;
	}
	return 0;
}

/* N of arm: decimal digits only, 1..CFS_CTL_MAX_N */
static int parse_count(const char *s, unsigned long *n_r)
{
	unsigned long n = 0;

	if (*s == '\0' || strlen(s) > 10)
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	if (n < 1 || n > CFS_CTL_MAX_N)
		return -1;
	*n_r = n;
	return 0;
}

static int parse_mode(const char *word, struct cfs_cmd *cmd, const char **error_r)
{
	cmd->mode = CFS_CRASH_DROP;
	if (word != NULL && cfs_crash_mode_parse(word, &cmd->mode) < 0) {
		*error_r = "unknown crash mode (drop|garble)";
		return -1;
	}
	return 0;
}

static int parse_arm(const struct words *words, struct cfs_cmd *cmd, const char **error_r)
{
	if (words->count < 4 || words->count > 5) {
		*error_r = "usage: arm OP GLOB N [drop|garble]";
		return -1;
	}
	if (cfs_op_parse(words->w[1], &cmd->op) < 0) {
		*error_r = "unknown operation (write rename link unlink fsync fsyncdir "
			"create truncate mkdir rmdir symlink setattr any)";
		return -1;
	}
	if (strlen(words->w[2]) > CFS_GLOB_MAX) {
		*error_r = "glob too long";
		return -1;
	}
	strcpy(cmd->glob, words->w[2]);
	if (parse_count(words->w[3], &cmd->n) < 0) {
		*error_r = "N must be an integer from 1 to 1000000000";
		return -1;
	}
	return parse_mode(words->count == 5 ? words->w[4] : NULL, cmd, error_r);
}

static const struct {
	const char *name;
	enum cfs_cmd_kind kind;
} plain_cmds[] = {
	{ "disarm", CFS_CMD_DISARM }, { "resume", CFS_CMD_RESUME },
	{ "sync", CFS_CMD_SYNC }, { "stats", CFS_CMD_STATS }, { "quit", CFS_CMD_QUIT },
};

int cfs_cmd_parse(const char *line, struct cfs_cmd *cmd_r, const char **error_r)
{
	struct words words;
	size_t i;

	memset(cmd_r, 0, sizeof(*cmd_r));
	if (split_words(line, &words, error_r) < 0)
		return -1;
	if (strcmp(words.w[0], "crash") == 0) {
		cmd_r->kind = CFS_CMD_CRASH;
		if (words.count > 2) {
			*error_r = "usage: crash [drop|garble]";
			return -1;
		}
		return parse_mode(words.count == 2 ? words.w[1] : NULL, cmd_r, error_r);
	}
	if (strcmp(words.w[0], "arm") == 0) {
		cmd_r->kind = CFS_CMD_ARM;
		return parse_arm(&words, cmd_r, error_r);
	}
	for (i = 0; i < sizeof(plain_cmds) / sizeof(plain_cmds[0]); i++) {
		if (strcmp(words.w[0], plain_cmds[i].name) != 0)
			continue;
		cmd_r->kind = plain_cmds[i].kind;
		if (words.count == 1)
			return 0;
		*error_r = "this command takes no arguments";
		return -1;
	}
	*error_r = "unknown command (crash arm disarm resume sync stats quit)";
	return -1;
}
