/* guard-uidlist-tail.h - what the end of a maildir dovecot-uidlist says
 * about the UIDs it has given out: the next UID after its last record, or
 * the next UID of its header when it has no records yet. */
#ifndef GUARD_UIDLIST_TAIL_H
#define GUARD_UIDLIST_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How many bytes of the file's end are read. */
#define GUARD_UIDLIST_TAIL_SIZE 4096

/* BUF is the last SIZE bytes of the file, AT_START when it is the whole
   file.  Returns 1 and the next UID the file implies (last record's UID + 1;
   for a file with only its header, the header's N field), 0 when the tail
   names no UID (an empty file, a record longer than the buffer). */
int guard_uidlist_tail_parse(const char *buf, size_t size, bool at_start,
			     uint32_t *next_uid_r);

/* Reads the end of the open uidlist FD of FILE_SIZE bytes and parses it.
   Returns 1 with the next UID, 0 if the tail names none, -1 on a read
   error (errno set). */
int guard_uidlist_tail_read(int fd, off_t file_size, uint32_t *next_uid_r);

#endif
