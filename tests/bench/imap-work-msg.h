/* imap-work-msg.h - the test messages that hb-imap-work APPENDs: realistic
 * RFC 5322 headers and a text body, exactly SIZE bytes with CRLF line ends.
 * It never reads input from the network; everything here is generated. */
#ifndef IMAP_WORK_MSG_H
#define IMAP_WORK_MSG_H

#include <stddef.h>

#define WORK_MSG_MIN 1024            /* room for the headers */
#define WORK_MSG_MAX (16 * 1024 * 1024)

struct work_msg {
	char *buf;        /* SIZE bytes, allocated by work_msg_init */
	size_t size;
	char *body;       /* SIZE bytes of body text (a template) */
};

/* Allocates the buffers for messages of SIZE bytes; -1 on a bad size or
 * lack of memory. */
int work_msg_init(struct work_msg *msg, size_t size, const char **error_r);
/* Writes message number SEQ of client CLIENT (user USER) into msg->buf;
 * RUN_ID keeps Message-IDs unique across runs. */
void work_msg_make(struct work_msg *msg, const char *user, unsigned long client,
		   unsigned long seq, unsigned long run_id);
void work_msg_free(struct work_msg *msg);

#endif
