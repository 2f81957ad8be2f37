/* usage.c - help texts for hbctl (see usage.h).  The command syntax here is
 * the one the system tests call: change it only together with them. */
#include "usage.h"
#include "hb-paths.h"

void hbctl_usage_main(FILE *f)
{
	fputs("usage: hbctl [-c FILE] [--json] COMMAND ...\n"
	      "  backend list|add|remove|weight|drain|undrain|up|down|maintenance|users ...\n"
	      "  user where|move|kick ...\n"
	      "  status\n"
	      "  locks [--mail-root DIR]... [--prometheus FILE]   (node lock census; exit 0-3 as Nagios)\n"
	      "  domain add|remove|list|show|suspend|resume ...   (hosted domains, docs/DOMAINS.md)\n"
	      "  policy show|set ..., caps set ..., audit DOMAIN\n"
	      "  user add|remove|list|suspend|resume ..., alias ..., sender ...  (mailboxes)\n"
	      "  admin add|remove|list|passwd|grant|revoke ...   (domain admins)\n"
	      "  doctor [--role auto|backend|proxy] ...   (is this node set up? exit 0-3 as Nagios)\n"
	      "Domain admins: hbctl --server https://HOST:PORT --ca FILE login NAME [--password-file F],\n"
	      "  then domain list|show, user, alias, sender, policy show|set, audit, whoami, passwd,\n"
	      "  logout\n"
	      "  through hummingbird-admind (--session-file FILE; docs/ADMIND.md).\n"
	      "Options: -c FILE (default " HB_CONFIG_DIR "/hummingbird.conf), --json, -h/--help;\n"
	      "  hbctl --version prints the version.\n"
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
	      "       hbctl user add ADDRESS [--quota SIZE] [--password-file FILE]\n"
	      "       hbctl user remove|suspend|resume ADDRESS\n"
	      "       hbctl user list DOMAIN\n"
	      "add creates a hosted mailbox: its password comes from FILE (mode 0600) or is\n"
	      "generated and shown once; only its {SHA512-CRYPT} hash is stored.  --quota\n"
	      "(e.g. 2G) must stay within the domain's max_quota cap.\n"
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

void hbctl_usage_locks(FILE *f)
{
	fputs("usage: hbctl locks [--mail-root DIR]... [--json] [--prometheus FILE]\n"
	      "                   [--warn-locks N] [--crit-locks N] [--warn-waiters N]\n"
	      "                   [--crit-waiters N] [--warn-age SECS] [--crit-age SECS]\n"
	      "                   [--warn-wait-p99 MS] [--crit-wait-p99 MS]\n"
	      "                   [--proc-locks FILE] [--publish BACKEND [--publish-ttl SECS]]\n"
	      "The locks held and waited for on this node now: kernel locks (fcntl, flock,\n"
	      "OFD, leases; from /proc/locks, or FILE) on files under the mail roots (all\n"
	      "files without --mail-root), by file and by process with Dovecot's user, and\n"
	      "the dotlock files under the mail roots, oldest first.  Thresholds: locks\n"
	      "held + waiting (default warn 1000, crit 10000), waiters (10, 100), oldest\n"
	      "dotlock age in seconds (60, 300; also the oldest locking operation that\n"
	      "hb_locks records), how long the waiters have waited, p99 in ms (5000,\n"
	      "30000; hb_locks records).  --prometheus writes a node_exporter\n"
	      "textfile (FILE should end in .prom).  Exit: 0 ok, 1 warn, 2 crit, 3 unknown\n"
	      "(census incomplete, e.g. an unreadable directory, or a usage error).\n"
	      "--publish BACKEND stores the verdict and totals in Redis for the directors\n"
	      "(with -c CONFIG; they expire after SECS, default 60): at warn or crit the\n"
	      "backend becomes degraded and gets no new users.  Without --publish it needs\n"
	      "no configuration or Redis.  Run it as root to see every process.\n", f);
}

void hbctl_usage_domain(FILE *f)
{
	fputs("usage: hbctl domain add|show|suspend|resume DOMAIN\n"
	      "       hbctl domain remove DOMAIN [--force]\n"
	      "       hbctl domain list\n"
	      "DOMAIN may be an IDN (stored as its A-label).  Every change is written to the\n"
	      "domain's audit log (hbctl audit DOMAIN) in the same step, as operator:LOGIN.\n"
	      "remove refuses a domain with mailboxes or aliases unless --force; its audit\n"
	      "log is kept.\n", f);
}

void hbctl_usage_policy(FILE *f)
{
	fputs("usage: hbctl policy show DOMAIN\n"
	      "       hbctl policy set DOMAIN NAME=VALUE...\n"
	      "       hbctl caps set DOMAIN NAME=VALUE...\n"
	      "Policy values (docs/DOMAINS.md 4): max_msg_size=25M max_rcpt=100 user_msgs=200/h\n"
	      "user_rcpts=1000/h domain_msgs=2000/h domain_rcpts=10000/h quota=1G\n"
	      "unauth_sender=reject|accept; sizes, counts and rates may be unlimited.  Caps take\n"
	      "the same names plus max_users, max_aliases, max_quota; a value above its cap is\n"
	      "refused, and the milter applies min(value, cap) on every message anyway.\n", f);
}

void hbctl_usage_audit(FILE *f)
{
	fputs("usage: hbctl audit DOMAIN [N]\n"
	      "The newest N (default 50, at most 10000) changes of DOMAIN, oldest first: time, who, from\n"
	      "where, what, old -> new.\n", f);
}

void hbctl_usage_alias(FILE *f)
{
	fputs("usage: hbctl alias add ADDRESS TARGET...\n"
	      "       hbctl alias remove ADDRESS\n"
	      "       hbctl alias list DOMAIN\n"
	      "add creates the alias or adds targets to it (cap max_aliases); an address\n"
	      "cannot be a mailbox and an alias at once.\n", f);
}

void hbctl_usage_sender(FILE *f)
{
	fputs("usage: hbctl sender allow|deny LOGIN ADDRESS|@DOMAIN\n"
	      "       hbctl sender list LOGIN\n"
	      "Which envelope and header From addresses the authenticated LOGIN (a mailbox)\n"
	      "may use besides its own: one address, or every address of @DOMAIN.\n", f);
}

void hbctl_usage_admin(FILE *f)
{
	fputs("usage: hbctl admin add NAME [--password-file FILE]\n"
	      "       hbctl admin remove NAME\n"
	      "       hbctl admin passwd NAME [--password-file FILE]\n"
	      "       hbctl admin list\n"
	      "       hbctl admin grant|revoke NAME DOMAIN\n"
	      "A domain admin manages only the domains granted to them, through\n"
	      "hummingbird-admind.  NAME: 1-64 of a-z 0-9 . _ -.  The password comes from FILE\n"
	      "(mode 0600) or is generated and shown once; it is stored as a PBKDF2-SHA256\n"
	      "hash.  passwd sets a new one and ends every session of the admin.  remove\n"
	      "revokes every grant (each in its domain's audit log).\n", f);
}

void hbctl_usage_doctor(FILE *f)
{
	fputs("usage: hbctl doctor [--json] [--role auto|backend|proxy] [--doveconf PATH]\n"
	      "                    [--dovecot-config FILE] [--dovecot-libdir DIR]\n"
	      "                    [--auth-module-dir DIR] [--config-dir DIR]\n"
	      "Checks this node, one line each: hb_guard and hb_locks in the mail_plugins\n"
	      "that doveconf gives imap, pop3, lmtp (when in `protocols`), doveadm,\n"
	      "indexer-worker and lda (role backend: both required; proxy: not checked;\n"
	      "auto: a plugin some protocol loads must be in all); the passdb module and\n"
	      "the mail plugins built for the installed Dovecot's ABI (read from the files:\n"
	      "DIR/libdovecot.so.0, default /usr/lib/dovecot, and DIR/modules/auth); and for\n"
	      "each of director.conf, milter.conf, admind.conf, auth.conf, locks.conf and\n"
	      "hummingbird.conf in --config-dir (default " HB_CONFIG_DIR "): a Redis login\n"
	      "as its redis_user with its password file, run as that file's owner (so run\n"
	      "doctor as root), PING and one read its ACL allows.  --dovecot-config is\n"
	      "passed to doveconf as -c.  Exit: 0 ok, 1 warning, 2 critical, 3 unknown.\n", f);
}
