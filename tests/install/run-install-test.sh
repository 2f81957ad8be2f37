#!/bin/sh
# run-install-test.sh - the install test (long mode, not part of CI): build
# the Debian packages from this tree, install them into clean Debian 12 roots
# following docs/INSTALL.md's own command blocks, prove logins, delivery,
# relaying, the milter and hbctl doctor, then remove them and prove Dovecot
# and Postfix still work (tests/install/inside.sh).  Everything runs in
# private mount, network and PID namespaces below a temporary directory;
# the Debian base root is cached in $HB_INSTALL_CACHE (default
# /tmp/hb-install-cache).  HB_KEEP_TMP=1 keeps the work directory.
# Usage: tests/install/run-install-test.sh   (as root)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${HB_INSTALL_CACHE:-/tmp/hb-install-cache}
work=$(mktemp -d /tmp/hb-install.XXXXXX)
[ "${HB_KEEP_TMP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
start=$(date +%s)

sh "$here/build-debs.sh" "$work/debs" >/dev/null
rm -rf "$work/debs/src"
(cd "$work/debs" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null)
base=$(sh "$here/base-root.sh" "$cache")
echo "packages and base root ready after $(( $(date +%s) - start )) s"
rc=0
unshare --mount --net --pid --fork --mount-proc --propagation private \
	sh "$here/inside.sh" "$work" "$base" "$top/docs/INSTALL.md" || rc=$?
echo "install test: exit $rc after $(( $(date +%s) - start )) s (work dir $work)"
exit $rc
