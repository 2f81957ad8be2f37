/* hb-daemon.h - what every Hummingbird daemon does the same way: its command
 * line (-c FILE, -f, -t, -h), logging as the settings say, its pid file. */
#ifndef HB_DAEMON_H
#define HB_DAEMON_H

#include <stddef.h>

#include "hb-paths.h"

struct hb_settings;

struct hb_daemon_args {
	const char *config_path;
	int foreground;
	int test_only;		/* -t: check the configuration, report every problem */
	int print_config;	/* -n: print the settings that differ from the defaults */
};

/* Each daemon runs as its own user with a file of its own (docs/INSTALL.md,
 * "Users and configuration files"); hbctl keeps HB_DEFAULT_CONFIG_PATH. */
#define HB_DIRECTOR_CONFIG_PATH HB_CONFIG_DIR "/director.conf"
#define HB_MILTER_CONFIG_PATH HB_CONFIG_DIR "/milter.conf"
#define HB_ADMIND_CONFIG_PATH HB_CONFIG_DIR "/admind.conf"

/* Parse ARGV of the daemon PROG into ARGS; without -c its configuration is
 * its own file (hb_daemon_default_config).  Returns -1 to go on, or the exit
 * status to end with (0 after -h or --version, 2 after printing the usage
 * for misuse). */
int hb_daemon_parse_args(const char *prog, int argc, char *argv[], struct hb_daemon_args *args);

/* Load ARGS' configuration for PROG.  Under -t every problem is written to
 * stderr as "PROG: file:line: why" (not only the first); otherwise the
 * first, with a count of the others.  Under -n the settings that differ from
 * the defaults are printed on stdout.  Returns 0 with *SET_R, or -1. */
int hb_daemon_load(const char *prog, const struct hb_daemon_args *args,
		   struct hb_settings **set_r);

/* The default configuration file of daemon PROG ("hummingbird-director" ->
 * HB_DIRECTOR_CONFIG_PATH ...; HB_DEFAULT_CONFIG_PATH for any other). */
const char *hb_daemon_default_config(const char *prog);

/* (Re)open logging as IDENT per the settings' log and log_level. */
void hb_daemon_logging(const char *ident, const struct hb_settings *set);

/* Read the settings' redis_password_file once with the one secret reader,
 * so that a daemon (and -t, the units' ExecStartPre) refuses to start on a
 * symlink, a file of another owner or one the group/others may read,
 * rather than run without AUTH.  Returns 0, or -1 with the reason in ERR. */
int hb_daemon_check_secrets(const struct hb_settings *set, char *err, size_t err_size);

/* Write our pid to PATH ("" = none), never through a symlink or into
 * anything but a regular file.  Returns 0, or -1 after logging why. */
int hb_daemon_write_pid(const char *path);

/* Remove the pid file PATH ("" = none) if it is still ours: a regular file
 * (not a symlink) holding our pid.  A pid file we refused to write, or one
 * another process wrote since, is left alone. */
void hb_daemon_remove_pid(const char *path);

/* Block SIGTERM, SIGINT and SIGHUP.  Once the event loop has ended: a second
 * signal (systemd, a test harness) cannot kill the process half-way through
 * its clean-up once the loop's handlers are gone; blocked, they die with it.
 * Before the handlers are installed: a signal that comes early waits for
 * them instead of killing the process. */
void hb_daemon_block_exit_signals(void);

#endif
