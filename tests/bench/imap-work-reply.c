/* imap-work-reply.c - classifies the IMAP server lines hb-imap-work reads
 * (see imap-work-reply.h).  Lines arrive complete, without CRLF; literals
 * are skipped by the caller, so a literal's bytes never reach this parser.
 * Every number is bounded; nothing here allocates. */
#include "imap-work-reply.h"

#include <string.h>

#define WORK_NUM_MAX 4294967295UL   /* IMAP numbers are 32-bit */

/* Reads a decimal number at *P (at most 10 digits, <= WORK_NUM_MAX) and
 * advances *P past it; -1 if there is none or it is too large. */
static int parse_num(const char **p, const char *end, unsigned long *num_r)
{
	unsigned long n = 0;
	int digits = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (++digits > 10)
			return -1;
		n = n * 10 + (unsigned long)(**p - '0');
		(*p)++;
	}
	if (digits == 0 || n > WORK_NUM_MAX)
		return -1;
	*num_r = n;
	return 0;
}

static int has_word(const char *p, const char *end, const char *word)
{
	size_t len = strlen(word);

	return (size_t)(end - p) >= len && memcmp(p, word, len) == 0 &&
	       (p + len == end || p[len] == ' ');
}

/* A literal announced at the end of the line: "{N}" (or "{N+}"). */
static int parse_literal(const char *line, size_t len, unsigned long *lit_r)
{
	const char *end = line + len, *p;

	*lit_r = 0;
	if (len < 3 || end[-1] != '}')
		return 0;
	p = end - 2;
	if (*p == '+')
		p--;
	while (p > line && *p >= '0' && *p <= '9')
		p--;
	if (*p != '{')
		return 0;   /* a '}' that ends some other text */
	p++;
	if (parse_num(&p, end, lit_r) < 0 || *lit_r > WORK_LITERAL_MAX)
		return -1;
	return 0;
}

static int parse_tagged(const char *p, const char *end, struct work_reply *r)
{
	p++;   /* the tag character */
	if (parse_num(&p, end, &r->tag) < 0 || p == end || *p++ != ' ')
		return -1;
	r->kind = REPLY_TAGGED;
	if (has_word(p, end, "OK"))
		r->status = STATUS_OK;
	else if (has_word(p, end, "NO"))
		r->status = STATUS_NO;
	else if (has_word(p, end, "BAD"))
		r->status = STATUS_BAD;
	else
		return -1;
	return 0;
}

/* "* N FETCH (... UID u ...)": the UID item, if the line holds one. */
static void parse_fetch_uid(const char *p, const char *end, struct work_reply *r)
{
	for (; p + 4 < end; p++) {
		if ((p[-1] == '(' || p[-1] == ' ') && memcmp(p, "UID ", 4) == 0) {
			const char *q = p + 4;

			if (parse_num(&q, end, &r->uid) == 0)
				return;
		}
	}
	r->uid = 0;
}

static int parse_untagged(const char *p, const char *end, struct work_reply *r)
{
	if (end - p < 2 || p[1] != ' ')
		return -1;
	p += 2;
	if (has_word(p, end, "BYE")) {
		r->kind = REPLY_BYE;
		return 0;
	}
	if (p == end || *p < '0' || *p > '9')
		return 0;   /* OK, FLAGS, CAPABILITY, ...: not used */
	if (parse_num(&p, end, &r->num) < 0 || p == end || *p++ != ' ')
		return -1;
	if (has_word(p, end, "EXISTS"))
		r->kind = REPLY_EXISTS;
	else if (has_word(p, end, "EXPUNGE"))
		r->kind = REPLY_EXPUNGE;
	else if (has_word(p, end, "FETCH")) {
		r->kind = REPLY_FETCH;
		parse_fetch_uid(p + 5, end, r);
	}
	return 0;
}

int work_reply_parse(const char *line, size_t len, struct work_reply *r)
{
	const char *end = line + len;

	memset(r, 0, sizeof(*r));
	if (parse_literal(line, len, &r->literal) < 0)
		return -1;
	if (len == 0)
		return -1;
	if (line[0] == '+') {
		r->kind = REPLY_CONT;
		return 0;
	}
	if (line[0] == '*')
		return parse_untagged(line, end, r);
	if (line[0] == WORK_TAG_CHAR)
		return parse_tagged(line, end, r);
	/* the rest of a line that a literal interrupted, e.g. ")" */
	r->kind = REPLY_OTHER;
	return 0;
}
