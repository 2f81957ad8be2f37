#!/bin/sh
# install-deps.sh - installs the Debian 12 packages Hummingbird builds, tests
# and runs its demo with.  Does nothing when they are all present; never
# starts a system service (the demo and tests start their own instances).
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
 dovecot-dev dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd
 libmilter-dev libhiredis-dev libssl-dev libcmocka-dev libevent-dev
 libidn2-dev libcrypt-dev redis-server redis-tools postfix swaks python3 python3-pytest valgrind curl
 clang clang-tools-14 libclang-rt-14-dev libfuse3-dev fuse3 strace systemd"

missing=""
for pkg in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
# no questions from postfix, and no main.cf for a live system
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# keep package scripts from starting system daemons where policy-rc.d allows it
apt-get install -y -q --no-install-recommends $missing
