#!/bin/sh
# run-tests.sh - the one command that runs every Hummingbird test on a fresh
# Debian 12 machine as root: installs dependencies, builds with AddressSanitizer
# in ./build, runs clang's static analyzer (`make scan`), then `make check`
# (cmocka unit tests + system tests with real Redis, Dovecot and Postfix on
# loopback), fuzzes the parsers briefly, checks the demo cluster
# (scripts/demo.py --check), installs the Debian packages into clean Debian 12
# roots as docs/INSTALL.md says (tests/install), then `make distcheck`.
set -eu
cd "$(dirname "$0")"
top=$(pwd)

scripts/install-deps.sh
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || "$top/configure" --with-dovecot=/usr/lib/dovecot --enable-asan
make -j2
# clang's static analyzer over the whole tree must report nothing
# (scripts/scan.sh, in build/scan)
make scan
status=0
summary="make check: 0 passed, 1 failed"
make check || status=$?
# one closing line for people and CI: test programs that passed and failed
if [ -f test-suite.log ]; then
	pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
	fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
	err=$(sed -n 's/^# ERROR: *//p' test-suite.log)
	summary="make check: ${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed"
	echo "$summary"
fi
if [ "$status" != 0 ]; then
	for log in tests/unit/*.log tests/system/*.log plugins/auth/*.log cli/*.log; do
		[ -f "$log" ] && case "$log" in *test-suite.log) ;; *) tail -n 60 "$log";; esac
	done
	exit "$status"
fi
# every untrusted-input parser under libFuzzer (seeds, then a short run each)
FUZZ_SECONDS=${FUZZ_SECONDS:-5} sh "$top/tests/fuzz/run-fuzzers.sh"
# the README's demo command, end to end (same harness, this build)
cd "$top"
HB_BUILDDIR="$top/build" "$(command -v /usr/bin/python3 || command -v python3)" scripts/demo.py --check
# the install test: the Debian packages into clean Debian 12 roots, following
# docs/INSTALL.md's own command blocks (tests/install/run-install-test.sh)
scripts/install-deps.sh --package
sh tests/install/run-install-test.sh
cd build
# packaging check: builds from the tarball and runs every test again there
# (the fault-injection and overload scenarios ran above in this same tree; the
# packaging check runs every other test again - keeps CI well under its 45
# minutes)
HB_SYSTEST_EXCLUDE="guard_faults or health_faults" make distcheck >distcheck.log 2>&1 ||
	{ tail -n 80 distcheck.log; exit 1; }
echo "distcheck: OK"
echo "$summary"
