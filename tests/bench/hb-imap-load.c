/* hb-imap-load.c - IMAP load generator for the director benchmark: N parallel
 * clients do LOGIN / SELECT INBOX / LOGOUT against a loopback HOST:PORT, bounded
 * by a login count and by time, and print logins/s, failures and latency;
 * with -l, one line per session (for the system tests' fault scenarios).
 * It only ever connects to 127.0.0.0/8 or ::1 (bench-target.c refuses others). */
#include "bench-stats.h"
#include "bench-target.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOAD_MAX_CLIENTS 1000
#define LOAD_MAX_LINE 16384
#define LOAD_PASS_MAX 128
#define LOAD_RETRY_US 10000   /* pause after a failed session */
#define LOAD_LOG_LINE_MAX 120  /* of a server line quoted in the -l log */

enum client_state { ST_CONNECTING, ST_GREETING, ST_LOGIN, ST_SELECT, ST_LOGOUT };
enum outcome { OUT_OK, OUT_CONNECT, OUT_GREETING, OUT_LOGIN, OUT_SELECT,
	       OUT_TIMEOUT, OUT_IO, OUT_PROTO, OUT_COUNT };
static const char *const outcome_names[OUT_COUNT] = {
	"ok", "connect", "greeting", "login", "select", "timeout", "io", "protocol"
};

struct load;
struct client {
	struct load *load;
	struct bufferevent *bev;
	struct event *restart;
	enum client_state state;
	uint64_t start_us;
	long long start_wall_ms;
	char user[BENCH_USER_MAX];
	char last[LOAD_LOG_LINE_MAX + 1];   /* last line the server sent */
};

struct load {
	struct event_base *base;
	struct bench_target target;
	const char *host, *pattern;
	long port, clients, users, max_logins, secs, timeout_ms;
	char password[LOAD_PASS_MAX];
	unsigned long long seed;
	int quiet, sequential, stopping, interrupted;
	unsigned long next_user;
	long started, active, logins;
	long outcomes[OUT_COUNT];
	uint64_t t_start, t_end;
	struct bench_lat lat;
	struct client *cl;
	FILE *log;                 /* -l: one line per session, or NULL */
};

static long long wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* -l: "START_MS END_MS USER OUTCOME LAST_SERVER_LINE" (wall clock) */
static void client_log(const struct client *c, enum outcome out);

static void client_start(struct client *c);

static void load_maybe_done(struct load *load)
{
	if (load->active == 0) {
		load->t_end = bench_now_us();
		event_base_loopbreak(load->base);
	}
}

/* Ends the current session of C and schedules its next one (never recursing
 * into connect from here, so synchronous failures cannot nest). */
static void client_finish(struct client *c, enum outcome out)
{
	struct timeval tv = { 0, out == OUT_OK ? 0 : LOAD_RETRY_US };

	c->load->outcomes[out]++;
	client_log(c, out);
	c->last[0] = '\0';
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	evtimer_add(c->restart, &tv);
}

static int client_send(struct client *c, const char *line)
{
	return bufferevent_write(c->bev, line, strlen(line));
}

static void client_send_login(struct client *c)
{
	struct load *load = c->load;
	unsigned long n = load->sequential ? load->next_user++ :
		bench_rand_next(&load->seed);
	char line[BENCH_USER_MAX + LOAD_PASS_MAX + 32];

	n = n % (unsigned long)load->users + 1;

	bench_user_name(c->user, sizeof(c->user), load->pattern, n);
	snprintf(line, sizeof(line), "a1 LOGIN \"%s\" \"%s\"\r\n", c->user,
		 load->password);
	client_send(c, line);
	c->state = ST_LOGIN;
}

/* Tagged reply of TAG?  Returns 1 for OK, 0 for NO/BAD, -1 if not tagged. */
static int tagged_reply(const char *line, const char *tag)
{
	size_t len = strlen(tag);

	if (strncmp(line, tag, len) != 0 || line[len] != ' ')
		return -1;
	return strncmp(line + len + 1, "OK", 2) == 0 ? 1 : 0;
}

/* Handles one server line; returns 1 when the session has ended. */
static int client_line(struct client *c, const char *line)
{
	struct load *load = c->load;
	int r;

	if (c->state == ST_GREETING) {
		if (strncmp(line, "* OK", 4) != 0)
			return client_finish(c, OUT_GREETING), 1;
		client_send_login(c);
		return 0;
	}
	if (line[0] == '*')
		return 0;
	switch (c->state) {
	case ST_LOGIN:
		if ((r = tagged_reply(line, "a1")) < 0)
			break;
		if (r == 0)
			return client_finish(c, OUT_LOGIN), 1;
		load->logins++;
		bench_lat_add(&load->lat, bench_now_us() - c->start_us);
		client_send(c, "a2 SELECT INBOX\r\n");
		c->state = ST_SELECT;
		return 0;
	case ST_SELECT:
		if ((r = tagged_reply(line, "a2")) < 0)
			break;
		if (r == 0)
			return client_finish(c, OUT_SELECT), 1;
		client_send(c, "a3 LOGOUT\r\n");
		c->state = ST_LOGOUT;
		return 0;
	case ST_LOGOUT:
		if (tagged_reply(line, "a3") < 0)
			break;
		return client_finish(c, OUT_OK), 1;
	default:
		break;
	}
	return client_finish(c, OUT_PROTO), 1;
}

/* Reads every complete line; a partial line stays buffered until the rest
 * arrives, and an endless line is a protocol error. */
static void client_read_cb(struct bufferevent *bev, void *ctx)
{
	struct client *c = ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		int done;

		snprintf(c->last, sizeof(c->last), "%s", line);
		done = client_line(c, line);

		free(line);
		if (done)
			return;
	}
	if (evbuffer_get_length(in) > LOAD_MAX_LINE)
		client_finish(c, OUT_PROTO);
}

static void client_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct client *c = ctx;

	if (what & BEV_EVENT_CONNECTED) {
		c->state = ST_GREETING;
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		client_finish(c, OUT_TIMEOUT);
	else if (c->state == ST_CONNECTING && !(what & BEV_EVENT_EOF))
		client_finish(c, OUT_CONNECT);
	else if (c->state == ST_LOGOUT && (what & BEV_EVENT_EOF))
		client_finish(c, OUT_OK);   /* closed right after BYE */
	else if (c->state <= ST_GREETING)   /* closed before the greeting */
		client_finish(c, OUT_GREETING);
	else
		client_finish(c, OUT_IO);
}

static void client_start(struct client *c)
{
	struct load *load = c->load;
	struct timeval tv = { load->timeout_ms / 1000, (load->timeout_ms % 1000) * 1000 };

	if (load->stopping || load->started >= load->max_logins) {
		load->active--;
		load_maybe_done(load);
		return;
	}
	load->started++;
	c->state = ST_CONNECTING;
	c->start_us = bench_now_us();
	c->start_wall_ms = wall_ms();
	c->bev = bufferevent_socket_new(load->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		client_finish(c, OUT_CONNECT);
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* On a hard failure libevent may already have run the event callback,
	 * which finished the session and cleared c->bev. */
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&load->target.addr,
				       (int)load->target.addrlen) < 0 && c->bev != NULL)
		client_finish(c, OUT_CONNECT);
}

static void client_log(const struct client *c, enum outcome out)
{
	char shown[LOAD_LOG_LINE_MAX + 1];
	size_t i;

	if (c->load->log == NULL)
		return;
	for (i = 0; c->last[i] != '\0' && i < LOAD_LOG_LINE_MAX; i++)
		shown[i] = c->last[i] >= 0x20 && c->last[i] < 0x7f ? c->last[i] : '?';
	shown[i] = '\0';
	fprintf(c->load->log, "%lld %lld %s %s %s\n", c->start_wall_ms, wall_ms(),
		c->user[0] != '\0' ? c->user : "-", outcome_names[out], shown);
}

static void client_restart_cb(evutil_socket_t fd, short what, void *ctx)
{
	client_start(ctx);
}

static void stop_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct load *load = ctx;

	load->stopping = 1;
	if (what & EV_SIGNAL)
		load->interrupted = 1;
}

static void hard_stop_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct load *load = ctx;

	load->t_end = bench_now_us();
	event_base_loopbreak(load->base);
}

static int read_password(struct load *load, const char *file, const char **error_r)
{
	const char *pw = getenv("HB_BENCH_PASSWORD");
	FILE *fp;

	if (file != NULL) {
		if ((fp = fopen(file, "r")) == NULL) {
			*error_r = "cannot open the password file";
			return -1;
		}
		if (fgets(load->password, sizeof(load->password), fp) == NULL)
			load->password[0] = '\0';
		fclose(fp);
		load->password[strcspn(load->password, "\r\n")] = '\0';
	} else {
		snprintf(load->password, sizeof(load->password), "%s",
			 pw != NULL ? pw : "pass");
	}
	if (strpbrk(load->password, "\"\\\r\n") != NULL) {
		*error_r = "password may not hold quotes, backslashes or line breaks";
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hb-imap-load [-H HOST] [-p PORT] [-c CLIENTS] [-n MAX_LOGINS]\n"
		"                    [-t SECONDS] [-u PATTERN] [-U USERS] [-w PASSFILE]\n"
		"                    [-T TIMEOUT_MS] [-s SEED] [-q] [-O] [-l LOGFILE]\n"
		"  -O: users in order u1, u2, .. (e.g. -O -n USERS logs every user in once)\n"
		"  -l: write \"START_MS END_MS USER OUTCOME LAST_LINE\" per session to LOGFILE\n"
		"  HOST must be loopback (127.0.0.0/8 or ::1); PATTERN like u%%d@example.com;\n"
		"  password from PASSFILE, else $HB_BENCH_PASSWORD, else \"pass\".\n");
	exit(2);
}

static int parse_args(struct load *load, int argc, char **argv,
		      const char **error_r)
{
	const char *passfile = NULL, *logfile = NULL;
	long seed = 1;
	int opt, bad = 0;

	while ((opt = getopt(argc, argv, "H:p:c:n:t:u:U:w:T:s:qOl:")) != -1) {
		switch (opt) {
		case 'H': load->host = optarg; break;
		case 'p': bad |= bench_parse_num(optarg, 1, 65535, &load->port); break;
		case 'c': bad |= bench_parse_num(optarg, 1, LOAD_MAX_CLIENTS, &load->clients); break;
		case 'n': bad |= bench_parse_num(optarg, 1, BENCH_MAX_SAMPLES, &load->max_logins); break;
		case 't': bad |= bench_parse_num(optarg, 1, 3600, &load->secs); break;
		case 'u': load->pattern = optarg; break;
		case 'U': bad |= bench_parse_num(optarg, 1, 100000000, &load->users); break;
		case 'w': passfile = optarg; break;
		case 'T': bad |= bench_parse_num(optarg, 10, 600000, &load->timeout_ms); break;
		case 's': bad |= bench_parse_num(optarg, 1, 1000000000, &seed); break;
		case 'q': load->quiet = 1; break;
		case 'O': load->sequential = 1; break;
		case 'l': logfile = optarg; break;
		default: usage();
		}
	}
	if (bad || optind != argc)
		usage();
	load->seed = (unsigned long long)seed * 2654435761ULL + 1;
	if (bench_user_pattern_check(load->pattern, error_r) < 0 ||
	    read_password(load, passfile, error_r) < 0)
		return -1;
	if (logfile != NULL && (load->log = fopen(logfile, "w")) == NULL) {
		*error_r = "cannot create the -l log file";
		return -1;
	}
	return bench_target_inet(&load->target, load->host, load->port, error_r);
}

static void print_results(struct load *load, double cpu_s)
{
	double secs = (load->t_end - load->t_start) / 1e6;
	long fails = 0;
	int i;

	for (i = 1; i < OUT_COUNT; i++)
		fails += load->outcomes[i];
	if (secs <= 0)
		secs = 1e-6;
	if (!load->quiet) {
		printf("target:        %s:%ld, %ld clients, users %s x %ld\n",
		       load->host, load->port, load->clients, load->pattern, load->users);
		printf("logins:        %ld (full LOGIN/SELECT/LOGOUT cycles: %ld)\n",
		       load->logins, load->outcomes[OUT_OK]);
		printf("failures:      %ld (", fails);
		for (i = 1; i < OUT_COUNT; i++)
			printf("%s%s %ld", i > 1 ? ", " : "", outcome_names[i], load->outcomes[i]);
		printf(")\nelapsed:       %.2f s\n", secs);
		printf("logins/s:      %.1f\n", load->logins / secs);
		printf("login latency: p50 %.2f ms, p99 %.2f ms (connect to LOGIN OK)\n",
		       bench_lat_pct_ms(&load->lat, 50), bench_lat_pct_ms(&load->lat, 99));
		printf("loadgen CPU:   %.2f s (%.1f%% of one core)\n", cpu_s, 100 * cpu_s / secs);
	}
	printf("RESULT logins=%ld cycles=%ld failures=%ld elapsed=%.3f rate=%.2f "
	       "p50_ms=%.3f p99_ms=%.3f loadgen_cpu_s=%.3f\n",
	       load->logins, load->outcomes[OUT_OK], fails, secs, load->logins / secs,
	       bench_lat_pct_ms(&load->lat, 50), bench_lat_pct_ms(&load->lat, 99), cpu_s);
}

static int run(struct load *load, const char **error_r)
{
	struct timeval run_tv = { load->secs, 0 };
	struct timeval hard_tv = { load->secs + load->timeout_ms / 1000 + 2, 0 };
	struct event *stop_ev, *hard_ev, *sig_ev;
	long i;

	load->cl = calloc((size_t)load->clients, sizeof(*load->cl));
	if (load->cl == NULL || bench_lat_init(&load->lat, (size_t)load->max_logins, error_r) < 0) {
		*error_r = "out of memory";
		return -1;
	}
	stop_ev = evtimer_new(load->base, stop_cb, load);
	hard_ev = evtimer_new(load->base, hard_stop_cb, load);
	sig_ev = evsignal_new(load->base, SIGINT, stop_cb, load);
	evtimer_add(stop_ev, &run_tv);
	evtimer_add(hard_ev, &hard_tv);
	evsignal_add(sig_ev, NULL);
	load->t_start = bench_now_us();
	for (i = 0; i < load->clients; i++) {
		load->cl[i].load = load;
		load->cl[i].restart = evtimer_new(load->base, client_restart_cb, &load->cl[i]);
		load->active++;
		client_start(&load->cl[i]);
	}
	if (load->active > 0)
		event_base_dispatch(load->base);
	for (i = 0; i < load->clients; i++) {
		if (load->cl[i].bev != NULL)
			bufferevent_free(load->cl[i].bev);
		event_free(load->cl[i].restart);
	}
	event_free(stop_ev);
	event_free(hard_ev);
	event_free(sig_ev);
	return 0;
}

int main(int argc, char **argv)
{
	struct load load = {
		.host = "127.0.0.1", .pattern = "u%d@example.com", .port = 143,
		.clients = 20, .users = 200, .max_logins = 1000000, .secs = 10,
		.timeout_ms = 5000,
	};
	const char *error = NULL;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (parse_args(&load, argc, argv, &error) < 0) {
		fprintf(stderr, "hb-imap-load: %s\n", error);
		return 2;
	}
	if ((load.base = event_base_new()) == NULL) {
		fprintf(stderr, "hb-imap-load: event_base_new failed\n");
		return 1;
	}
	ret = run(&load, &error);
	if (ret < 0)
		fprintf(stderr, "hb-imap-load: %s\n", error);
	else
		print_results(&load, bench_self_cpu_s());
	bench_lat_free(&load.lat);
	free(load.cl);
	if (load.log != NULL)
		fclose(load.log);
	event_base_free(load.base);
	if (load.interrupted) {
		/* Die by SIGINT so that a calling shell stops too. */
		fflush(stdout);
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	return ret < 0 ? 1 : (load.logins > 0 ? 0 : 1);
}
