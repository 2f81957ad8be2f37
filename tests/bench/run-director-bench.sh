#!/bin/bash
# run-director-bench.sh - the director benchmark (docs/PERFORMANCE.md).  In a temp dir on
# loopback it starts Redis, two Dovecot backends (127.0.0.2/.3), hummingbird-director, a Dovecot
# proxy using `passdb { driver = hummingbird }` (127.0.0.10) and Dovecot 2.3's own director
# (127.0.0.11) as the same-run baseline; runs alternating load rounds against each and the
# lookup benchmark for 1k/100k/1M assigned users, prints ratios, then stops everything.
# It is never a timed assertion.  Usage: run-director-bench.sh [BUILDDIR]   (run as root)
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
FAST=${BENCH_FAST:-1}                # 1: the passdb's Redis fast path (config=); 0: every
                                     # login asks hummingbird-director

IMAP_PORT=$((PORT_BASE + 143)); POP3_PORT=$((PORT_BASE + 110)); LMTP_PORT=$((PORT_BASE + 24))
RING_PORT=$((PORT_BASE + 90))
LOADGEN=$BUILDDIR/tests/bench/hb-imap-load
LOOKUPB=$BUILDDIR/tests/bench/hb-lookup-bench
DIRECTOR=$BUILDDIR/director/hummingbird-director
HBCTL=$BUILDDIR/cli/hbctl
MODULE=$BUILDDIR/plugins/auth/.libs/libauthdb_hummingbird.so
MODDIR=/usr/lib/dovecot/modules/auth
MODNAME=libauthdb_hummingbird.so
TICK=$(getconf CLK_TCK)
PREFIX=hb:

D=""; DIRECTOR_PID=""; REDIS_PID=""; CHILD_PID=""; MODULE_COPIED=0; STARTED_DOVECOTS=()

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
	if [ "$MODULE_COPIED" = 1 ]; then
		rm -f "$MODDIR/$MODNAME"
		[ -f "$D/module-backup/$MODNAME" ] && cp -p "$D/module-backup/$MODNAME" "$MODDIR/"
	fi
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
# (high-performance login mode), on 127.0.0.11.
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
EOF
}

# The same proxy, routed by Hummingbird instead (same login-process tuning), on 127.0.0.10.
write_hb_frontend_conf() { # DIR
	local HB_FAST_ARG=""
	[ "$FAST" = 1 ] && HB_FAST_ARG=" config=$D/hb/hummingbird.conf"
	mkdir -p "$1/run"
	cat >"$1/dovecot.conf" <<EOF
base_dir = $1/run
instance_name = bench-hb
listen = 127.0.0.10
protocols = imap pop3
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $1/log
passdb {
  driver = hummingbird
  args = socket=$D/hb/director.sock nopassword=y$HB_FAST_ARG
}
service imap-login {
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
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
EOF
}

start_dovecot() { # DIR ADDR
	# a listener there already (another benchmark run?) would be measured instead
	if timeout 1 bash -c "exec 3<>/dev/tcp/$2/$IMAP_PORT" 2>/dev/null; then
		die "$2:$IMAP_PORT is already in use (another benchmark running? set BENCH_PORT_BASE)"
	fi
	STARTED_DOVECOTS+=("$1/dovecot.conf")
	dovecot -c "$1/dovecot.conf" || { tail -n 30 "$1/log" >&2 || true; die "dovecot $1 did not start"; }
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

install_module() {
	mkdir -p "$D/module-backup"
	[ -f "$MODDIR/$MODNAME" ] && cp -p "$MODDIR/$MODNAME" "$D/module-backup/"
	MODULE_COPIED=1
	cp "$MODULE" "$MODDIR/$MODNAME"
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
# run_round PATH ADDR: writes the loadgen's RESULT line plus CPU ticks to $D/last, and the
# frontend's per-process ticks to $D/breakdown
run_round() {
	local path=$1 addr=$2 fe="" dir0=0 red0=0 be0 res dir1=0 red1=0 be1 sc0=0 sc1=0
	case $path in
		hb) fe=$D/hbfe ;;
		dd) fe=$D/dd ;;
	esac
	be0=$(($(ticks_dovecot "$D/b1") + $(ticks_dovecot "$D/b2")))
	if [ -n "$fe" ]; then snap_dovecot "$fe" >"$D/snap0"; else : >"$D/snap0"; fi
	if [ "$path" = hb ]; then
		dir0=$(ticks_self "$DIRECTOR_PID"); red0=$(ticks_self "$REDIS_PID"); sc0=$(script_calls)
	fi
	run_child "$D/loadgen.out" "$LOADGEN" -H "$addr" -p "$IMAP_PORT" -c "$CLIENTS" -t "$SECS" -U "$USERS" -q
	be1=$(($(ticks_dovecot "$D/b1") + $(ticks_dovecot "$D/b2")))
	if [ -n "$fe" ]; then snap_dovecot "$fe" >"$D/snap1"; else : >"$D/snap1"; fi
	if [ "$path" = hb ]; then
		dir1=$(ticks_self "$DIRECTOR_PID"); red1=$(ticks_self "$REDIS_PID"); sc1=$(script_calls)
	fi
	snap_diff "$D/snap0" "$D/snap1" | sed "s/^/$path /" >"$D/snapd"
	res=$(grep '^RESULT ' "$D/loadgen.out" || echo "RESULT logins=0 rate=0 p50_ms=0 p99_ms=0 failures=-1")
	printf '%s fe_ticks=%d dir_ticks=%d redis_ticks=%d be_ticks=%d scripts=%d\n' "$res" >"$D/last" \
		"$(awk '{ t += $3 } END { print t + 0 }' "$D/snapd")" \
		$((dir1 - dir0)) $((red1 - red0)) $((be1 - be0)) $((sc1 - sc0))
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

load_rounds() {
	local paths=() r p i n line
	[ "$HB_READY" = 1 ] && paths+=(hb)
	paths+=(dd)
	[ "$DIRECT" = 1 ] && paths+=(direct)
	log "warm-up: every user logs in once (creates the mailboxes), then 2 s per path, not counted"
	run_child "$D/loadgen.out" "$LOADGEN" -H 127.0.0.2 -p "$IMAP_PORT" -c "$CLIENTS" -U "$USERS" \
		-n "$USERS" -O -t 60 -q
	for p in "${paths[@]}"; do SECS=2 run_round "$p" "$(addr_of "$p")"; done
	n=${#paths[@]}
	for r in $(seq 1 "$ROUNDS"); do
		# rotate the order (A B C, B C A, ...) so that drift hits every path alike
		for i in $(seq 0 $((n - 1))); do
			p=${paths[$(((i + r - 1) % n))]}
			run_round "$p" "$(addr_of "$p")"
			line=$(cat "$D/last")
			echo "$p $line" >>"$D/rounds"
			cat "$D/snapd" >>"$D/breakdown"
			printf 'round %d %-7s logins %5s  %7s/s  p50 %7s ms  p99 %7s ms  failures %s\n' "$r" "$p" \
				"$(field logins <<<"$line")" "$(field rate <<<"$line")" \
				"$(field p50_ms <<<"$line")" "$(field p99_ms <<<"$line")" "$(field failures <<<"$line")"
		done
	done
}

# Frontend CPU per login by Dovecot process (auth holds the passdb, imap-login the proxy).
summarize_breakdown() {
	awk -v tick="$TICK" '
	NR == FNR { for (i = 2; i <= NF; i++) if ($i ~ /^logins=/) lg[$1] += substr($i, 8); next }
	{ t[$1 " " $2] += $3; p[$1 " " $2] = $1 }
	END { for (k in t) printf "  %-3s %-12s %7.3f ms/login\n", p[k], substr(k, index(k, " ") + 1),
	             (lg[p[k]] > 0 ? 1000 * t[k] / tick / lg[p[k]] : 0) }' "$D/rounds" "$D/breakdown" | sort
}

# CPU that each routing part spends per second with no logins at all (health checks, heartbeats,
# table snapshots, Redis' own timers): the fixed cost that the per-login figures spread over
# the logins of a round.  Writes "idle_s=… fe_hb=… fe_dd=… dir=… redis=…" (ticks) to $D/idle.
idle_phase() {
	local fh0=0 fh1=0 fd0 fd1 d0=0 d1=0 r0 r1
	fd0=$(ticks_dovecot "$D/dd"); r0=$(ticks_self "$REDIS_PID")
	if [ "$HB_READY" = 1 ]; then fh0=$(ticks_dovecot "$D/hbfe"); d0=$(ticks_self "$DIRECTOR_PID"); fi
	sleep "$IDLE_SECS"
	fd1=$(ticks_dovecot "$D/dd"); r1=$(ticks_self "$REDIS_PID")
	if [ "$HB_READY" = 1 ]; then fh1=$(ticks_dovecot "$D/hbfe"); d1=$(ticks_self "$DIRECTOR_PID"); fi
	echo "idle_s=$IDLE_SECS fe_hb=$((fh1 - fh0)) fe_dd=$((fd1 - fd0)) dir=$((d1 - d0)) redis=$((r1 - r0))" >"$D/idle"
	awk -v tick="$TICK" -v s="$IDLE_SECS" '
	function f(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return 0 }
	{ printf "idle (%d s, no logins), CPU ms per second: hummingbird proxy %.2f, hummingbird-director %.2f, redis %.2f; dovecot director proxy %.2f\n",
	         s, 1000 * f("fe_hb") / tick / s, 1000 * f("dir") / tick / s, 1000 * f("redis") / tick / s,
	         1000 * f("fe_dd") / tick / s }' "$D/idle"
}

addr_of() { case $1 in hb) echo 127.0.0.10 ;; dd) echo 127.0.0.11 ;; *) echo 127.0.0.2 ;; esac; }

# Sums the rounds of each path and prints the comparison.
summarize_load() {
	awk -v tick="$TICK" -v secs="$SECS" '
	function f(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return 0 }
	{ p = $1; n[p]++; lg[p] += f("logins"); el[p] += f("elapsed"); fl[p] += f("failures")
	  fe[p] += f("fe_ticks"); di[p] += f("dir_ticks"); rd[p] += f("redis_ticks"); be[p] += f("be_ticks")
	  lc[p] += f("loadgen_cpu_s"); sc[p] += f("scripts")
	  # per-round rates, paired by their order: the k-th round of each path ran in round k
	  rr[p, n[p]] = f("elapsed") > 0 ? f("logins") / f("elapsed") : 0 }
	function median(a, m,   i, j, t) {   # sorts a[1..m] (insertion sort: mawk has no asort)
	  for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	  return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	function ms(t, l) { return l > 0 ? 1000 * t / tick / l : 0 }
	END {
	  printf "\n%-38s %9s %9s %10s %10s %10s %10s %8s %8s\n", "path (sum of rounds)", "logins", "logins/s",
	         "fe ms/lgn", "dir ms/lgn", "redis ms/l", "be ms/lgn", "failures", "loadgen"
	  split("hb dd direct", order, " ")
	  names["hb"] = "dovecot proxy + hummingbird (.10)"; names["dd"] = "dovecot director (.11)"
	  names["direct"] = "direct to backend (.2)"
	  for (k = 1; k <= 3; k++) { p = order[k]; if (!(p in n)) continue
	    rate[p] = el[p] > 0 ? lg[p] / el[p] : 0
	    printf "%-38s %9d %9.1f %10.2f %10.2f %10.2f %10.2f %8d %7.1f%%\n", names[p], lg[p], rate[p],
	           ms(fe[p], lg[p]), ms(di[p], lg[p]), ms(rd[p], lg[p]), ms(be[p], lg[p]), fl[p],
	           (el[p] > 0 ? 100 * lc[p] / el[p] : 0) }
	  if (("hb" in n) && ("dd" in n) && lg["dd"] > 0 && lg["hb"] > 0 && fe["dd"] > 0) {
	    printf "\nratio hummingbird / dovecot-director:\n"
	    printf "  logins/s                                 %.3f  (goal >= 1.0)\n", rate["hb"] / rate["dd"]
	    m = 0
	    for (k = 1; k <= n["hb"] && k <= n["dd"]; k++) if (rr["dd", k] > 0) pr[++m] = rr["hb", k] / rr["dd", k]
	    if (m > 0) printf "  logins/s, paired (median of per-round ratios) %.3f\n", median(pr, m)
	    printf "  frontend CPU per login (dovecot proxy)   %.3f  (goal <= 1.0)\n", ms(fe["hb"], lg["hb"]) / ms(fe["dd"], lg["dd"])
	    printf "  frontend host CPU per login (proxy + hummingbird-director) %.3f\n",
	           ms(fe["hb"] + di["hb"], lg["hb"]) / ms(fe["dd"], lg["dd"])
	    printf "  routing CPU per login (proxy+director+redis vs. director proxy) %.3f\n",
	           ms(fe["hb"] + di["hb"] + rd["hb"], lg["hb"]) / ms(fe["dd"], lg["dd"])
	    printf "\nRedis routing scripts per hummingbird login: %.2f (the rest answered from the passdb cache)\n",
	           sc["hb"] / lg["hb"]
	  } else if (!("hb" in n)) {
	    printf "\nhummingbird side not measured (director or passdb module not built)\n"
	  }
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
[ "$(id -u)" = 0 ] || die "run as root (Dovecot instances, module install)"
case $BACKENDS in tuned|stock) ;; *) die "BENCH_BACKENDS must be tuned or stock" ;; esac
[ -x "$LOADGEN" ] && [ -x "$LOOKUPB" ] || die "build first: $LOADGEN / $LOOKUPB missing (make in $BUILDDIR)"
grep -q -- '--enable-asan' "$BUILDDIR/config.status" 2>/dev/null &&
	log "warning: $BUILDDIR is an --enable-asan build: the director's figures are not representative"
HB_READY=1
[ -x "$DIRECTOR" ] || { log "note: $DIRECTOR not built: hummingbird side skipped"; HB_READY=0; }
[ -f "$MODULE" ] || { log "note: $MODULE not built: hummingbird side skipped"; HB_READY=0; }

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
	log "starting hummingbird-director and the hummingbird proxy 127.0.0.10"
	start_director
	install_module
	write_hb_frontend_conf "$D/hbfe"; start_dovecot "$D/hbfe" 127.0.0.10
fi
sleep 1   # let process_min_avail login processes come up

printf 'director benchmark: %d rounds x %d s, %d clients, %d users, %s backends, fast path %s, %s cores, load average %s\n' \
	"$ROUNDS" "$SECS" "$CLIENTS" "$USERS" "$BACKENDS" "$([ "$FAST" = 1 ] && echo on || echo off)" \
	"$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
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
