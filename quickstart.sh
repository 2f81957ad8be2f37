#!/bin/sh
# quickstart.sh - the demo: on a fresh Debian 12 machine as root, installs the
# dependencies, builds Hummingbird in ./build-demo and brings up a whole cluster
# on loopback (scripts/demo.py).  Ctrl-C stops it and removes what it started.
# `./quickstart.sh --check` brings it up, proves logins and delivery, and stops.
set -eu
cd "$(dirname "$0")"
top=$(pwd)

scripts/install-deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p build-demo
cd build-demo
[ -f Makefile ] || "$top/configure" --with-dovecot=/usr/lib/dovecot >configure.log
make -j2 >make.log 2>&1 || { tail -n 40 make.log; exit 1; }
HB_BUILDDIR=$(pwd)
export HB_BUILDDIR
cd "$top"
exec "$(command -v /usr/bin/python3 || command -v python3)" scripts/demo.py "$@"
