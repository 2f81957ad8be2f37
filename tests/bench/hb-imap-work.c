/* hb-imap-work.c - mixed-workload IMAP benchmark (used by run-guard-bench.sh):
 * N clients, each its own user on one persistent connection, loop APPEND /
 * SELECT / FETCH / STORE / EXPUNGE / MOVE for D seconds; it prints completed
 * commands per type, ops/s, NO/BAD/errors and latency p50/p99.  The clock
 * starts when every client has logged in and filled its INBOX.  It only ever
 * connects to 127.0.0.0/8 or ::1, and only with the fixed test password. */
#include "imap-work.h"

#include <event2/bufferevent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORK_SETUP_SECS 300        /* login + prefill of every client */
#define WORK_SAMPLES_PER_SEC 50000 /* latency samples kept per type and s */

const char *const work_cmd_names[CMD_COUNT] = {
	"LOGIN", "CREATE", "APPEND", "SELECT", "FETCH flags", "FETCH body",
	"UID STORE", "STORE \\Deleted", "EXPUNGE", "MOVE", "LOGOUT"
};
static const char *const fail_names[FAIL_COUNT] = {
	"connect", "login", "timeout", "io", "protocol"
};

static void arm(struct event *ev, long secs)
{
	struct timeval tv = { secs, 0 };

	evtimer_add(ev, &tv);
}

/* The clock starts once every living client waits in PH_READY, so that
 * logins and prefills never count and all clients start together. */
static void maybe_start(struct work *work)
{
	long i;

	if (work->measuring || work->ready == 0 || work->ready < work->alive)
		return;
	work->measuring = 1;
	work->t_start = bench_now_us();
	arm(work->stop_ev, work->secs);
	arm(work->hard_ev, work->secs + work->timeout_ms / 1000 + 2);
	for (i = 0; i < work->clients; i++) {
		if (work->cl[i].phase == PH_READY)
			wclient_go(&work->cl[i]);
	}
}

void work_client_ready(struct work *work)
{
	work->ready++;
	maybe_start(work);
}

void work_client_gone(struct work *work)
{
	work->alive--;
	if (work->alive > 0) {
		maybe_start(work);
		return;
	}
	if (work->t_end == 0)
		work->t_end = bench_now_us();
	event_base_loopbreak(work->base);
}

static void stop_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct work *work = ctx;

	if (!work->stopping)
		work->t_end = bench_now_us();
	work->stopping = 1;
	if (what & EV_SIGNAL)
		work->interrupted = 1;
	if (!work->measuring)
		event_base_loopbreak(work->base);
}

static void hard_stop_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct work *work = ctx;

	if (work->t_end == 0)
		work->t_end = bench_now_us();
	event_base_loopbreak(work->base);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hb-imap-work [-H HOST] [-p PORT] [-c CLIENTS] [-t SECONDS]\n"
		"                    [-S MSG_BYTES] [-m MAX_MSGS] [-u USER_PREFIX]\n"
		"                    [-T TIMEOUT_MS] [-s SEED] [-q] [-P]\n"
		"  -P: only log in, create the mailboxes and fill INBOX, then log out\n"
		"  client K logs in as USER_PREFIX<K> with the password \"pass\" (the bench\n"
		"  backends' static passdb); INBOX is kept near MAX_MSGS, filled to half of\n"
		"  it before the clock starts.  HOST must be loopback (127.0.0.0/8 or ::1).\n");
	exit(2);
}

static int parse_args(struct work *work, int argc, char **argv,
		      const char **error_r)
{
	int opt, bad = 0;

	while ((opt = getopt(argc, argv, "H:p:c:t:S:m:u:T:s:qP")) != -1) {
		switch (opt) {
		case 'H': work->host = optarg; break;
		case 'p': bad |= bench_parse_num(optarg, 1, 65535, &work->port); break;
		case 'c': bad |= bench_parse_num(optarg, 1, WORK_MAX_CLIENTS, &work->clients); break;
		case 't': bad |= bench_parse_num(optarg, 1, 3600, &work->secs); break;
		case 'S': bad |= bench_parse_num(optarg, WORK_MSG_MIN, WORK_MSG_MAX, &work->msg_size); break;
		case 'm': bad |= bench_parse_num(optarg, 4, WORK_MAX_MSGS / 2, &work->max_msgs); break;
		case 'u': work->prefix = optarg; break;
		case 'T': bad |= bench_parse_num(optarg, 100, 600000, &work->timeout_ms); break;
		case 's': bad |= bench_parse_num(optarg, 1, 1000000000, &work->seed); break;
		case 'q': work->quiet = 1; break;
		case 'P': work->prefill_only = 1; break;
		default: usage();
		}
	}
	if (bad || optind != argc)
		usage();
	if (strlen(work->prefix) > BENCH_USER_MAX - 32) {
		*error_r = "user prefix too long";
		return -1;
	}
	snprintf(work->pattern, sizeof(work->pattern), "%s%%d", work->prefix);
	if (bench_user_pattern_check(work->pattern, error_r) < 0)
		return -1;
	return bench_target_inet(&work->target, work->host, work->port, error_r);
}

static int alloc_stats(struct work *work, const char **error_r)
{
	size_t cap = (size_t)work->secs * WORK_SAMPLES_PER_SEC;
	int i;

	if (bench_lat_init(&work->all_lat, cap, error_r) < 0)
		return -1;
	for (i = 0; i < CMD_COUNT; i++) {
		if (WORK_CMD_MEASURED(i) &&
		    bench_lat_init(&work->stats[i].lat, cap, error_r) < 0)
			return -1;
	}
	return 0;
}

static void print_table(struct work *work, double secs)
{
	int i;

	printf("target:     %s:%ld, %ld clients (users %s1..%ld), %ld-byte messages, "
	       "INBOX ~%ld, seed %ld\n", work->host, work->port, work->clients,
	       work->prefix, work->clients, work->msg_size, work->max_msgs, work->seed);
	printf("elapsed:    %.2f s, %ld loops (%.1f/s)\n", secs, work->loops,
	       work->loops / secs);
	printf("%-15s %9s %6s %6s %9s %9s %9s\n", "command", "ok", "NO", "BAD",
	       "per s", "p50 ms", "p99 ms");
	for (i = 0; i < CMD_COUNT; i++) {
		struct work_cmd_stats *st = &work->stats[i];

		if (!WORK_CMD_MEASURED(i))
			continue;
		printf("%-15s %9ld %6ld %6ld %9.1f %9.2f %9.2f\n", work_cmd_names[i],
		       st->ok, st->no, st->bad, (st->ok + st->no + st->bad) / secs,
		       bench_lat_pct_ms(&st->lat, 50), bench_lat_pct_ms(&st->lat, 99));
	}
	printf("errors:    ");
	for (i = 0; i < FAIL_COUNT; i++)
		printf(" %s %ld", fail_names[i], work->fails[i]);
	printf("\n");
}

/* The RESULT line run-guard-bench.sh reads: totals, then p99 per type. */
static void print_results(struct work *work, double cpu_s)
{
	double secs = (work->t_end - work->t_start) / 1e6;
	long ops = 0, no = 0, bad = 0, fails = 0;
	int i;

	if (secs <= 0)
		secs = 1e-6;
	for (i = 0; i < CMD_COUNT; i++) {
		ops += work->stats[i].ok + work->stats[i].no + work->stats[i].bad;
		no += work->stats[i].no;
		bad += work->stats[i].bad;
	}
	for (i = 0; i < FAIL_COUNT; i++)
		fails += work->fails[i];
	if (!work->quiet) {
		print_table(work, secs);
		printf("total:      %ld ops, %.1f ops/s, p50 %.2f ms, p99 %.2f ms; "
		       "loadgen CPU %.2f s\n", ops, ops / secs,
		       bench_lat_pct_ms(&work->all_lat, 50),
		       bench_lat_pct_ms(&work->all_lat, 99), cpu_s);
	}
	printf("RESULT ops=%ld elapsed=%.3f rate=%.2f loops=%ld no=%ld bad=%ld "
	       "errors=%ld p50_ms=%.3f p99_ms=%.3f loadgen_cpu_s=%.3f", ops, secs,
	       ops / secs, work->loops, no, bad, fails,
	       bench_lat_pct_ms(&work->all_lat, 50),
	       bench_lat_pct_ms(&work->all_lat, 99), cpu_s);
	printf(" append_p99_ms=%.3f select_p99_ms=%.3f expunge_p99_ms=%.3f\n",
	       bench_lat_pct_ms(&work->stats[CMD_APPEND].lat, 99),
	       bench_lat_pct_ms(&work->stats[CMD_SELECT].lat, 99),
	       bench_lat_pct_ms(&work->stats[CMD_EXPUNGE].lat, 99));
}

static void retry_cb(evutil_socket_t fd, short what, void *ctx)
{
	wclient_start(ctx);
}

static void print_error(const struct work *work, const char *error)
{
	int i;

	fprintf(stderr, "hb-imap-work: %s (failures:", error);
	for (i = 0; i < FAIL_COUNT; i++)
		fprintf(stderr, " %s %ld", fail_names[i], work->fails[i]);
	fprintf(stderr, ")\n");
}

static int init_clients(struct work *work, const char **error_r)
{
	long i;

	work->cl = calloc((size_t)work->clients, sizeof(*work->cl));
	if (work->cl == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (i = 0; i < work->clients; i++) {
		struct wclient *c = &work->cl[i];

		c->work = work;
		c->id = (unsigned long)i + 1;
		c->rng = ((unsigned long long)work->seed * 2654435761ULL + c->id) |
			 1ULL;
		bench_user_name(c->user, sizeof(c->user), work->pattern, c->id);
		c->retry = evtimer_new(work->base, retry_cb, c);
		if (c->retry == NULL) {
			*error_r = "evtimer_new failed";
			return -1;
		}
	}
	return 0;
}

static int run(struct work *work, const char **error_r)
{
	struct event *sig_ev;
	long i;

	if (work_msg_init(&work->msg, (size_t)work->msg_size, error_r) < 0 ||
	    alloc_stats(work, error_r) < 0 || init_clients(work, error_r) < 0)
		return -1;
	work->stop_ev = evtimer_new(work->base, stop_cb, work);
	work->hard_ev = evtimer_new(work->base, hard_stop_cb, work);
	sig_ev = evsignal_new(work->base, SIGINT, stop_cb, work);
	evsignal_add(sig_ev, NULL);
	arm(work->hard_ev, WORK_SETUP_SECS);
	work->alive = work->clients;
	for (i = 0; i < work->clients; i++)
		wclient_start(&work->cl[i]);
	if (work->alive > 0)
		event_base_dispatch(work->base);
	event_free(sig_ev);
	if (work->prefill_only && work->prefilled == work->clients)
		return 0;
	if (!work->measuring) {
		*error_r = work->interrupted ? "interrupted during setup" :
			"setup did not finish (login or prefill failed; see the Dovecot log)";
		return -1;
	}
	return 0;
}

/* Frees what run() allocated; each part may be missing after an error. */
static void work_free(struct work *work)
{
	long i;

	for (i = 0; work->cl != NULL && i < work->clients; i++) {
		if (work->cl[i].bev != NULL)
			bufferevent_free(work->cl[i].bev);
		if (work->cl[i].retry != NULL)
			event_free(work->cl[i].retry);
	}
	free(work->cl);
	for (i = 0; i < CMD_COUNT; i++)
		bench_lat_free(&work->stats[i].lat);
	bench_lat_free(&work->all_lat);
	work_msg_free(&work->msg);
	if (work->stop_ev != NULL)
		event_free(work->stop_ev);
	if (work->hard_ev != NULL)
		event_free(work->hard_ev);
}

int main(int argc, char **argv)
{
	struct work work = {
		.host = "127.0.0.1", .prefix = "work", .port = 143, .clients = 4,
		.secs = 20, .msg_size = 4096, .max_msgs = 100, .timeout_ms = 30000,
		.seed = 1,
	};
	const char *error = NULL;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (parse_args(&work, argc, argv, &error) < 0) {
		fprintf(stderr, "hb-imap-work: %s\n", error);
		return 2;
	}
	if ((work.base = event_base_new()) == NULL) {
		fprintf(stderr, "hb-imap-work: event_base_new failed\n");
		return 1;
	}
	work.run_id = (unsigned long)time(NULL);
	ret = run(&work, &error);
	if (ret < 0)
		print_error(&work, error);
	else if (work.prefill_only)
		printf("RESULT prefilled=%ld\n", work.prefilled);
	else
		print_results(&work, bench_self_cpu_s());
	work_free(&work);
	event_base_free(work.base);
	if (work.interrupted) {
		/* die by SIGINT so that a calling shell stops too */
		fflush(stdout);
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	return ret < 0 ? 1 : 0;
}
