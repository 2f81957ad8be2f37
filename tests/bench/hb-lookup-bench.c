/* hb-lookup-bench.c - drives the director's lookup protocol (docs/DESIGN.md, 3)
 * like the passdb module: send "LOOKUP\tID\tSERVICE\tUSER\n" on the unix
 * socket, read one line; with -k over kept connections (as the module does),
 * else with a connect per request.  P requests run in parallel over K lookups
 * of users drawn from 1..U; prints lookups/s and p50/p99.
 * With -L it instead preloads U assignments into Redis (bench-preload.c). */
#include "bench-preload.h"
#include "bench-stats.h"
#include "bench-target.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LB_MAX_PARALLEL 1000
#define LB_MAX_LINE 1024      /* HB_PROTO_MAX_LINE */
#define LB_RETRY_US 10000

enum lb_outcome { LB_OK, LB_TEMPFAIL, LB_FAIL, LB_ERROR, LB_CONNECT,
		  LB_TIMEOUT, LB_IO, LB_PROTO, LB_COUNT };
static const char *const lb_names[LB_COUNT] = {
	"OK", "TEMPFAIL", "FAIL", "ERROR", "connect", "timeout", "io", "protocol"
};

struct lbench;
struct worker {
	struct lbench *lb;
	struct bufferevent *bev;
	struct event *restart;
	uint64_t start_us;
	unsigned long seq;
	int idx;
	char id[40];
};

struct lbench {
	struct event_base *base;
	struct bench_target target;
	const char *socket, *pattern, *service;
	long parallel, users, count, secs, timeout_ms;
	int keepalive, quiet, stopping, interrupted;
	unsigned long long seed;
	long started, active;
	long outcomes[LB_COUNT];
	uint64_t t_start, t_end;
	struct bench_lat lat;
	struct worker *w;
};

static void worker_start(struct worker *w);

static void worker_finish(struct worker *w, enum lb_outcome out, int keep)
{
	struct timeval tv = { 0, out <= LB_FAIL ? 0 : LB_RETRY_US };

	w->lb->outcomes[out]++;
	if (out <= LB_FAIL)
		bench_lat_add(&w->lb->lat, bench_now_us() - w->start_us);
	if (keep && w->lb->keepalive && out <= LB_FAIL) {
		worker_start(w);
		return;
	}
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
	}
	evtimer_add(w->restart, &tv);
}

/* Sends one LOOKUP on the worker's (new or kept) connection. */
static void worker_send(struct worker *w)
{
	struct lbench *lb = w->lb;
	unsigned long n = bench_rand_next(&lb->seed) % (unsigned long)lb->users + 1;
	char user[BENCH_USER_MAX], line[LB_MAX_LINE];
	int len;

	bench_user_name(user, sizeof(user), lb->pattern, n);
	snprintf(w->id, sizeof(w->id), "w%d-%lu", w->idx, ++w->seq);
	len = snprintf(line, sizeof(line), "LOOKUP\t%s\t%s\t%s\n", w->id,
		       lb->service, user);
	bufferevent_write(w->bev, line, (size_t)len);
}

/* Classifies a reply line; the reply must carry our request id. */
static enum lb_outcome reply_outcome(const struct worker *w, const char *line)
{
	static const char *const kinds[] = { "OK\t", "TEMPFAIL\t", "FAIL\t", "ERROR\t" };
	size_t i, klen, idlen = strlen(w->id);

	for (i = 0; i < 4; i++) {
		klen = strlen(kinds[i]);
		if (strncmp(line, kinds[i], klen) != 0)
			continue;
		if (i == LB_ERROR)
			return LB_ERROR;
		if (strncmp(line + klen, w->id, idlen) != 0 || line[klen + idlen] != '\t')
			return LB_PROTO;
		return (enum lb_outcome)i;
	}
	return LB_PROTO;
}

static void worker_read_cb(struct bufferevent *bev, void *ctx)
{
	struct worker *w = ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);

	if (line == NULL) {
		if (evbuffer_get_length(in) > LB_MAX_LINE)
			worker_finish(w, LB_PROTO, 0);
		return;
	}
	worker_finish(w, reply_outcome(w, line), evbuffer_get_length(in) == 0);
	free(line);
}

static void worker_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct worker *w = ctx;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		worker_finish(w, LB_TIMEOUT, 0);
	else if (what & BEV_EVENT_EOF)
		worker_finish(w, LB_IO, 0);
	else
		worker_finish(w, LB_CONNECT, 0);
}

static int worker_connect(struct worker *w)
{
	struct lbench *lb = w->lb;
	struct timeval tv = { lb->timeout_ms / 1000, (lb->timeout_ms % 1000) * 1000 };

	w->bev = bufferevent_socket_new(lb->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (w->bev == NULL)
		return -1;
	bufferevent_setcb(w->bev, worker_read_cb, NULL, worker_event_cb, w);
	bufferevent_set_timeouts(w->bev, &tv, &tv);
	bufferevent_enable(w->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(w->bev, (struct sockaddr *)&lb->target.addr,
				       (int)lb->target.addrlen) < 0)
		return w->bev != NULL ? -1 : 1;
	return 0;
}

static void worker_start(struct worker *w)
{
	struct lbench *lb = w->lb;
	int r;

	if (lb->stopping || lb->started >= lb->count) {
		if (w->bev != NULL) {
			bufferevent_free(w->bev);
			w->bev = NULL;
		}
		if (--lb->active == 0) {
			lb->t_end = bench_now_us();
			event_base_loopbreak(lb->base);
		}
		return;
	}
	lb->started++;
	w->start_us = bench_now_us();
	if (w->bev == NULL && (r = worker_connect(w)) != 0) {
		if (r < 0)   /* r > 0: the event callback already finished it */
			worker_finish(w, LB_CONNECT, 0);
		return;
	}
	worker_send(w);
}

static void restart_cb(evutil_socket_t fd, short what, void *ctx)
{
	worker_start(ctx);
}

static void stop_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct lbench *lb = ctx;

	lb->stopping = 1;
	if (what & EV_SIGNAL)
		lb->interrupted = 1;
}

static void hard_stop_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct lbench *lb = ctx;

	lb->t_end = bench_now_us();
	event_base_loopbreak(lb->base);
}

static void print_results(struct lbench *lb, double cpu_s)
{
	double secs = (lb->t_end - lb->t_start) / 1e6;
	long answered = lb->outcomes[LB_OK] + lb->outcomes[LB_TEMPFAIL] + lb->outcomes[LB_FAIL];
	int i;

	if (secs <= 0)
		secs = 1e-6;
	if (!lb->quiet) {
		printf("target:    %s, %ld parallel, %s, users %s x %ld%s\n", lb->socket,
		       lb->parallel, lb->service, lb->pattern, lb->users,
		       lb->keepalive ? ", kept connections" : ", one connection per lookup");
		printf("replies:  ");
		for (i = 0; i < LB_COUNT; i++)
			printf(" %s %ld", lb_names[i], lb->outcomes[i]);
		printf("\nelapsed:   %.2f s\nlookups/s: %.0f\n", secs, answered / secs);
		printf("latency:   p50 %.3f ms, p99 %.3f ms\n", bench_lat_pct_ms(&lb->lat, 50),
		       bench_lat_pct_ms(&lb->lat, 99));
		printf("bench CPU: %.2f s\n", cpu_s);
	}
	printf("RESULT lookups=%ld ok=%ld errors=%ld elapsed=%.3f rate=%.1f p50_ms=%.3f "
	       "p99_ms=%.3f bench_cpu_s=%.3f\n", answered, lb->outcomes[LB_OK],
	       lb->started - lb->outcomes[LB_OK], secs, answered / secs,
	       bench_lat_pct_ms(&lb->lat, 50), bench_lat_pct_ms(&lb->lat, 99), cpu_s);
}

static int lb_run(struct lbench *lb, const char **error_r)
{
	struct timeval run_tv = { lb->secs, 0 };
	struct timeval hard_tv = { lb->secs + lb->timeout_ms / 1000 + 2, 0 };
	struct event *stop_ev, *hard_ev, *sig_ev;
	long i;

	if (bench_target_unix(&lb->target, lb->socket, error_r) < 0 ||
	    bench_user_pattern_check(lb->pattern, error_r) < 0 ||
	    bench_lat_init(&lb->lat, (size_t)lb->count, error_r) < 0)
		return -1;
	if ((lb->base = event_base_new()) == NULL ||
	    (lb->w = calloc((size_t)lb->parallel, sizeof(*lb->w))) == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	stop_ev = evtimer_new(lb->base, stop_cb, lb);
	hard_ev = evtimer_new(lb->base, hard_stop_cb, lb);
	sig_ev = evsignal_new(lb->base, SIGINT, stop_cb, lb);
	evtimer_add(stop_ev, &run_tv);
	evtimer_add(hard_ev, &hard_tv);
	evsignal_add(sig_ev, NULL);
	lb->t_start = bench_now_us();
	for (i = 0; i < lb->parallel; i++) {
		lb->w[i].lb = lb;
		lb->w[i].idx = (int)i;
		lb->w[i].restart = evtimer_new(lb->base, restart_cb, &lb->w[i]);
		lb->active++;
		worker_start(&lb->w[i]);
	}
	if (lb->active > 0)
		event_base_dispatch(lb->base);
	for (i = 0; i < lb->parallel; i++) {
		if (lb->w[i].bev != NULL)
			bufferevent_free(lb->w[i].bev);
		event_free(lb->w[i].restart);
	}
	event_free(stop_ev);
	event_free(hard_ev);
	event_free(sig_ev);
	free(lb->w);
	event_base_free(lb->base);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hb-lookup-bench -s SOCKET [-c PARALLEL] [-n LOOKUPS] [-t MAX_SECONDS]\n"
		"                       [-U USERS] [-u PATTERN] [-S SERVICE] [-T TIMEOUT_MS] [-k] [-q]\n"
		"       hb-lookup-bench -L -r REDIS -b B1,B2,.. -U USERS [-x PREFIX] [-e EXPIRE_S] [-u PATTERN]\n"
		"  REDIS is /path/to/socket or a loopback HOST:PORT; -k keeps one connection\n"
		"  per worker instead of connecting per lookup (the passdb module connects per lookup).\n");
	exit(2);
}

static int preload_main(struct bench_preload *pl)
{
	const char *error = NULL;
	double secs;

	if (pl->redis == NULL || pl->backends == NULL)
		usage();
	if (bench_preload_run(pl, &secs, &error) < 0) {
		fprintf(stderr, "hb-lookup-bench: preload: %s\n", error);
		return 1;
	}
	printf("RESULT preloaded=%ld elapsed=%.3f rate=%.0f\n", pl->users, secs,
	       pl->users / (secs > 0 ? secs : 1e-6));
	return 0;
}

int main(int argc, char **argv)
{
	struct lbench lb = {
		.pattern = "u%d@example.com", .service = "imap", .parallel = 8,
		.users = 1000, .count = 100000, .secs = 60, .timeout_ms = 5000,
		.seed = 88172645463325252ULL,
	};
	struct bench_preload pl = { .prefix = "hb:", .expire_s = 900 };
	const char *error = NULL;
	int opt, bad = 0, preload = 0;

	while ((opt = getopt(argc, argv, "s:c:n:t:U:u:S:T:kqLr:b:x:e:")) != -1) {
		switch (opt) {
		case 's': lb.socket = optarg; break;
		case 'c': bad |= bench_parse_num(optarg, 1, LB_MAX_PARALLEL, &lb.parallel); break;
		case 'n': bad |= bench_parse_num(optarg, 1, BENCH_MAX_SAMPLES, &lb.count); break;
		case 't': bad |= bench_parse_num(optarg, 1, 3600, &lb.secs); break;
		case 'U': bad |= bench_parse_num(optarg, 1, 100000000, &lb.users); break;
		case 'u': lb.pattern = optarg; break;
		case 'S': lb.service = optarg; break;
		case 'T': bad |= bench_parse_num(optarg, 10, 600000, &lb.timeout_ms); break;
		case 'k': lb.keepalive = 1; break;
		case 'q': lb.quiet = 1; break;
		case 'L': preload = 1; break;
		case 'r': pl.redis = optarg; break;
		case 'b': pl.backends = optarg; break;
		case 'x': pl.prefix = optarg; break;
		case 'e': bad |= bench_parse_num(optarg, 1, 100000000, &pl.expire_s); break;
		default: usage();
		}
	}
	if (bad || optind != argc || strpbrk(lb.service, "\t\n ") != NULL)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (preload) {
		pl.users = lb.users;
		pl.pattern = lb.pattern;
		return preload_main(&pl);
	}
	if (lb.socket == NULL)
		usage();
	if (lb_run(&lb, &error) < 0) {
		fprintf(stderr, "hb-lookup-bench: %s\n", error);
		bench_lat_free(&lb.lat);
		return 1;
	}
	print_results(&lb, bench_self_cpu_s());
	bench_lat_free(&lb.lat);
	if (lb.interrupted) {
		/* Die by SIGINT so that a calling shell stops too. */
		fflush(stdout);
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	return lb.outcomes[LB_OK] > 0 ? 0 : 1;
}
