/* imap-work-session.c - one hb-imap-work client: a persistent IMAP session
 * that logs in, creates the second mailbox, fills INBOX to half its bound,
 * waits for the others, then loops APPEND / SELECT / FETCH / STORE /
 * EXPUNGE / MOVE until the run stops.  One command is in flight at a time;
 * server lines are classified by imap-work-reply.c only. */
#include "imap-work.h"
#include "imap-work-reply.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_CMD_LINE 1024

/* The steps of one loop, in order; a step whose condition does not hold
 * (nothing to delete, not this loop's turn to move) is skipped. */
enum work_step { STEP_APPEND, STEP_SELECT, STEP_FETCH_FLAGS, STEP_FETCH_BODY,
		 STEP_STORE, STEP_DELETE, STEP_EXPUNGE, STEP_MOVE, STEP_COUNT };

static const char *const store_flags[] = {
	"\\Seen", "\\Flagged", "$Work", "$Later"
};

static void set_timeouts(struct wclient *c, int on)
{
	long ms = c->work->timeout_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	bufferevent_set_timeouts(c->bev, on ? &tv : NULL, on ? &tv : NULL);
}

static unsigned long rnd(struct wclient *c, unsigned long n)
{
	return n == 0 ? 0 : bench_rand_next(&c->rng) % n;
}

/* Sends "w<tag> <FMT...>\r\n" and makes CMD the command in flight.  Every
 * format used here is short and fixed, so an overlong line is a bug. */
static void __attribute__((format(printf, 3, 4)))
send_cmd(struct wclient *c, enum work_cmd cmd, const char *fmt, ...)
{
	char line[WORK_CMD_LINE];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%c%lu ", WORK_TAG_CHAR, ++c->tag);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof(line) - (size_t)n - 2) {
		wclient_close(c, FAIL_PROTO, 0);
		return;
	}
	memcpy(line + n + m, "\r\n", 2);
	c->cmd = cmd;
	c->cmd_start_us = bench_now_us();
	bufferevent_write(c->bev, line, (size_t)(n + m + 2));
}

static void send_append(struct wclient *c)
{
	c->append_waiting = 1;
	send_cmd(c, CMD_APPEND, "APPEND INBOX {%zu}", c->work->msg.size);
}

/* The literal of an APPEND, after the server's "+". */
static void send_literal(struct wclient *c)
{
	struct work *work = c->work;

	c->append_waiting = 0;
	work_msg_make(&work->msg, c->user, c->id, ++work->msg_seq, work->run_id);
	bufferevent_write(c->bev, work->msg.buf, work->msg.size);
	bufferevent_write(c->bev, "\r\n", 2);
}

static unsigned long rnd_seq(struct wclient *c)
{
	return 1 + rnd(c, c->exists);
}

/* A UID seen by the last FETCH 1:*, 0 if none could be found. */
static unsigned long rnd_uid(struct wclient *c)
{
	int i;

	for (i = 0; i < 8 && c->nuids > 0; i++) {
		unsigned long uid = c->uids[rnd(c, c->nuids)];

		if (uid != 0)
			return uid;
	}
	return 0;
}

static int step_store(struct wclient *c)
{
	unsigned long u1 = rnd_uid(c), u2 = rnd_uid(c);
	const char *flag = store_flags[rnd(c, sizeof(store_flags) / sizeof(store_flags[0]))];

	if (u1 == 0 || u2 == 0)
		return 0;
	send_cmd(c, CMD_STORE, "UID STORE %lu,%lu +FLAGS (%s)", u1, u2, flag);
	return 1;
}

static int step_delete(struct wclient *c)
{
	unsigned long a, b;

	if (c->exists <= (unsigned long)c->work->max_msgs)
		return 0;
	a = rnd_seq(c);
	b = a % c->exists + 1;   /* a different message */
	c->expunge_due = 1;
	send_cmd(c, CMD_DELETE, "STORE %lu,%lu +FLAGS.SILENT (\\Deleted)", a, b);
	return 1;
}

/* Sends the command of STEP; 0 if the step does not apply now. */
static int try_step(struct wclient *c, enum work_step step)
{
	switch (step) {
	case STEP_APPEND:
		send_append(c);
		return 1;
	case STEP_SELECT:
		send_cmd(c, CMD_SELECT, "SELECT INBOX");
		return 1;
	case STEP_FETCH_FLAGS:
		if (c->exists == 0)
			return 0;
		c->nuids = 0;
		send_cmd(c, CMD_FETCH_FLAGS, "FETCH 1:* (UID FLAGS)");
		return 1;
	case STEP_FETCH_BODY:
		if (c->exists == 0)
			return 0;
		send_cmd(c, CMD_FETCH_BODY, "FETCH %lu,%lu,%lu BODY.PEEK[]",
			 rnd_seq(c), rnd_seq(c), rnd_seq(c));
		return 1;
	case STEP_STORE:
		return step_store(c);
	case STEP_DELETE:
		return step_delete(c);
	case STEP_EXPUNGE:
		if (!c->expunge_due)
			return 0;
		c->expunge_due = 0;
		send_cmd(c, CMD_EXPUNGE, "EXPUNGE");
		return 1;
	case STEP_MOVE:
		if (c->exists == 0 || rnd(c, WORK_MOVE_EVERY) != 0)
			return 0;
		send_cmd(c, CMD_MOVE, "MOVE %lu %s", rnd_seq(c), WORK_ARCHIVE);
		return 1;
	default:
		return 0;
	}
}

/* Sends the next command of the loop (STEP_APPEND always applies, so this
 * ends within one loop). */
static void loop_next(struct wclient *c)
{
	for (;;) {
		enum work_step step = (enum work_step)(c->step % STEP_COUNT);

		c->step = (c->step + 1) % STEP_COUNT;
		if (step == STEP_APPEND && c->work->measuring && !c->work->stopping)
			c->work->loops++;
		if (try_step(c, step))
			return;
	}
}

static void setup_done(struct wclient *c)
{
	if (c->work->prefill_only) {
		c->work->prefilled++;
		c->phase = PH_LOGOUT;
		send_cmd(c, CMD_LOGOUT, "LOGOUT");
		return;
	}
	if (c->work->measuring) {
		/* a reconnect during the run: straight back into the loop */
		c->phase = PH_LOOP;
		loop_next(c);
		return;
	}
	c->phase = PH_READY;
	set_timeouts(c, 0);   /* waiting for the others is not a timeout */
	work_client_ready(c->work);
}

/* Setup: LOGIN, CREATE Archive (NO if it exists is fine), SELECT INBOX,
 * then APPENDs up to half the mailbox bound.  None of it is measured. */
static void setup_after(struct wclient *c, enum work_status status)
{
	long half = c->work->max_msgs / 2;

	if (status != STATUS_OK && c->cmd != CMD_CREATE) {
		wclient_close(c, c->cmd == CMD_LOGIN ? FAIL_LOGIN : FAIL_PROTO, 0);
		return;
	}
	switch (c->cmd) {
	case CMD_LOGIN:
		send_cmd(c, CMD_CREATE, "CREATE %s", WORK_ARCHIVE);
		return;
	case CMD_CREATE:
		send_cmd(c, CMD_SELECT, "SELECT INBOX");
		return;
	case CMD_SELECT:
		c->prefill = (long)c->exists < half ? half - (long)c->exists : 0;
		break;
	default:
		c->prefill--;
		break;
	}
	if (c->prefill > 0)
		send_append(c);
	else
		setup_done(c);
}

static void record(struct wclient *c, enum work_status status)
{
	struct work *work = c->work;
	struct work_cmd_stats *st = &work->stats[c->cmd];
	uint64_t us = bench_now_us() - c->cmd_start_us;

	if (!WORK_CMD_MEASURED(c->cmd) || c->phase != PH_LOOP ||
	    !work->measuring || work->stopping)
		return;
	if (status == STATUS_OK)
		st->ok++;
	else if (status == STATUS_NO)
		st->no++;
	else
		st->bad++;
	bench_lat_add(&st->lat, us);
	bench_lat_add(&work->all_lat, us);
}

static void on_tagged(struct wclient *c, enum work_status status)
{
	record(c, status);
	if (c->phase == PH_LOGOUT) {
		wclient_close(c, FAIL_COUNT, 0);
	} else if (c->work->stopping) {
		c->phase = PH_LOGOUT;
		send_cmd(c, CMD_LOGOUT, "LOGOUT");
	} else if (c->phase == PH_SETUP) {
		setup_after(c, status);
	} else {
		loop_next(c);
	}
}

/* Keeps the known UIDs in sequence order as the server reports them. */
static void on_fetch(struct wclient *c, const struct work_reply *r)
{
	if (r->uid == 0 || r->num == 0 || r->num > WORK_MAX_MSGS)
		return;
	while (c->nuids < r->num - 1)
		c->uids[c->nuids++] = 0;
	c->uids[r->num - 1] = r->uid;
	if (c->nuids < r->num)
		c->nuids = r->num;
}

static void on_expunge(struct wclient *c, unsigned long num)
{
	if (c->exists > 0)
		c->exists--;
	if (num == 0 || num > c->nuids)
		return;
	memmove(&c->uids[num - 1], &c->uids[num],
		(c->nuids - num) * sizeof(c->uids[0]));
	c->nuids--;
}

static void on_greeting(struct wclient *c, const char *line)
{
	if (strncmp(line, "* OK", 4) != 0) {
		wclient_close(c, FAIL_CONNECT, 1);
		return;
	}
	c->phase = PH_SETUP;
	send_cmd(c, CMD_LOGIN, "LOGIN \"%s\" \"%s\"", c->user, WORK_PASSWORD);
}

/* One complete server line (a literal it announces is skipped by the
 * caller afterwards). */
static void on_line(struct wclient *c, const char *line, size_t len)
{
	struct work_reply r;

	if (work_reply_parse(line, len, &r) < 0) {
		wclient_close(c, FAIL_PROTO, 1);
		return;
	}
	c->literal_left = r.literal;
	if (c->phase == PH_GREETING) {
		on_greeting(c, line);
		return;
	}
	switch (r.kind) {
	case REPLY_CONT:
		if (!c->append_waiting)
			wclient_close(c, FAIL_PROTO, 1);
		else
			send_literal(c);
		break;
	case REPLY_EXISTS:
		c->exists = r.num;
		break;
	case REPLY_EXPUNGE:
		on_expunge(c, r.num);
		break;
	case REPLY_FETCH:
		on_fetch(c, &r);
		break;
	case REPLY_TAGGED:
		if (r.tag != c->tag)
			wclient_close(c, FAIL_PROTO, 1);
		else
			on_tagged(c, r.status);
		break;
	default:
		break;   /* BYE: the close follows; others are not used */
	}
}

/* Skips literal bytes and handles every complete line; a partial line
 * stays buffered, an endless one is a protocol error.  Stops as soon as a
 * handler closed the session (c->bev changed). */
static void read_cb(struct bufferevent *bev, void *ctx)
{
	struct wclient *c = ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	for (;;) {
		if (c->literal_left > 0) {
			size_t n = evbuffer_get_length(in);

			if (n == 0)
				return;
			if (n > c->literal_left)
				n = c->literal_left;
			evbuffer_drain(in, n);
			c->literal_left -= n;
			continue;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
		if (line == NULL)
			break;
		on_line(c, line, len);
		free(line);
		if (c->bev != bev)
			return;
	}
	if (evbuffer_get_length(in) > WORK_MAX_LINE)
		wclient_close(c, FAIL_PROTO, 1);
}

static void event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct wclient *c = ctx;

	if (what & BEV_EVENT_CONNECTED) {
		c->phase = PH_GREETING;
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		wclient_close(c, FAIL_TIMEOUT, 1);
	else if (c->phase == PH_LOGOUT)
		wclient_close(c, FAIL_COUNT, 0);   /* closed after BYE */
	else
		wclient_close(c, c->phase == PH_CONNECTING ? FAIL_CONNECT : FAIL_IO, 1);
}

void wclient_start(struct wclient *c)
{
	struct work *work = c->work;
	struct bufferevent *bev;

	if (work->stopping) {
		c->phase = PH_DONE;
		work_client_gone(work);
		return;
	}
	c->phase = PH_CONNECTING;
	c->tag = 0;
	c->exists = c->nuids = 0;
	c->step = 0;
	c->expunge_due = c->append_waiting = 0;
	c->literal_left = 0;
	bev = bufferevent_socket_new(work->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if ((c->bev = bev) == NULL) {
		wclient_close(c, FAIL_CONNECT, 1);
		return;
	}
	bufferevent_setcb(bev, read_cb, NULL, event_cb, c);
	set_timeouts(c, 1);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* on a hard failure libevent may already have run event_cb, which
	 * closed the session */
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&work->target.addr,
				       (int)work->target.addrlen) < 0 && c->bev == bev)
		wclient_close(c, FAIL_CONNECT, 1);
}

void wclient_go(struct wclient *c)
{
	c->phase = PH_LOOP;
	set_timeouts(c, 1);
	loop_next(c);
}

void wclient_close(struct wclient *c, enum work_fail fail, int reconnect)
{
	struct work *work = c->work;
	struct timeval tv = { 0, WORK_RETRY_US };

	if (fail != FAIL_COUNT)
		work->fails[fail]++;
	if (c->phase == PH_READY)
		work->ready--;
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	/* before the clock runs a failure means a broken setup: no retry */
	if (reconnect && work->measuring && !work->stopping) {
		c->phase = PH_IDLE;
		evtimer_add(c->retry, &tv);
		return;
	}
	c->phase = PH_DONE;
	work_client_gone(work);
}
