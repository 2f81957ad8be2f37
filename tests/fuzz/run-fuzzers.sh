#!/bin/sh
# run-fuzzers.sh - builds the libFuzzer targets of tests/fuzz/ with clang
# (ASan + UBSan, every UB report fatal) in a temporary directory and runs each
# for FUZZ_SECONDS seconds (default 30; 0 = only replay the seed corpus).
# Usage: tests/fuzz/run-fuzzers.sh [TARGET...]   (default: all targets)
# Env: FUZZ_SECONDS, CC (default clang), FUZZ_KEEP=1 keeps the work directory.
# Exits non-zero if a target fails to build, crashes, leaks or hits UB; the
# crashing input is kept and its path printed.  Never part of `make check`.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-30}
cc=${CC:-clang}

# target name, largest input worth trying, sources besides fuzz-NAME.c
# (words starting with '-' are extra link flags, e.g. -lidn2)
targets='
proto 2200 director/proto.c lib/hb-user.c lib/hb-utf8.c lib/hb-backend.c
netstring 10100 director/netstring.c
user 600 lib/hb-user.c lib/hb-utf8.c
settings 9000 lib/hb-settings.c lib/hb-settings-addr.c lib/hb-domain-list.c lib/hb-addr.c lib/hb-utf8.c -lidn2
json 8192 lib/hb-json.c
http-response 8192 cli/http-response.c
doveadm-reply 8192 cli/doveadm.c lib/hb-doveadm-reply.c lib/hb-json.c cli/output.c cli/doveadm-http.c cli/http-response.c lib/hb-base64.c lib/hb-tls-client.c -lssl -lcrypto
census-who 8192 director/census-who.c lib/hb-doveadm-reply.c lib/hb-json.c lib/hb-user.c lib/hb-utf8.c
addr 2200 lib/hb-addr.c lib/hb-utf8.c lib/hb-units.c -lidn2
director-reply 2100 plugins/auth/director-reply.c plugins/auth/director-userdb.c
route-event 300 plugins/auth/route-event.c plugins/auth/route-cache.c
mailhdr 9000 lib/hb-mailhdr.c lib/hb-addr.c lib/hb-utf8.c -lidn2
admind-request 5000 admin/route.c admin/body.c admin/headers.c lib/hb-json.c lib/hb-utf8.c
envelope 1200 milter/envelope.c
proclocks 4096 lib/hb-proclocks.c
'

case $seconds in
''|*[!0-9]*) echo "run-fuzzers: FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "run-fuzzers: $cc not found (Debian 12: apt-get install -y clang libclang-rt-14-dev)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hb-fuzz.XXXXXX") || exit 2
cflags="-g -O1 -Wall -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined"
cflags="$cflags -fno-sanitize-recover=all -I$top/lib -I$top/director -I$top/cli"
cflags="$cflags -I$top/plugins/auth -I$top/milter"
cflags="$cflags $(pkg-config --cflags hiredis 2>/dev/null)"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# known NAME: 0 if NAME is one of the targets above
known() {
	echo "$targets" | awk -v n="$1" '$1 == n { found = 1 } END { exit !found }'
}

# run_one NAME MAXLEN SOURCES...: build, then fuzz or replay; 0 = clean
run_one() {
	name=$1 maxlen=$2
	shift 2
	srcs="" libs=""
	for s in "$@"; do
		case $s in
		-*) libs="$libs $s" ;;
		*) srcs="$srcs $top/$s" ;;
		esac
	done
	echo "== fuzz-$name: building"
	# shellcheck disable=SC2086
	if ! $cc $cflags -o "$work/fuzz-$name" "$here/fuzz-$name.c" $srcs $libs \
		>"$work/$name.build.log" 2>&1; then
		cat "$work/$name.build.log" >&2
		return 1
	fi
	mkdir -p "$work/corpus/$name" "$work/artifacts"
	if [ -d "$here/corpus/$name" ]; then
		cp "$here/corpus/$name"/* "$work/corpus/$name/" 2>/dev/null
	fi
	if [ "$seconds" -eq 0 ]; then
		echo "== fuzz-$name: replaying the seed corpus"
		limit="-runs=0"
	else
		echo "== fuzz-$name: fuzzing for ${seconds}s"
		limit="-max_total_time=$seconds"
	fi
	if ! "$work/fuzz-$name" "$limit" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" \
		"$work/corpus/$name" >"$work/$name.log" 2>&1; then
		tail -n 60 "$work/$name.log" >&2
		echo "== fuzz-$name: FAILED; input in $work/artifacts/ (log $work/$name.log)" >&2
		return 1
	fi
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$name.log" | tail -n 1
	echo "== fuzz-$name: ok"
	return 0
}

want="$*"
for w in $want; do
	known "$w" || { echo "run-fuzzers: unknown target '$w'" >&2; rm -rf "$work"; exit 2; }
done
echo "$targets" | while read -r name maxlen srcs; do
	[ -n "$name" ] || continue
	if [ -n "$want" ] && ! echo " $want " | grep -q " $name "; then
		continue
	fi
	# shellcheck disable=SC2086
	run_one "$name" "$maxlen" $srcs || echo "$name" >>"$work/failed"
done

if [ -s "$work/failed" ]; then
	failed=$(tr '\n' ' ' <"$work/failed")
	echo "run-fuzzers: FAILED: $failed(work directory $work kept)" >&2
	exit 1
fi
echo "run-fuzzers: all targets clean"
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
	echo "run-fuzzers: work directory $work"
else
	rm -rf "$work"
fi
exit 0
