/* guard-uidlist-tail.c - reads the next UID a maildir dovecot-uidlist
 * implies from the end of the file.  Records ("UID [EXT...] :FILENAME")
 * are appended in UID order, so the last one holds the highest UID; the
 * header ("3 V<validity> N<next uid> G<guid> ...") is the first line.  A
 * writer killed in the middle of its append can leave a last line without
 * its newline: its UID still counts, since Dovecot will read it once the
 * line is completed by the next append. */
#include "guard-uidlist-tail.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

/* the decimal number at P (LEN bytes), which must end at END or, when
   END_OF_LINE_OK, at the end of the line; 0 if there is none */
static uint32_t leading_number(const char *p, size_t len, char end,
			       bool end_of_line_ok)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		n = n * 10 + (uint64_t)(p[i] - '0');
		if (n > UINT32_MAX)
			return 0;
	}
	if (i == 0)
		return 0;
	if (i == len ? !end_of_line_ok : p[i] != end)
		return 0;
	return (uint32_t)n;
}

/* the N field of a header line; 0 if it has none */
static uint32_t header_next_uid(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++) {
		if (line[i] == ' ' && line[i + 1] == 'N')
			return leading_number(line + i + 2, len - i - 2,
					      ' ', true);
	}
	return 0;
}

/* the UID of a record line; 0 if the line is not a record */
static uint32_t record_uid(const char *line, size_t len)
{
	return leading_number(line, len, ' ', false);
}

/* the line ending at END (exclusive) starts where? */
static size_t line_start(const char *buf, size_t end)
{
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	return end;
}

/* the next UID the complete line [START, END) implies; 0 if none */
static uint32_t line_next_uid(const char *buf, size_t start, size_t end,
			      bool at_start)
{
	uint32_t uid;

	if (start == 0)	/* the header, if the buffer begins the file */
		return at_start ? header_next_uid(buf, end) : 0;
	uid = record_uid(buf + start, end - start);
	return uid == 0 || uid == UINT32_MAX ? 0 : uid + 1;
}

int guard_uidlist_tail_parse(const char *buf, size_t size, bool at_start,
			     uint32_t *next_uid_r)
{
	size_t end = size, start;
	uint32_t next;

	if (size == 0)
		return 0;
	if (buf[size - 1] != '\n') {
		/* a partial last line counts once it names its UID */
		start = line_start(buf, size);
		next = start == 0 ? 0 : line_next_uid(buf, start, size, false);
		if (next != 0) {
			*next_uid_r = next;
			return 1;
		}
		end = start;
		if (end == 0)
			return 0;
	}
	end--;	/* the newline */
	next = line_next_uid(buf, line_start(buf, end), end, at_start);
	if (next == 0)
		return 0;
	*next_uid_r = next;
	return 1;
}

int guard_uidlist_tail_read(int fd, off_t file_size, uint32_t *next_uid_r)
{
	char buf[GUARD_UIDLIST_TAIL_SIZE];
	off_t offset = file_size > (off_t)sizeof(buf) ?
		file_size - (off_t)sizeof(buf) : 0;
	size_t want = (size_t)(file_size - offset), got = 0;
	ssize_t ret;

	while (got < want) {
		ret = pread(fd, buf + got, want - got, offset + (off_t)got);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -1;
		if (ret == 0)
			break;	/* shrank meanwhile: parse what is there */
		got += (size_t)ret;
	}
	return guard_uidlist_tail_parse(buf, got, offset == 0, next_uid_r);
}
