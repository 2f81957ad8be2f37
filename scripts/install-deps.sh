#!/bin/sh
# install-deps.sh - installs the Debian 12 packages Hummingbird needs, by set:
#   --runtime  what the installed daemons, hbctl and the Dovecot modules load
#   --build    compilers, autotools and the -dev packages (dovecot-dev too)
#   --test     what `make check`, the fuzzers and the demo start or call:
#              Redis, Dovecot, Postfix, pytest, valgrind, clang, FUSE ...
#   --package  Debian packaging and the install test (dpkg-dev, debhelper,
#              lintian, debootstrap, fakeroot)
# Several sets may be given; none = --runtime --build --test (README's
# commands).  Does nothing when they are all present; never starts a system
# service (the demo and tests start their own instances).
set -eu

RUNTIME="libhiredis0.14 libevent-2.1-7 libevent-openssl-2.1-7 libssl3 libidn2-0
 libcrypt1 libmilter1.0.1 dovecot-core"
BUILD="build-essential autoconf automake libtool pkg-config dovecot-dev
 libmilter-dev libhiredis-dev libssl-dev libevent-dev libidn2-dev libcrypt-dev"
TEST="libcmocka-dev redis-server redis-tools postfix swaks python3 python3-pytest
 valgrind curl clang clang-tools-14 libclang-rt-14-dev libfuse3-dev fuse3 strace
 systemd dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve
 dovecot-managesieved"
PACKAGE="dpkg-dev debhelper lintian debootstrap fakeroot"

usage() {
	echo "usage: $0 [--runtime] [--build] [--test] [--package]" >&2
	exit 64
}

PACKAGES=""
for arg in "$@"; do
	case $arg in
	--runtime) PACKAGES="$PACKAGES $RUNTIME" ;;
	--build) PACKAGES="$PACKAGES $BUILD" ;;
	--test) PACKAGES="$PACKAGES $TEST" ;;
	--package) PACKAGES="$PACKAGES $PACKAGE" ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || PACKAGES="$RUNTIME $BUILD $TEST"

missing=""
for pkg in $(echo $PACKAGES | tr ' ' '\n' | sort -u); do
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
