/* usage.c - help texts for hbctl (see usage.h).  The command syntax here is
 * the one the system tests call: change it only together with them. */
#include "usage.h"

void hbctl_usage_main(FILE *f)
{
	fputs("usage: hbctl [-c FILE] [--json] COMMAND ...\n"
	      "  backend list|add|remove|weight|drain|undrain|up|down|maintenance|users ...\n"
	      "  user where|move|kick ...\n"
	      "  status\n"
	      "Options: -c FILE (default /etc/hummingbird/hummingbird.conf), --json, -h/--help.\n"
	      "Exit: 0 ok, 1 failed, 2 usage or input error, 3 Redis or backend unreachable.\n"
	      "`hbctl COMMAND --help` describes one command.\n", f);
}

void hbctl_usage_backend(FILE *f)
{
	fputs("usage: hbctl backend list\n"
	      "       hbctl backend add NAME HOST [--imap-port N] [--pop3-port N] [--lmtp-port N]\n"
	      "                 [--submission-port N] [--sieve-port N] [--doveadm-port N] [--weight N]\n"
	      "       hbctl backend remove NAME [--force]\n"
	      "       hbctl backend weight NAME N\n"
	      "       hbctl backend drain|undrain|up|down|maintenance NAME\n"
	      "       hbctl backend users NAME\n"
	      "NAME: 1-64 of [A-Za-z0-9_.-]; HOST: IPv4 or IPv6 literal; ports 1..65535\n"
	      "(defaults 143 110 24 587 4190, doveadm none); weight 0..1000 (default 100).\n"
	      "down/maintenance fence the backend's users, kick its sessions through the\n"
	      "doveadm HTTP API and wait (kick_timeout) until none are left.\n"
	      "remove refuses a backend that is up or has users unless --force.\n", f);
}

void hbctl_usage_user(FILE *f)
{
	fputs("usage: hbctl user where USER\n"
	      "       hbctl user move USER BACKEND\n"
	      "       hbctl user kick USER\n"
	      "move holds the user's logins, kicks the user's sessions on the old backend,\n"
	      "waits until they are gone (kick_timeout) and then assigns BACKEND; if the\n"
	      "sessions stay, nothing is changed and the command fails.\n", f);
}

void hbctl_usage_status(FILE *f)
{
	fputs("usage: hbctl status\n"
	      "Shows whether Redis answers, the backends by effective state, the live\n"
	      "director instances and which one holds the health-check lease.\n", f);
}
