#!/bin/sh
# authdb-ns.sh - run a test's or benchmark's Dovecot with the passdb module
# we built, without touching the system.  Dovecot 2.3 loads auth modules only
# from the directory compiled into it (/usr/lib/dovecot/modules/auth), so the
# command runs in a private mount namespace in which PRIVDIR is bind-mounted
# over that directory.  PRIVDIR is made on first use: a copy of the system's
# auth modules plus MODULE.  Nothing outside PRIVDIR is written, and the mount
# disappears with the last process of the namespace.  The command keeps this
# script's PID (everything is exec'd), so callers can signal and wait on it.
#
# usage: authdb-ns.sh PRIVDIR MODULE COMMAND [ARG...]     (as root)
set -eu

[ $# -ge 3 ] || { echo "usage: $0 PRIVDIR MODULE COMMAND [ARG...]" >&2; exit 2; }
privdir=$1
module=$2
shift 2
sysdir=${HB_AUTHDB_DIR:-/usr/lib/dovecot/modules/auth}

if [ ! -d "$privdir" ]; then
	[ -f "$module" ] || { echo "$0: $module: no such module" >&2; exit 1; }
	tmp="$privdir.tmp.$$"
	mkdir -p "$tmp"
	# the system's own modules stay loadable (Dovecot's auth loads them all)
	if [ -d "$sysdir" ]; then
		for f in "$sysdir"/*; do
			[ -f "$f" ] && cp -p "$f" "$tmp/"
		done
	fi
	cp "$module" "$tmp/$(basename "$module")"
	chmod 755 "$tmp"
	chmod 644 "$tmp"/*
	# another process may have made it meanwhile: either copy is fine
	mv -T "$tmp" "$privdir" 2>/dev/null || rm -rf "$tmp"
fi
# the mount point must exist; on a machine without it there is nothing to hide
[ -d "$sysdir" ] || { echo "$0: $sysdir missing (is dovecot-core installed?)" >&2; exit 1; }
exec unshare --mount --propagation private -- \
	sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$privdir" "$sysdir" "$@"
