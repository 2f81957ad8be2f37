/* hb-daemon.c - see hb-daemon.h. */
#include "hb-daemon.h"
#include "hb-log.h"
#include "hb-settings.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [-c FILE] [-f] [-t]\n"
		"  -c FILE  configuration (default %s)\n"
		"  -f       stay in the foreground\n"
		"  -t       check the configuration and exit\n", prog, HB_DEFAULT_CONFIG_PATH);
}

int hb_daemon_parse_args(const char *prog, int argc, char *argv[], struct hb_daemon_args *args)
{
	int opt;

	args->config_path = HB_DEFAULT_CONFIG_PATH;
	args->foreground = 0;
	args->test_only = 0;
	while ((opt = getopt(argc, argv, "c:fth")) != -1) {
		switch (opt) {
		case 'c': args->config_path = optarg; break;
		case 'f': args->foreground = 1; break;
		case 't': args->test_only = 1; break;
		case 'h': usage(stdout, prog); return 0;
		default: usage(stderr, prog); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, prog);
		return 2;
	}
	return -1;
}

void hb_daemon_logging(const char *ident, const struct hb_settings *set)
{
	enum hb_log_level level = HB_LOG_INFO;

	(void)hb_log_level_parse(set->log_level, &level);
	hb_log_close();
	hb_log_open(ident, strcmp(set->log, "syslog") == 0, level);
}

int hb_daemon_write_pid(const char *path)
{
	FILE *f;

	if (path[0] == '\0')
		return 0;
	f = fopen(path, "w");
	if (f == NULL) {
		hb_error("pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0) {
		hb_error("pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void hb_daemon_block_exit_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}
