#!/bin/bash
# run-director-bench.sh - the director benchmark (docs/PERFORMANCE.md).  In a temp dir on
# loopback it starts Redis, two Dovecot backends (127.0.0.2/.3), hummingbird-director, a Dovecot
# proxy configured with conf.d/dovecot-proxy.conf.ext as shipped (127.0.0.10; variants of it on
# 127.0.0.12 and up) and Dovecot 2.3's own director (127.0.0.11) as the same-run baseline; runs
# alternating load rounds against each and the lookup benchmark, prints ratios, then stops
# everything.  It never writes outside its temp dir (the passdb module is seen through a private
# mount namespace, tests/authdb-ns.sh) and is never a timed assertion.
# Usage: run-director-bench.sh [BUILDDIR]   (run as root)
set -euo pipefail

BUILDDIR=$(cd "${1:-${BUILDDIR:-.}}" && pwd)
ROUNDS=${BENCH_ROUNDS:-3}            # alternating rounds per path (>= 3 for the report)
SECS=${BENCH_SECS:-10}               # seconds per round
CLIENTS=${BENCH_CLIENTS:-20}         # parallel IMAP clients
USERS=${BENCH_USERS:-200}            # users u1..uN@example.com
PORT_BASE=${BENCH_PORT_BASE:-21000}  # IMAP = base+143, POP3 = base+110, LMTP = base+24
SIZES=${BENCH_SIZES:-"1000 100000 1000000"}
LOOKUPS=${BENCH_LOOKUPS:-100000}     # lookups per size
PARALLEL=${BENCH_PARALLEL:-8}        # parallel lookups
DIRECT=${BENCH_DIRECT:-1}            # also measure direct-to-backend logins (reference)
KEEP=${BENCH_KEEP:-0}                # 1: keep the temp dir (logs) afterwards
IDLE_SECS=${BENCH_IDLE_SECS:-10}     # idle phase: CPU with no logins at all (0 = skip)
BACKENDS=${BENCH_BACKENDS:-tuned}    # tuned: backends reuse processes (frontends bound the
                                     # rate); stock: Dovecot's defaults (backends bound it)
FAST=${BENCH_FAST:-1}                # 1: the shipped passdb line (Redis fast path, config=);
                                     # 0: without config=, every login asks hummingbird-director
VARIANTS=${BENCH_PROXY_VARIANT:-shipped} # Hummingbird proxies measured side by side: shipped,
                                     # metrics, routemetric, proxymetrics, nopop3login

IMAP_PORT=$((PORT_BASE + 143)); POP3_PORT=$((PORT_BASE + 110)); LMTP_PORT=$((PORT_BASE + 24))
RING_PORT=$((PORT_BASE + 90))
LOADGEN=$BUILDDIR/tests/bench/hb-imap-load
LOOKUPB=$BUILDDIR/tests/bench/hb-lookup-bench
DIRECTOR=$BUILDDIR/director/hummingbird-director
HBCTL=$BUILDDIR/cli/hbctl
MODULE=$BUILDDIR/plugins/auth/.libs/libauthdb_hummingbird.so
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
AUTHDB_NS=$SRCDIR/tests/authdb-ns.sh
SHIPPED_PROXY=$SRCDIR/conf.d/dovecot-proxy.conf.ext
SHIPPED_METRICS=$SRCDIR/conf.d/dovecot-proxy-metrics.conf.ext
SHIPPED_SOCKET=/run/hummingbird/director.sock
SHIPPED_CONFIG=/etc/hummingbird/auth.conf
TICK=$(getconf CLK_TCK)
PREFIX=hb:

D=""; DIRECTOR_PID=""; REDIS_PID=""; CHILD_PID=""; STARTED_DOVECOTS=()
HB_PATHS=(); declare -A ADDR=([dd]=127.0.0.11 [direct]=127.0.0.2) FEDIR=([dd]=dd)

log() { printf '%s\n' "$*" >&2; }
die() { log "run-director-bench: $*"; exit 1; }

# --- cleanup: runs on every exit, error and Ctrl-C ------------------------------------------
cleanup() {
	local rc=$? conf
	trap - EXIT INT TERM
	[ -n "$CHILD_PID" ] && kill "$CHILD_PID" 2>/dev/null
	local stops=()
	for conf in "${STARTED_DOVECOTS[@]}"; do
		doveadm -c "$conf" stop >/dev/null 2>&1 &
		stops+=($!)
	done
	[ ${#stops[@]} -gt 0 ] && wait "${stops[@]}"
	[ -n "$DIRECTOR_PID" ] && kill "$DIRECTOR_PID" 2>/dev/null && wait "$DIRECTOR_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	if [ -n "$D" ] && [ "$KEEP" != 1 ]; then rm -rf "$D"; elif [ -n "$D" ]; then log "kept $D"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- helpers ---------------------------------------------------------------------------------
wait_tcp() { # HOST PORT LOGFILE: wait up to 10 s for a listener
	local i
	for i in $(seq 1 100); do
		if timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	log "--- $3"; tail -n 30 "$3" >&2 || true
	die "nothing listens on $1:$2"
}

# CPU ticks of one process: own + reaped children (fields 14-17 of /proc/PID/stat).
ticks_self() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }; read -r -a f <<<"$s"
	echo $((f[11] + f[12] + f[13] + f[14]))
}
# CPU ticks of a Dovecot instance by process name: "master" (own), "exited" (children that
# exited, reaped into the master's cutime/cstime) and each living child's comm (summed).
snap_dovecot() { # DIR
	local master c s f
	master=$(cat "$1/run/master.pid")
	s=$(cat "/proc/$master/stat" 2>/dev/null) || return 0
	s=${s##*) }; read -r -a f <<<"$s"
	echo "master $((f[11] + f[12]))"
	echo "exited $((f[13] + f[14]))"
	for c in $(pgrep -P "$master" || true); do
		s=$(cat "/proc/$c/stat" 2>/dev/null) || continue
		echo "${s#*(}" | sed 's/).*//' | tr -d '\n'
		s=${s##*) }; read -r -a f <<<"$s"
		echo " $((f[11] + f[12]))"
	done
}
ticks_dovecot() { snap_dovecot "$1" | awk '{ t += $2 } END { print t + 0 }'; }
# Per-name difference of two snapshots: "name ticks" lines.
snap_diff() { awk 'NR == FNR { b[$1] += $2; next } { a[$1] += $2 }
	END { for (n in a) if (a[n] - b[n] > 0) print n, a[n] - b[n] }' "$1" "$2"; }

# BENCH_BACKENDS=tuned: login and imap processes are reused (Dovecot's high-performance
# mode), so that the frontends, not the backends' process creation, bound the rate.
backend_tuning() {
	[ "$BACKENDS" = tuned ] || return 0
	cat <<EOF
service imap-login {
  service_count = 0
  process_min_avail = 2
  vsz_limit = 1G
}
service imap {
  service_count = 0
  process_min_avail = $CLIENTS
}
# reused processes keep auth connections open: room for all of them
service auth {
  client_limit = 2000
}
EOF
}

write_backend_conf() { # DIR ADDR NAME
	mkdir -p "$1/run"
	cat >"$1/dovecot.conf" <<EOF
base_dir = $1/run
instance_name = bench-$3
listen = $2
protocols = imap pop3 lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:~/Maildir
log_path = $1/log
passdb {
  driver = static
  args = password=pass
}
userdb {
  driver = static
  args = uid=5000 gid=5000 home=$D/mail/%u
}
$(backend_tuning)
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = $2
    port = $LMTP_PORT
  }
}
EOF
}

# Dovecot 2.3's own director, exactly as in shared/notes/dovecot-director-baseline.md
# (high-performance login mode), on 127.0.0.11, with the same process_min_avail rule as the
# Hummingbird proxy.
write_dd_conf() { # DIR
	mkdir -p "$1/run"
	cat >"$1/dovecot.conf" <<EOF
base_dir = $1/run
instance_name = bench-dd
listen = 127.0.0.11
protocols = imap pop3 lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $1/log
director_servers = 127.0.0.11:$RING_PORT
director_mail_servers = 127.0.0.2 127.0.0.3
passdb {
  driver = static
  args = proxy=y nopassword=y port=$IMAP_PORT
}
service director {
  unix_listener login/director {
    mode = 0666
  }
  fifo_listener login/proxy-notify {
    mode = 0666
  }
  unix_listener director-userdb {
    mode = 0600
  }
  inet_listener {
    address = 127.0.0.11
    port = $RING_PORT
  }
}
service imap-login {
  executable = imap-login director
  service_count = 0
  process_min_avail = 2
  vsz_limit = 1G
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  executable = pop3-login director
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
protocol lmtp {
  auth_socket_path = director-userdb
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.11
    port = $LMTP_PORT
  }
}
$(login_min_avail_override)
EOF
}

# conf.d/dovecot-proxy.conf.ext as shipped, its paths pointed at the bench's director socket
# and hummingbird.conf (BENCH_FAST=0: without config=, as its comment tells operators).  Fails
# if the shipped passdb line no longer names the paths replaced here.
shipped_proxy_snippet() {
	local path
	for path in "socket=$SHIPPED_SOCKET" "config=$SHIPPED_CONFIG"; do
		grep -Eq "^[^#]*args = .*$path( |\$)" "$SHIPPED_PROXY" ||
			die "$SHIPPED_PROXY: no passdb args line with $path any more (update the bench)"
	done
	if [ "$FAST" = 1 ]; then cat "$SHIPPED_PROXY"; else sed "s| config=$SHIPPED_CONFIG||" "$SHIPPED_PROXY"; fi |
		sed -e "s|socket=$SHIPPED_SOCKET|socket=$D/hb/director.sock|" \
		    -e "s|config=$SHIPPED_CONFIG|config=$D/hb/hummingbird.conf|"
}

# drop_blocks ERE: stdin without the top-level blocks whose first line matches ^ERE
drop_blocks() {
	awk -v re="^$1" 'skip == 0 && $0 ~ re { skip = 1 } skip == 0 { print }
		skip == 1 && /^}/ { skip = 0 }'
}

# What a variant (BENCH_PROXY_VARIANT) adds to or takes from the shipped snippet, to measure
# what a setting costs: "shipped" as is; "metrics" plus the opt-in
# conf.d/dovecot-proxy-metrics.conf.ext, "routemetric"/"proxymetrics" plus only its
# hummingbird_route/hb_proxy_* blocks; "nopop3login" without the pop3-login tuning.
VARIANT_NAMES="shipped metrics routemetric proxymetrics nopop3login"
proxy_variant_ok() { case " $VARIANT_NAMES " in *" $1 "*) return 0 ;; esac; return 1; }
# proxy_metrics VARIANT: the metric blocks that VARIANT includes (nothing for the others)
proxy_metrics() {
	case $1 in
		metrics) cat "$SHIPPED_METRICS" ;;
		routemetric) drop_blocks 'metric hb_proxy_[a-z_]+ [{]' <"$SHIPPED_METRICS" ;;
		proxymetrics) drop_blocks 'metric hummingbird_route [{]' <"$SHIPPED_METRICS" ;;
	esac
}

# The Hummingbird proxy: what a test instance needs (address, ports, no TLS, a log), then the
# shipped snippet included as an operator includes it, then INSTALL.md's one adjustment
# (imap-login's process_min_avail = cores, when there are more than 2).
write_hb_frontend_conf() { # DIR ADDR VARIANT
	mkdir -p "$1/run"
	if [ "$3" = nopop3login ]; then
		shipped_proxy_snippet | drop_blocks 'service pop3-login [{]' >"$1/dovecot-proxy.conf.ext"
		grep -q '^service pop3-login' "$SHIPPED_PROXY" || die "$SHIPPED_PROXY: no pop3-login block any more"
	else
		shipped_proxy_snippet >"$1/dovecot-proxy.conf.ext"
	fi
	cat >"$1/dovecot.conf" <<EOF
base_dir = $1/run
instance_name = bench-hb-$3
listen = $2
protocols = imap pop3 lmtp
ssl = no
disable_plaintext_auth = no
log_path = $1/log
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
!include $1/dovecot-proxy.conf.ext
# after the snippet: its LMTP listener (127.0.0.1:24) moves to this proxy's address
service lmtp {
  inet_listener lmtp {
    address = $2
    port = $LMTP_PORT
  }
}
EOF
	proxy_metrics "$3" >"$1/dovecot-proxy-metrics.conf.ext"
	if [ -s "$1/dovecot-proxy-metrics.conf.ext" ]; then
		grep -q '^metric ' "$1/dovecot-proxy-metrics.conf.ext" ||
			die "$SHIPPED_METRICS: no metric blocks for variant $3"
		echo "!include $1/dovecot-proxy-metrics.conf.ext" >>"$1/dovecot.conf"
	else
		rm -f "$1/dovecot-proxy-metrics.conf.ext"
	fi
	login_min_avail_override >>"$1/dovecot.conf"
}

# docs/INSTALL.md: imap-login's process_min_avail = the number of cores when there are more
# than the snippet's 2 (applied to both proxies alike)
login_min_avail_override() {
	[ "$(nproc)" -gt 2 ] || return 0
	printf 'service imap-login {\n  process_min_avail = %d\n}\n' "$(nproc)"
}

# start_dovecot DIR ADDR [authdb]: with "authdb", in a mount namespace of its own where
# Dovecot's auth module dir shows $D/authdb, a copy of it plus our passdb module (the
# master keeps the PID of authdb-ns.sh, daemonizes as usual, and `doveadm stop` stops it)
start_dovecot() {
	local ns=()
	[ "${3:-}" = authdb ] && ns=(sh "$AUTHDB_NS" "$D/authdb" "$MODULE")
	# a listener there already (another benchmark run?) would be measured instead
	if timeout 1 bash -c "exec 3<>/dev/tcp/$2/$IMAP_PORT" 2>/dev/null; then
		die "$2:$IMAP_PORT is already in use (another benchmark running? set BENCH_PORT_BASE)"
	fi
	STARTED_DOVECOTS+=("$1/dovecot.conf")
	"${ns[@]}" dovecot -c "$1/dovecot.conf" || { tail -n 30 "$1/log" >&2 || true; die "dovecot $1 did not start"; }
	wait_tcp "$2" "$IMAP_PORT" "$1/log"
}

start_redis() {
	mkdir -p "$D/redis"
	# 0777 inside the bench's own directory: Dovecot's auth process (user
	# dovecot) reaches it for the passdb's Redis fast path
	redis-server --port 0 --unixsocket "$D/redis/redis.sock" --unixsocketperm 777 \
		--dir "$D/redis" --save '' --appendonly no --logfile "$D/redis/log" &
	REDIS_PID=$!
	for _ in $(seq 1 100); do
		redis-cli -s "$D/redis/redis.sock" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	tail -n 20 "$D/redis/log" >&2 || true
	die "redis did not start"
}

rcli() { redis-cli -s "$D/redis/redis.sock" "$@"; }

# Backends through hbctl when it is built, else straight into Redis per the key schema
# (docs/DESIGN.md, 1).
register_backends() {
	local name host now
	now=$(date +%s)
	write_hb_conf
	for name in b1 b2; do
		host=127.0.0.2; [ "$name" = b2 ] && host=127.0.0.3
		if [ -x "$HBCTL" ]; then
			"$HBCTL" -c "$D/hb/hummingbird.conf" backend add "$name" "$host" \
				--imap-port "$IMAP_PORT" --pop3-port "$POP3_PORT" \
				--lmtp-port "$LMTP_PORT" >/dev/null || die "hbctl backend add $name failed"
			continue
		fi
		rcli HSET "${PREFIX}backend:$name" host "$host" imap_port "$IMAP_PORT" \
			pop3_port "$POP3_PORT" lmtp_port "$LMTP_PORT" submission_port 0 \
			sieve_port 0 doveadm_port 0 weight 100 state up health unknown \
			health_time "$now" health_reason "" health_fails 0 health_oks 0 \
			fence_until 0 >/dev/null
		rcli SADD "${PREFIX}backends" "$name" >/dev/null
	done
	[ -x "$HBCTL" ] || rcli INCR "${PREFIX}epoch" >/dev/null
}

write_hb_conf() {
	mkdir -p "$D/hb"
	chmod 755 "$D/hb"
	cat >"$D/hb/hummingbird.conf" <<EOF
redis_socket = $D/redis/redis.sock
key_prefix = $PREFIX
director_listen = $D/hb/director.sock
director_socket_mode = 0666
socketmap_listen =
metrics_listen =
log = stderr
log_level = warning
EOF
}

start_director() {
	"$DIRECTOR" -c "$D/hb/hummingbird.conf" -f 2>"$D/hb/log" &
	DIRECTOR_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$D/hb/director.sock" ] && return 0
		kill -0 "$DIRECTOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$D/hb/log" >&2 || true
	die "hummingbird-director did not start"
}

# Runs a benchmark program in the background and waits, so that Ctrl-C reaches the trap at
# once (cleanup then kills it).  run_child OUTFILE CMD...
run_child() {
	local out=$1
	shift
	"$@" >"$out" &
	CHILD_PID=$!
	wait "$CHILD_PID" || true
	CHILD_PID=""
}

# Routing scripts Redis has run (EVALSHA: route_known from the passdb module, route from the
# director): with the answer cache, fewer than one per login.
script_calls() {
	local n
	n=$(rcli INFO commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p' | head -n 1)
	echo "${n:-0}"
}

# --- one load round -------------------------------------------------------------------------
# run_round PATH: writes the loadgen's RESULT line plus CPU ticks to $D/last, and the
# frontend's per-process ticks to $D/snapd.  A Hummingbird path (hb-VARIANT) also counts
# hummingbird-director and Redis, which serve only that path's logins during its round.
run_round() {
	local path=$1 fe="" dir0=0 red0=0 be0 res dir1=0 red1=0 be1 sc0=0 sc1=0
	[ -n "${FEDIR[$path]:-}" ] && fe=$D/${FEDIR[$path]}
	be0=$(($(ticks_dovecot "$D/b1") + $(ticks_dovecot "$D/b2")))
	if [ -n "$fe" ]; then snap_dovecot "$fe" >"$D/snap0"; else : >"$D/snap0"; fi
	if [[ $path == hb-* ]]; then
		dir0=$(ticks_self "$DIRECTOR_PID"); red0=$(ticks_self "$REDIS_PID"); sc0=$(script_calls)
	fi
	run_child "$D/loadgen.out" "$LOADGEN" -H "${ADDR[$path]}" -p "$IMAP_PORT" -c "$CLIENTS" -t "$SECS" \
		-U "$USERS" -q
	be1=$(($(ticks_dovecot "$D/b1") + $(ticks_dovecot "$D/b2")))
	if [ -n "$fe" ]; then snap_dovecot "$fe" >"$D/snap1"; else : >"$D/snap1"; fi
	if [[ $path == hb-* ]]; then
		dir1=$(ticks_self "$DIRECTOR_PID"); red1=$(ticks_self "$REDIS_PID"); sc1=$(script_calls)
	fi
	snap_diff "$D/snap0" "$D/snap1" | sed "s/^/$path /" >"$D/snapd"
	res=$(grep '^RESULT ' "$D/loadgen.out" || echo "RESULT logins=0 rate=0 p50_ms=0 p99_ms=0 failures=-1")
	printf '%s fe_ticks=%d dir_ticks=%d redis_ticks=%d be_ticks=%d scripts=%d\n' "$res" >"$D/last" \
		"$(awk '{ t += $3 } END { print t + 0 }' "$D/snapd")" \
		$((dir1 - dir0)) $((red1 - red0)) $((be1 - be0)) $((sc1 - sc0))
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

# The measured paths: every Hummingbird proxy variant, Dovecot's director, direct.
all_paths() {
	echo "${HB_PATHS[@]}" dd
	[ "$DIRECT" = 1 ] && echo direct
	return 0
}

load_rounds() {
	local paths r p i n line
	read -r -a paths <<<"$(all_paths | tr '\n' ' ')"
	log "warm-up: every user logs in once (creates the mailboxes), then 2 s per path, not counted"
	run_child "$D/loadgen.out" "$LOADGEN" -H 127.0.0.2 -p "$IMAP_PORT" -c "$CLIENTS" -U "$USERS" \
		-n "$USERS" -O -t 60 -q
	for p in "${paths[@]}"; do SECS=2 run_round "$p"; done
	n=${#paths[@]}
	for r in $(seq 1 "$ROUNDS"); do
		# rotate the order (A B C, B C A, ...) so that drift hits every path alike
		for i in $(seq 0 $((n - 1))); do
			p=${paths[$(((i + r - 1) % n))]}
			run_round "$p"
			line=$(cat "$D/last")
			echo "$p $line" >>"$D/rounds"
			cat "$D/snapd" >>"$D/breakdown"
			printf 'round %d %-18s logins %5s  %7s/s  p50 %7s ms  p99 %7s ms  failures %s\n' "$r" "$p" \
				"$(field logins <<<"$line")" "$(field rate <<<"$line")" \
				"$(field p50_ms <<<"$line")" "$(field p99_ms <<<"$line")" "$(field failures <<<"$line")"
		done
	done
}

# Frontend CPU per login by Dovecot process (auth holds the passdb, imap-login the proxy,
# stats receives the events of the snippet's metric blocks).
summarize_breakdown() {
	awk -v tick="$TICK" '
	NR == FNR { for (i = 2; i <= NF; i++) if ($i ~ /^logins=/) lg[$1] += substr($i, 8); next }
	{ t[$1 " " $2] += $3; p[$1 " " $2] = $1 }
	END { for (k in t) printf "  %-18s %-12s %7.3f ms/login\n", p[k], substr(k, index(k, " ") + 1),
	             (lg[p[k]] > 0 ? 1000 * t[k] / tick / lg[p[k]] : 0) }' "$D/rounds" "$D/breakdown" | sort
}

# CPU that each part spends per second with no logins at all (health checks, heartbeats, table
# snapshots, Redis' own timers): the fixed cost that the per-login figures spread over the
# logins of a round.
idle_phase() {
	local p before=() after=() i=0 d0=0 d1=0 r0 r1
	for p in "${HB_PATHS[@]}" dd; do before+=("$(ticks_dovecot "$D/${FEDIR[$p]}")"); done
	r0=$(ticks_self "$REDIS_PID"); [ -n "$DIRECTOR_PID" ] && d0=$(ticks_self "$DIRECTOR_PID")
	sleep "$IDLE_SECS"
	for p in "${HB_PATHS[@]}" dd; do after+=("$(ticks_dovecot "$D/${FEDIR[$p]}")"); done
	r1=$(ticks_self "$REDIS_PID"); [ -n "$DIRECTOR_PID" ] && d1=$(ticks_self "$DIRECTOR_PID")
	printf 'idle (%d s, no logins), CPU ms per second:' "$IDLE_SECS"
	for p in "${HB_PATHS[@]}" dd; do
		printf ' %s %s,' "$p" "$(awk -v t=$((after[i] - before[i])) -v k="$TICK" -v s="$IDLE_SECS" \
			'BEGIN { printf "%.2f", 1000 * t / k / s }')"
		i=$((i + 1))
	done
	printf ' hummingbird-director %s, redis %s\n' \
		"$(awk -v t=$((d1 - d0)) -v k="$TICK" -v s="$IDLE_SECS" 'BEGIN { printf "%.2f", 1000 * t / k / s }')" \
		"$(awk -v t=$((r1 - r0)) -v k="$TICK" -v s="$IDLE_SECS" 'BEGIN { printf "%.2f", 1000 * t / k / s }')"
}

# Sums the rounds of each path and prints the comparison.
summarize_load() {
	awk -v tick="$TICK" -v order="$(all_paths | tr '\n' ' ')" -v addrs="$(for p in $(all_paths); do
		printf '%s ' "${ADDR[$p]}"; done)" '
	function f(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return 0 }
	{ p = $1; n[p]++; lg[p] += f("logins"); el[p] += f("elapsed"); fl[p] += f("failures")
	  fe[p] += f("fe_ticks"); di[p] += f("dir_ticks"); rd[p] += f("redis_ticks"); be[p] += f("be_ticks")
	  lc[p] += f("loadgen_cpu_s"); sc[p] += f("scripts")
	  # per-round rates and frontend host CPU per login, paired by their order: the k-th round
	  # of each path ran in round k
	  rr[p, n[p]] = f("elapsed") > 0 ? f("logins") / f("elapsed") : 0
	  rc[p, n[p]] = f("logins") > 0 ? (f("fe_ticks") + f("dir_ticks")) / f("logins") : 0 }
	function median(a, m,   i, j, t) {   # sorts a[1..m] (insertion sort: mawk has no asort)
	  for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	  return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	function ms(t, l) { return l > 0 ? 1000 * t / tick / l : 0 }
	function paired(a, b,   k, m, pr) {
	  m = 0
	  for (k = 1; k <= n[a] && k <= n[b]; k++) if (rr[b, k] > 0) pr[++m] = rr[a, k] / rr[b, k]
	  return m > 0 ? median(pr, m) : 0 }
	function paired_cpu(a, b,   k, m, pr) {
	  m = 0
	  for (k = 1; k <= n[a] && k <= n[b]; k++) if (rc[b, k] > 0) pr[++m] = rc[a, k] / rc[b, k]
	  return m > 0 ? median(pr, m) : 0 }
	END {
	  np = split(order, paths, " "); split(addrs, addr, " ")
	  printf "\n%-24s %9s %9s %10s %10s %10s %10s %8s %8s\n", "path (sum of rounds)", "logins", "logins/s",
	         "proxy ms/l", "hbdir ms/l", "redis ms/l", "be ms/lgn", "failures", "loadgen"
	  for (k = 1; k <= np; k++) { p = paths[k]; if (!(p in n)) continue
	    rate[p] = el[p] > 0 ? lg[p] / el[p] : 0
	    printf "%-24s %9d %9.1f %10.2f %10.2f %10.2f %10.2f %8d %7.1f%%\n", p " (" addr[k] ")", lg[p], rate[p],
	           ms(fe[p], lg[p]), ms(di[p], lg[p]), ms(rd[p], lg[p]), ms(be[p], lg[p]), fl[p],
	           (el[p] > 0 ? 100 * lc[p] / el[p] : 0) }
	  hbs = 0
	  for (k = 1; k <= np; k++) { p = paths[k]
	    if (p !~ /^hb-/ || !(p in n) || lg[p] == 0 || lg["dd"] == 0 || fe["dd"] == 0) continue
	    hbs++; dd = ms(fe["dd"], lg["dd"])
	    printf "\nratio %s / dd (Dovecot director instance, every process of it):\n", p
	    printf "  logins/s                                        %.3f  (paired median %.3f)\n",
	           rate[p] / rate["dd"], paired(p, "dd")
	    printf "  CPU per login, Dovecot proxy alone              %.3f\n", ms(fe[p], lg[p]) / dd
	    printf "  CPU per login, frontend host (proxy + hummingbird-director) %.3f  <- goal <= 1.0\n",
	           ms(fe[p] + di[p], lg[p]) / dd
	    printf "    the same, paired (median of per-round ratios)  %.3f\n", paired_cpu(p, "dd")
	    printf "  CPU per login, with Redis (shared store, elsewhere in a cluster) %.3f\n",
	           ms(fe[p] + di[p] + rd[p], lg[p]) / dd
	    printf "  Redis routing scripts per login %.2f (the rest answered from the passdb cache)\n", sc[p] / lg[p]
	    if (first == "") first = p
	    else printf "  against %s: proxy CPU per login %+.3f ms (%.3f), logins/s paired %.3f\n", first,
	           ms(fe[p], lg[p]) - ms(fe[first], lg[first]), ms(fe[p], lg[p]) / ms(fe[first], lg[first]),
	           paired(p, first)
	  }
	  if (hbs == 0) printf "\nhummingbird side not measured (director or passdb module not built)\n"
	}' "$D/rounds"
}

lookup_bench() {
	local u out pre mem d0 r0 d1 r1 n
	printf '\nlookup benchmark: %d lookups per size, %d parallel kept connections (the passdb module path)\n' \
		"$LOOKUPS" "$PARALLEL"
	printf '%-9s %9s %10s %8s %8s %13s %13s %10s %7s\n' "assigned" "preload s" "lookups/s" "p50 ms" \
		"p99 ms" "director us/l" "redis us/l" "redis mem" "errors"
	for u in $SIZES; do
		pre=$("$LOOKUPB" -L -r "$D/redis/redis.sock" -x "$PREFIX" -b b1,b2 -U "$u" -e 3600) ||
			die "preload of $u users failed"
		d0=$(ticks_self "$DIRECTOR_PID"); r0=$(ticks_self "$REDIS_PID")
		run_child "$D/lookup.out" "$LOOKUPB" -s "$D/hb/director.sock" -k -c "$PARALLEL" -n "$LOOKUPS" -U "$u" -t 120 -q
		d1=$(ticks_self "$DIRECTOR_PID"); r1=$(ticks_self "$REDIS_PID")
		mem=$(rcli INFO memory | sed -n 's/^used_memory_human:\([^\r]*\).*/\1/p')
		out=$(grep '^RESULT ' "$D/lookup.out" || echo "RESULT lookups=0 rate=0 p50_ms=0 p99_ms=0 errors=-1")
		n=$(field lookups <<<" $out"); [ "${n:-0}" -gt 0 ] || n=1
		printf '%-9s %9s %10s %8s %8s %13s %13s %10s %7s\n' "$u" "$(field elapsed <<<" $pre")" \
			"$(field rate <<<"$out")" "$(field p50_ms <<<"$out")" "$(field p99_ms <<<"$out")" \
			"$(awk -v t=$((d1 - d0)) -v k="$TICK" -v n="$n" 'BEGIN { printf "%.1f", 1e6 * t / k / n }')" \
			"$(awk -v t=$((r1 - r0)) -v k="$TICK" -v n="$n" 'BEGIN { printf "%.1f", 1e6 * t / k / n }')" \
			"$mem" "$(field errors <<<"$out")"
	done
}

# --- main -----------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (Dovecot instances, a mount namespace for the passdb module)"
case $BACKENDS in tuned|stock) ;; *) die "BENCH_BACKENDS must be tuned or stock" ;; esac
[ -x "$LOADGEN" ] && [ -x "$LOOKUPB" ] || die "build first: $LOADGEN / $LOOKUPB missing (make in $BUILDDIR)"
grep -q -- '--enable-asan' "$BUILDDIR/config.status" 2>/dev/null &&
	log "warning: $BUILDDIR is an --enable-asan build: the director's figures are not representative"
HB_READY=1
[ -x "$DIRECTOR" ] || { log "note: $DIRECTOR not built: hummingbird side skipped"; HB_READY=0; }
[ -f "$MODULE" ] || { log "note: $MODULE not built: hummingbird side skipped"; HB_READY=0; }
[ -f "$SHIPPED_PROXY" ] && [ -f "$SHIPPED_METRICS" ] && [ -f "$AUTHDB_NS" ] ||
	die "$SHIPPED_PROXY, $SHIPPED_METRICS or $AUTHDB_NS missing"
n=0
for v in $VARIANTS; do
	proxy_variant_ok "$v" || die "unknown BENCH_PROXY_VARIANT $v (one or more of: $VARIANT_NAMES)"
	[ -z "${ADDR[hb-$v]:-}" ] || die "BENCH_PROXY_VARIANT names $v twice"
	# the first on 127.0.0.10, the others from 127.0.0.12 (127.0.0.11 is Dovecot's director)
	ADDR[hb-$v]=127.0.0.$((n == 0 ? 10 : 11 + n)); FEDIR[hb-$v]=hbfe-$v
	[ "$HB_READY" = 1 ] && HB_PATHS+=("hb-$v")
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "BENCH_PROXY_VARIANT is empty"
shipped_proxy_snippet >/dev/null     # the shipped paths are still there: say so before starting

D=$(mktemp -d /tmp/hb-bench.XXXXXX)
chmod 755 "$D"
mkdir -p "$D/mail"
chown 5000:5000 "$D/mail"
: >"$D/rounds"
: >"$D/breakdown"

log "starting redis, backends 127.0.0.2/.3 and dovecot director 127.0.0.11 in $D (IMAP port $IMAP_PORT)"
start_redis
register_backends
write_backend_conf "$D/b1" 127.0.0.2 b1; start_dovecot "$D/b1" 127.0.0.2
write_backend_conf "$D/b2" 127.0.0.3 b2; start_dovecot "$D/b2" 127.0.0.3
write_dd_conf "$D/dd"; start_dovecot "$D/dd" 127.0.0.11
if [ "$HB_READY" = 1 ]; then
	start_director
	for p in "${HB_PATHS[@]}"; do
		log "starting the hummingbird proxy ${ADDR[$p]}: $SHIPPED_PROXY, variant ${p#hb-}"
		write_hb_frontend_conf "$D/${FEDIR[$p]}" "${ADDR[$p]}" "${p#hb-}"
		start_dovecot "$D/${FEDIR[$p]}" "${ADDR[$p]}" authdb
	done
fi
sleep 1   # let process_min_avail login processes come up

printf 'director benchmark: %d rounds x %d s, %d clients, %d users, %s backends, proxy %s (fast path %s), %s cores, load average %s\n' \
	"$ROUNDS" "$SECS" "$CLIENTS" "$USERS" "$BACKENDS" "$(echo $VARIANTS | tr ' ' ,)" \
	"$([ "$FAST" = 1 ] && echo on || echo off)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
[ "$IDLE_SECS" -gt 0 ] && idle_phase
load_rounds
summarize_load
printf '\nfrontend CPU per login by process (sum of rounds):\n'
summarize_breakdown
doveadm -c "$D/dd/dovecot.conf" director status 2>/dev/null | sed 's/^/dovecot director: /' || true
if [ "$HB_READY" = 1 ]; then
	if [ -x "$HBCTL" ]; then
		"$HBCTL" -c "$D/hb/hummingbird.conf" backend list 2>&1 | sed 's/^/hummingbird: /' || true
	else
		printf 'hummingbird: users per backend: b1 %s, b2 %s\n' \
			"$(rcli ZCARD "${PREFIX}users:b1")" "$(rcli ZCARD "${PREFIX}users:b2")"
	fi
	lookup_bench
fi
printf '\nload average at the end: %s (other work on the machine skews every figure alike)\n' \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
