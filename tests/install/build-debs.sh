#!/bin/sh
# build-debs.sh - build the Debian packages from this working tree, outside
# it: the tree's files (tracked and new, nothing ignored) are copied to
# OUT/src, dpkg-buildpackage runs there and the .debs land in OUT; lintian
# then checks the .changes and fails the build on any error or warning (each
# override in debian/*.lintian-overrides says why).
# Usage: tests/install/build-debs.sh OUT
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 64; }
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir "$out/src"
# a copy, so that the in-tree build leaves the working tree untouched
(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^build/' |
	xargs -0 tar cf - --no-recursion) | tar xf - -C "$out/src"
cd "$out/src"
DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log" >&2; exit 1; }
cd "$out"
lintian --fail-on error,warning ./*.changes >"$out/lintian.log" 2>&1 ||
	{ cat "$out/lintian.log" >&2; exit 1; }
ls "$out"/*.deb
