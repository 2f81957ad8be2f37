/* imap-work.h - shared state of hb-imap-work, the mixed-workload IMAP
 * benchmark: the run (struct work) and one persistent client session
 * (struct wclient).  hb-imap-work.c runs the clock and the report;
 * imap-work-session.c speaks IMAP for one client.  Only loopback targets. */
#ifndef IMAP_WORK_H
#define IMAP_WORK_H

#include "bench-stats.h"
#include "bench-target.h"
#include "imap-work-msg.h"

#include <event2/event.h>

#define WORK_MAX_CLIENTS 500
#define WORK_MAX_MSGS 4096        /* UIDs a client remembers; bounds -m */
#define WORK_MAX_LINE 65536       /* longest server line accepted */
#define WORK_FETCH_BODIES 3       /* messages per FETCH BODY.PEEK[] */
#define WORK_MOVE_EVERY 4         /* one loop in N moves a message */
#define WORK_RETRY_US 10000       /* pause before reconnecting */
#define WORK_ARCHIVE "Archive"    /* the second mailbox */
#define WORK_PASSWORD "pass"      /* the static passdb of the bench backends */

/* Commands in the order a loop sends them; those before CMD_APPEND and
 * CMD_LOGOUT are session setup and are not counted as operations. */
enum work_cmd {
	CMD_LOGIN, CMD_CREATE, CMD_APPEND, CMD_SELECT, CMD_FETCH_FLAGS,
	CMD_FETCH_BODY, CMD_STORE, CMD_DELETE, CMD_EXPUNGE, CMD_MOVE,
	CMD_LOGOUT, CMD_COUNT
};
#define WORK_CMD_MEASURED(cmd) ((cmd) >= CMD_APPEND && (cmd) <= CMD_MOVE)

enum work_fail { FAIL_CONNECT, FAIL_LOGIN, FAIL_TIMEOUT, FAIL_IO,
		 FAIL_PROTO, FAIL_COUNT };

enum wclient_phase { PH_IDLE, PH_CONNECTING, PH_GREETING, PH_SETUP,
		     PH_READY, PH_LOOP, PH_LOGOUT, PH_DONE };

struct work_cmd_stats {
	long ok, no, bad;
	struct bench_lat lat;
};

struct work;
struct wclient {
	struct work *work;
	unsigned long id;               /* 1..clients: user number too */
	struct bufferevent *bev;
	struct event *retry;
	enum wclient_phase phase;
	enum work_cmd cmd;              /* command in flight */
	unsigned long tag;              /* its tag number */
	uint64_t cmd_start_us;
	int append_waiting;             /* APPEND sent, literal not yet */
	int expunge_due;                /* \Deleted set: EXPUNGE next */
	long prefill;                   /* setup APPENDs still to do */
	int step;                       /* position in the loop */
	unsigned long literal_left;     /* bytes of a literal still to skip */
	unsigned long exists;
	unsigned long nuids, uids[WORK_MAX_MSGS];   /* by sequence number */
	unsigned long long rng;
	char user[BENCH_USER_MAX];
};

struct work {
	struct event_base *base;
	struct bench_target target;
	const char *host, *prefix;
	char pattern[BENCH_USER_MAX];
	long port, clients, secs, msg_size, max_msgs, timeout_ms, seed;
	int quiet, prefill_only, measuring, stopping, interrupted;
	long ready, alive;
	long prefilled;                 /* -P: clients whose setup finished */
	long loops, fails[FAIL_COUNT];
	unsigned long msg_seq, run_id;  /* Message-IDs: run_id.client.seq */
	uint64_t t_start, t_end;
	struct event *stop_ev, *hard_ev;
	struct work_msg msg;
	struct work_cmd_stats stats[CMD_COUNT];
	struct bench_lat all_lat;
	struct wclient *cl;
};

extern const char *const work_cmd_names[CMD_COUNT];

/* imap-work-session.c */
void wclient_start(struct wclient *c);
/* Ends the session (a failure is counted unless FAIL is FAIL_COUNT) and, if
 * RECONNECT, schedules a new one. */
void wclient_close(struct wclient *c, enum work_fail fail, int reconnect);
/* Starts the loop of a client waiting in PH_READY. */
void wclient_go(struct wclient *c);

/* hb-imap-work.c: a client finished its setup / left for good. */
void work_client_ready(struct work *work);
void work_client_gone(struct work *work);

#endif
