/* imap-work-reply.h - the one parser of server lines in hb-imap-work: it
 * classifies a complete IMAP response line (tagged status, continuation,
 * EXISTS / EXPUNGE / FETCH UID) and finds a literal announced at its end.
 * It keeps no state and never trusts a number it has not bounded. */
#ifndef IMAP_WORK_REPLY_H
#define IMAP_WORK_REPLY_H

#include <stddef.h>

#define WORK_LITERAL_MAX (64UL * 1024 * 1024)
#define WORK_TAG_CHAR 'w'    /* hb-imap-work's tags are w<number> */

enum work_reply_kind {
	REPLY_OTHER,      /* any untagged line we do not use */
	REPLY_TAGGED,     /* w<tag> OK|NO|BAD */
	REPLY_CONT,       /* "+ ...": send the literal */
	REPLY_EXISTS,     /* * N EXISTS */
	REPLY_EXPUNGE,    /* * N EXPUNGE */
	REPLY_FETCH,      /* * N FETCH (... UID u ...) */
	REPLY_BYE,        /* * BYE: the server is closing */
};

enum work_status { STATUS_OK, STATUS_NO, STATUS_BAD };

struct work_reply {
	enum work_reply_kind kind;
	enum work_status status;   /* REPLY_TAGGED */
	unsigned long tag;         /* REPLY_TAGGED */
	unsigned long num;         /* EXISTS, EXPUNGE, FETCH */
	unsigned long uid;         /* FETCH: 0 if the line names no UID */
	unsigned long literal;     /* bytes that follow the line ({N} at its end) */
};

/* Parses LINE (LEN bytes, CRLF removed).  Returns 0, or -1 for a line that
 * breaks the grammar hb-imap-work relies on (or announces a literal above
 * WORK_LITERAL_MAX). */
int work_reply_parse(const char *line, size_t len, struct work_reply *r);

#endif
