#!/bin/sh
# run-system-tests.sh - `make check` entry for the system tests: runs pytest
# on tests/system against the binaries of this build tree (HB_BUILDDIR).
# Needs root (Dovecot instances, mount namespaces); it never skips: a test
# that cannot run fails.  pytest's summary line also goes to the console (fd 9).
# By hand: HB_BUILDDIR=/tmp/build-x srcdir=/work/main sh run-system-tests.sh [-k EXPR]
# (HB_KEEP_TMP=1 keeps the temporary directory with every service's log).

srcdir=${srcdir:-.}
HB_BUILDDIR=${HB_BUILDDIR:-$(pwd)}
export HB_BUILDDIR
# keep the source tree clean (read-only under distcheck)
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

# Debian's python3 carries python3-pytest; a python3 earlier in PATH may not.
PYTHON=${PYTHON:-}
for p in /usr/bin/python3 python3; do
	if [ -z "$PYTHON" ] && "$p" -c 'import pytest' 2>/dev/null; then
		PYTHON=$p
	fi
done
if [ -z "$PYTHON" ]; then
	echo "run-system-tests: no python3 with pytest (install python3-pytest)" >&2
	exit 99
fi

# HB_SYSTEST_EXCLUDE=EXPR leaves out tests matching EXPR (run-tests.sh: the
# fault-injection scenarios in distcheck's second run); said in the output
exclude=
if [ -n "${HB_SYSTEST_EXCLUDE:-}" ]; then
	echo "run-system-tests: leaving out '$HB_SYSTEST_EXCLUDE' (HB_SYSTEST_EXCLUDE)"
	exclude="not ($HB_SYSTEST_EXCLUDE)"
fi
log=$(mktemp /tmp/hb-pytest-out.XXXXXX) || exit 99
if [ -n "$exclude" ]; then
	"$PYTHON" -m pytest -q -p no:cacheprovider "$srcdir/tests/system" -k "$exclude" "$@" >"$log" 2>&1
else
	"$PYTHON" -m pytest -q -p no:cacheprovider "$srcdir/tests/system" "$@" >"$log" 2>&1
fi
rc=$?
cat "$log"
# the parallel test driver keeps stdout in the .log file: show the summary too
if { true >&9; } 2>/dev/null; then
	tail -n 1 "$log" >&9
fi
rm -f "$log"
exit $rc
