/* hb-daemon.h - what every Hummingbird daemon does the same way: its command
 * line (-c FILE, -f, -t, -h), logging as the settings say, its pid file. */
#ifndef HB_DAEMON_H
#define HB_DAEMON_H

struct hb_settings;

struct hb_daemon_args {
	const char *config_path;
	int foreground;
	int test_only;
};

/* Parse ARGV of the daemon PROG into ARGS.  Returns -1 to go on, or the exit
 * status to end with (0 after -h, 2 after printing the usage for misuse). */
int hb_daemon_parse_args(const char *prog, int argc, char *argv[], struct hb_daemon_args *args);

/* (Re)open logging as IDENT per the settings' log and log_level. */
void hb_daemon_logging(const char *ident, const struct hb_settings *set);

/* Write our pid to PATH ("" = none).  Returns 0, or -1 after logging why. */
int hb_daemon_write_pid(const char *path);

/* The event loop has ended on SIGTERM/SIGINT: block both, so that a second
 * one (systemd, a test harness) cannot kill the process half-way through its
 * clean-up once the loop's handlers are gone; blocked, they die with it. */
void hb_daemon_block_exit_signals(void);

#endif
