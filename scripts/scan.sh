#!/bin/sh
# scan.sh - clang's static analyzer (scan-build, Debian's clang-tools-14) over
# the whole tree, in a build directory of its own; exits 1 when it reports
# anything, so that `make scan` is a check.  Reports (HTML, with the path to
# each finding) are kept in BUILDDIR/report.
# Usage: scan.sh SRCDIR BUILDDIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 SRCDIR BUILDDIR" >&2; exit 64; }
src=$1 dir=$2
sb=$(command -v scan-build-14 || command -v scan-build || true)
[ -n "$sb" ] || { echo "$0: scan-build not found (apt-get install clang-tools-14)" >&2; exit 2; }
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
"$sb" --use-cc=clang "$src/configure" --with-dovecot=/usr/lib/dovecot >configure.log 2>&1 ||
	{ tail -n 20 configure.log >&2; exit 2; }
"$sb" --use-cc=clang --status-bugs -o "$dir/report" make -j2 >make.log 2>&1 || {
	grep -E 'warning: .*\[(core|unix|deadcode|security|cplusplus|nullability)' make.log | sort -u >&2
	tail -n 3 make.log >&2
	exit 1
}
echo "scan: no findings"
