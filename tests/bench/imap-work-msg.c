/* imap-work-msg.c - builds the messages hb-imap-work APPENDs: the headers a
 * delivered message carries (Return-Path, Received, Date, From, To, Subject,
 * Message-ID, MIME) and a plain-text body cut so that the whole message is
 * exactly the requested size.  No message is ever read from outside. */
#include "imap-work-msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORK_MSG_LINE 72   /* body line length before CRLF */

static const char *const words[] = {
	"quarterly", "report", "meeting", "agenda", "attached", "please",
	"review", "the", "budget", "numbers", "before", "friday", "thanks",
	"regards", "project", "status", "update", "deadline", "invoice",
	"shipment", "customer", "feedback", "draft", "version", "server",
};

/* Fills BODY with lines of words; the body of each message is a prefix of
 * it, so its text looks the same whatever the size. */
static void body_fill(char *body, size_t size)
{
	size_t pos = 0, col = 0, w = 0;

	while (pos < size) {
		const char *word = words[w++ % (sizeof(words) / sizeof(words[0]))];
		size_t len = strlen(word);

		if (col + len + 1 > WORK_MSG_LINE) {
			body[pos++] = '\r';
			if (pos < size)
				body[pos++] = '\n';
			col = 0;
			continue;
		}
		while (*word != '\0' && pos < size) {
			body[pos++] = *word++;
			col++;
		}
		if (pos < size) {
			body[pos++] = ' ';
			col++;
		}
	}
}

int work_msg_init(struct work_msg *msg, size_t size, const char **error_r)
{
	if (size < WORK_MSG_MIN || size > WORK_MSG_MAX) {
		*error_r = "message size must be 1024 .. 16777216 bytes";
		return -1;
	}
	msg->buf = malloc(size);
	msg->body = malloc(size);
	if (msg->buf == NULL || msg->body == NULL) {
		work_msg_free(msg);
		*error_r = "out of memory for the message buffers";
		return -1;
	}
	msg->size = size;
	body_fill(msg->body, size);
	return 0;
}

void work_msg_make(struct work_msg *msg, const char *user, unsigned long client,
		   unsigned long seq, unsigned long run_id)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	int hlen;
	size_t blen;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* WORK_MSG_MIN leaves room for these headers with a bounded user name */
	hlen = snprintf(msg->buf, msg->size,
		"Return-Path: <sender%lu@bench.example>\r\n"
		"Received: from mx.bench.example (mx.bench.example [127.0.0.61])\r\n"
		"\tby imap.bench.example with LMTP id %lu.%lu; %s\r\n"
		"Date: %s\r\n"
		"From: Sender %lu <sender%lu@bench.example>\r\n"
		"To: <%.80s>\r\n"
		"Subject: Status update %lu from client %lu\r\n"
		"Message-ID: <%lu.%lu.%lu@bench.example>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n"
		"Content-Transfer-Encoding: 7bit\r\n"
		"\r\n",
		seq % 97, run_id, seq, date, date, seq % 97, seq % 97, user,
		seq, client, run_id, client, seq);
	if (hlen < 0 || (size_t)hlen >= msg->size)
		hlen = 0;
	blen = msg->size - (size_t)hlen;
	memcpy(msg->buf + hlen, msg->body, blen);
	/* the message ends with a complete line and holds no bare CR */
	if (msg->buf[msg->size - 3] == '\r')
		msg->buf[msg->size - 3] = ' ';
	msg->buf[msg->size - 2] = '\r';
	msg->buf[msg->size - 1] = '\n';
}

void work_msg_free(struct work_msg *msg)
{
	free(msg->buf);
	free(msg->body);
	msg->buf = msg->body = NULL;
	msg->size = 0;
}
