#!/bin/bash
# run-guard-bench.sh - the hb_guard benchmark (docs/PERFORMANCE.md, "hb_guard benchmark").  It
# starts its own Dovecot 2.3 on 127.0.0.61 with maildirs on the real disk (/var/tmp), once per
# variant and round: stock (no plugin) and hb_guard with hb_guard_fsync = none / log / dirs /
# its default.  Each round fills fresh mailboxes (not measured), then tests/bench/hb-imap-work
# runs the mixed IMAP workload; the variants alternate in rotated order.  It prints ops/s
# (median of rounds), the ratio to stock, p99, Dovecot CPU and disk flushes per operation, and
# the goal line.  Never a timed assertion: the exit status reports errors only.
#
# Usage (as root): run-guard-bench.sh [BUILDDIR]   (default $HB_BUILDDIR, else .)
# The guard variants need BUILDDIR/plugins/guard/.libs/lib90_hb_guard_plugin.so (or the one in
# $BENCH_PLUGIN_DIR); it is copied once, so a rebuild during the run changes nothing.  Without it
# the script stops unless BENCH_VARIANTS holds only stock (a baseline-only run).
# The variant "locks" loads hb_locks instead (BUILDDIR/plugins/locks/.libs, with the shipped
# conf.d/91-hb-locks.conf and its metrics): its overhead goal is <= 2 % (docs/LOCKS.md);
# "locks-nometrics" loads the plugin without the metric blocks, "locks-notitle" with
# hb_locks_title = no.
set -euo pipefail

BUILDDIR=$(cd "${1:-${HB_BUILDDIR:-${BUILDDIR:-.}}}" && pwd)
ROUNDS=${BENCH_ROUNDS:-3}             # rounds; each runs every variant once
SECS=${BENCH_SECS:-20}                # measured seconds per variant and round
CLIENTS=${BENCH_CLIENTS:-8}           # parallel IMAP clients, one user each
SIZE=${BENCH_SIZE:-4096}              # bytes per APPENDed message
MAX_MSGS=${BENCH_MAX_MSGS:-100}       # INBOX kept near this; filled to half before the clock
VARIANTS=${BENCH_VARIANTS:-"stock guard-none guard-log guard-dirs guard-default"}
                                      # also: guard-log-dirs (explicit), stock-again (A/A noise)
ADDR=${BENCH_ADDR:-127.0.0.61}        # only 127.0.0.60-69 (other tests use other addresses)
PORT=${BENCH_PORT:-10143}
MAIL_BASE=${BENCH_MAIL_BASE:-/var/tmp}  # a real disk: fsync costs must be real
GUARD_SETTINGS=${BENCH_GUARD_SETTINGS:-}  # extra lines for plugin {} in the guard variants
KEEP=${BENCH_KEEP:-0}                 # 1: keep the temp dir (logs, configs) afterwards
SETTLE=${BENCH_SETTLE:-6}             # seconds after deleting a variant's mail (ext4 inode reuse)

LOADGEN=$BUILDDIR/tests/bench/hb-imap-work
SRC_PLUGIN_DIR=${BENCH_PLUGIN_DIR:-$BUILDDIR/plugins/guard/.libs}
PLUGIN_SO=lib90_hb_guard_plugin.so
LOCKS_SO=lib91_hb_locks_plugin.so
SRC_LOCKS_DIR=$BUILDDIR/plugins/locks/.libs
LOCKS_CONF=$(cd "$(dirname "$0")/../../conf.d" && pwd)/91-hb-locks.conf
MAIL_UID=5000
TICK=$(getconf CLK_TCK)

D=""; CONF=""; CHILD_PID=""; RUNNING=0; NEED_PLUGIN=0; NEED_LOCKS=0

log() { printf '%s\n' "$*" >&2; }
die() { log "run-guard-bench: $*"; exit 1; }

# --- cleanup: runs on every exit, error and Ctrl-C ------------------------------------------
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$CHILD_PID" ] && kill "$CHILD_PID" 2>/dev/null
	[ "$RUNNING" = 1 ] && stop_dovecot
	if [ -n "$D" ] && [ "$KEEP" != 1 ]; then rm -rf "$D"; elif [ -n "$D" ]; then log "kept $D"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- Dovecot ---------------------------------------------------------------------------------
# guard-default sets nothing, so that the plugin's own default (log dirs) is what is measured.
guard_block() { # VARIANT
	local mode=${1#guard-}
	case $1 in stock*) return 0 ;; esac
	if [ "$1" = locks ]; then
		printf 'mail_plugin_dir = %s\n!include %s\n' "$D/plugins" "$LOCKS_CONF"
		return 0
	fi
	if [ "$1" = locks-nometrics ]; then	# the plugin alone: what the metrics cost
		printf 'mail_plugin_dir = %s\nmail_plugins = $mail_plugins hb_locks\n' "$D/plugins"
		return 0
	fi
	if [ "$1" = locks-notitle ]; then	# what the process-title record costs
		printf 'mail_plugin_dir = %s\n!include %s\nplugin {\n  hb_locks_title = no\n}\n' \
			"$D/plugins" "$LOCKS_CONF"
		return 0
	fi
	printf 'mail_plugin_dir = %s\nmail_plugins = $mail_plugins hb_guard\nplugin {\n' "$D/plugins"
	[ "$mode" != default ] && printf '  hb_guard_fsync = %s\n' "${mode/-/ }"
	[ -n "$GUARD_SETTINGS" ] && printf '  %s\n' "$GUARD_SETTINGS"
	printf '}\n'
}

write_conf() { # VARIANT
	CONF=$D/conf/$1.conf
	cat >"$CONF" <<EOF
# run-guard-bench.sh, variant $1
base_dir = $D/run
state_dir = $D/state
instance_name = hb-guard-bench
listen = $ADDR
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
log_path = $D/log/$1.log
mail_location = maildir:~/Maildir
mail_fsync = optimized
mail_uid = $MAIL_UID
mail_gid = $MAIL_UID
first_valid_uid = $MAIL_UID
passdb {
  driver = static
  args = password=pass
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_UID home=$D/mail/%u allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
$(guard_block "$1")
EOF
	doveconf -c "$CONF" -n >/dev/null 2>"$D/doveconf.err" || { cat "$D/doveconf.err" >&2; die "bad config $CONF"; }
}

listening() { timeout 1 bash -c "exec 3<>/dev/tcp/$ADDR/$PORT" 2>/dev/null; }

start_dovecot() { # VARIANT
	local i
	listening && die "$ADDR:$PORT is already in use (another run? set BENCH_PORT)"
	RUNNING=1
	dovecot -c "$CONF" || { tail -n 20 "$D/log/$1.log" >&2 || true; die "dovecot ($1) did not start"; }
	for i in $(seq 1 100); do listening && return 0; sleep 0.1; done
	tail -n 20 "$D/log/$1.log" >&2 || true
	die "dovecot ($1) does not listen on $ADDR:$PORT"
}

# Stops the instance and waits until its master is gone, so the next variant gets the port.
stop_dovecot() {
	local pid i
	pid=$(cat "$D/run/master.pid" 2>/dev/null || true)
	doveadm -c "$CONF" stop >/dev/null 2>&1 || true
	RUNNING=0
	[ -n "$pid" ] || return 0
	for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	log "run-guard-bench: dovecot master $pid did not stop in 10 s"
}

# --- measurements ----------------------------------------------------------------------------
# CPU ticks of a process and its living descendants (utime+stime+cutime+cstime): a child that
# exited is in its parent's reaped fields, so the difference of two snapshots stays exact.
ticks_tree() { # PID
	local s f t c
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }; read -r -a f <<<"$s"
	t=$((f[11] + f[12] + f[13] + f[14]))
	for c in $(pgrep -P "$1" || true); do t=$((t + $(ticks_tree "$c"))); done
	echo "$t"
}
ticks_dovecot() { ticks_tree "$(cat "$D/run/master.pid")"; }

# Flush (cache flush) requests completed by the disk under the mail: fsync and fdatasync end
# in one on ext4 with a write-back cache.  Whole-disk figure: other work on it counts too.
MAIL_DEV=""
find_mail_dev() {
	local majmin dev
	majmin=$(mountpoint -d "$(df --output=target "$MAIL_BASE" | tail -n 1)" 2>/dev/null) || return 0
	dev=$(readlink -f "/sys/dev/block/$majmin" 2>/dev/null) || return 0
	[ -f "$dev/stat" ] && [ "$(wc -w <"$dev/stat")" -ge 17 ] && MAIL_DEV=$dev/stat
	return 0
}
flushes() { if [ -n "$MAIL_DEV" ]; then awk '{ print $16 }' "$MAIL_DEV"; else echo 0; fi; }

# Whether the running instance's imap processes have the plugin mapped.
plugin_loaded() { # VARIANT
	local p so=$PLUGIN_SO
	case $1 in locks*) so=$LOCKS_SO ;; esac
	for p in $(pgrep -P "$(cat "$D/run/master.pid")" -x imap || true); do
		grep -qs "$so" "/proc/$p/maps" && { echo 1; return; }
	done
	echo 0
}

# Runs the load generator in the background so that Ctrl-C reaches the trap at once.
run_child() { # OUTFILE CMD...
	local out=$1
	shift
	"$@" >"$out" &
	CHILD_PID=$!
	wait "$CHILD_PID" || true
	CHILD_PID=""
}

# --- one variant in one round ----------------------------------------------------------------
# Fresh users per round and variant (prefix r<round><variant>u): INBOX filled to MAX_MSGS/2 and
# synced to disk before the clock, so every measured run starts from the same state.
run_variant() { # ROUND VARIANT
	local r=$1 v=$2 prefix t0 t1 f0 f1 loaded=0 res
	prefix="r${r}${v//-/}u"
	write_conf "$v"
	start_dovecot "$v"
	local common=(-H "$ADDR" -p "$PORT" -c "$CLIENTS" -S "$SIZE" -m "$MAX_MSGS" -u "$prefix" -s "$r" -q)
	run_child "$D/prefill.out" "$LOADGEN" "${common[@]}" -P
	grep -q "^RESULT prefilled=$CLIENTS" "$D/prefill.out" ||
		{ tail -n 20 "$D/log/$v.log" >&2 || true; die "prefill failed ($v, round $r)"; }
	sync -f "$D/mail"
	t0=$(ticks_dovecot); f0=$(flushes)
	"$LOADGEN" "${common[@]}" -t "$SECS" >"$D/work.out" &
	CHILD_PID=$!
	sleep 2
	case $v in guard-*|locks*) loaded=$(plugin_loaded "$v") ;; esac
	wait "$CHILD_PID" || true
	CHILD_PID=""
	t1=$(ticks_dovecot); f1=$(flushes)
	stop_dovecot
	rm -rf "$D/mail/$prefix"*
	# ext4 does not reuse an inode within 5 s of its deletion (300 s while the inode table
	# is dirty): without this pause every file the next variant creates first scans past
	# thousands of this variant's inodes (find_inode_bit/recently_deleted in a profile)
	sync -f "$D/mail"
	sleep "$SETTLE"
	res=$(grep '^RESULT ' "$D/work.out" || echo "RESULT ops=0 rate=0 p99_ms=0 errors=-1")
	echo "$v $res dc_ticks=$((t1 - t0)) flushes=$((f1 - f0)) plugin=$loaded" >>"$D/rounds"
	printf 'round %d %-14s %8s ops/s  p99 %7s ms  NO %s BAD %s errors %s%s\n' "$r" "$v" \
		"$(field rate <"$D/work.out")" "$(field p99_ms <"$D/work.out")" "$(field no <"$D/work.out")" \
		"$(field bad <"$D/work.out")" "$(field errors <"$D/work.out")" \
		"$(case $v in guard-*|locks*) [ "$loaded" = 0 ] && echo '  (plugin NOT seen in imap processes)' ;; esac)"
}

field() { sed -n "s/^RESULT.* $1=\([^ ]*\).*/\1/p"; }

# --- summary ---------------------------------------------------------------------------------
summarize() {
	awk -v tick="$TICK" -v order="$VARIANTS" '
	function f(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return 0 }
	function median(v, n,   i, j, t, a) {
		for (i = 1; i <= n; i++) a[i] = v[i]
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ v = $1; k = ++n[v]; rate[v, k] = f("rate"); p99[v, k] = f("p99_ms")
	  ops[v] += f("ops"); ticks[v] += f("dc_ticks"); fl[v] += f("flushes")
	  no[v] += f("no"); bad[v] += f("bad"); err[v] += f("errors"); if (f("plugin") == 0) unseen[v]++ }
	END {
	  nv = split(order, names, " ")
	  for (i = 1; i <= nv; i++) { v = names[i]; if (!(v in n)) continue
	    for (k = 1; k <= n[v]; k++) { r[k] = rate[v, k]; q[k] = p99[v, k] }
	    med[v] = median(r, n[v]); mp99[v] = median(q, n[v]) }
	  # paired: the ratio to stock within each round (same minute, same disk state), median over
	  # rounds; it cancels the drift between rounds that the ratio of medians still carries
	  for (i = 1; i <= nv; i++) { v = names[i]; if (!(v in n) || !("stock" in n)) continue
	    m = 0; for (k = 1; k <= n[v] && k <= n["stock"]; k++) if (rate["stock", k] > 0) r[++m] = rate[v, k] / rate["stock", k]
	    if (m > 0) paired[v] = median(r, m) }
	  printf "\n%-14s %10s %9s %9s %9s %12s %13s %6s %6s %7s\n", "variant", "ops/s", "x stock", "paired x", "p99 ms",
	         "CPU ms/op", "flushes/op", "NO", "BAD", "errors"
	  base = ("stock" in med) ? med["stock"] : 0
	  for (i = 1; i <= nv; i++) { v = names[i]; if (!(v in n)) continue
	    ratio = base > 0 ? sprintf("%.3f", med[v] / base) : "-"
	    cpu = ops[v] ? 1000 * ticks[v] / tick / ops[v] : 0; fpo = ops[v] ? fl[v] / ops[v] : 0
	    pr = (v in paired) ? sprintf("%.3f", paired[v]) : "-"
	    printf "%-14s %10.1f %9s %9s %9.2f %12.3f %13.3f %6d %6d %7d\n", v, med[v], ratio, pr, mp99[v], cpu, fpo,
	           no[v], bad[v], err[v] }
	  for (v in unseen) if (v ~ /^guard-|^locks/) printf "WARNING: %s: the plugin was not seen in the imap processes in %d round(s)\n", v, unseen[v]
	  if (base > 0 && ("guard-default" in med))
	    printf "\nguard-default vs stock: %.2fx, paired %.2fx (goal >= 0.90)\n", med["guard-default"] / base,
	           paired["guard-default"]
	  else
	    printf "\nguard-default vs stock: not measured (BENCH_VARIANTS lacks stock or guard-default)\n"
	  if (base > 0 && ("locks" in med))
	    printf "locks vs stock: %.3fx, paired %.3fx (goal >= 0.98: hb_locks overhead <= 2 %%)\n",
	           med["locks"] / base, paired["locks"]
	  if (base > 0 && ("locks-notitle" in med))
	    printf "locks-notitle vs stock: %.3fx, paired %.3fx (the plugin without its title record)\n",
	           med["locks-notitle"] / base, paired["locks-notitle"]
	  if (base > 0 && ("locks-nometrics" in med))
	    printf "locks-nometrics vs stock: %.3fx, paired %.3fx (the plugin without its metric blocks)\n",
	           med["locks-nometrics"] / base, paired["locks-nometrics"]
	}' "$D/rounds"
}

dovecot_errors() {
	local v n
	for v in $VARIANTS; do
		n=$(grep -cE '(Error|Panic|Fatal):' "$D/log/$v.log" 2>/dev/null || true)
		[ "${n:-0}" -gt 0 ] && printf 'dovecot log of %s: %d error lines, e.g.: %s\n' "$v" "$n" \
			"$(grep -m1 -E '(Error|Panic|Fatal):' "$D/log/$v.log")"
	done
	return 0
}

# --- main ------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (Dovecot instances with a mail uid)"
[[ $ADDR =~ ^127\.0\.0\.6[0-9]$ ]] || die "BENCH_ADDR must be one of 127.0.0.60-69"
[ -x "$LOADGEN" ] || die "build first: $LOADGEN missing (make in $BUILDDIR)"
for v in $VARIANTS; do
	case $v in stock|stock-again) ;;
		guard-none|guard-log|guard-dirs|guard-log-dirs|guard-default) NEED_PLUGIN=1 ;;
		locks|locks-nometrics|locks-notitle) NEED_LOCKS=1 ;;
		*) die "unknown variant $v (stock stock-again guard-none guard-log guard-dirs guard-log-dirs guard-default locks locks-nometrics locks-notitle)" ;; esac
done
if [ "$NEED_PLUGIN" = 1 ] && [ ! -f "$SRC_PLUGIN_DIR/$PLUGIN_SO" ]; then
	die "hb_guard plugin not built: $SRC_PLUGIN_DIR/$PLUGIN_SO missing (build plugins/guard, or BENCH_VARIANTS=stock for a baseline-only run)"
fi
if [ "$NEED_LOCKS" = 1 ] && [ ! -f "$SRC_LOCKS_DIR/$LOCKS_SO" ]; then
	die "hb_locks plugin not built: $SRC_LOCKS_DIR/$LOCKS_SO missing"
fi
grep -q -- '--enable-asan' "$BUILDDIR/config.status" 2>/dev/null &&
	log "warning: $BUILDDIR is an --enable-asan build: the plugin's figures are not representative"

D=$(mktemp -d "$MAIL_BASE/hb-guard-bench.XXXXXX")
chmod 755 "$D"
mkdir -p "$D/mail" "$D/conf" "$D/log" "$D/run" "$D/state" "$D/plugins"
chown "$MAIL_UID:$MAIL_UID" "$D/mail"
if [ "$NEED_PLUGIN" = 1 ]; then
	cp "$SRC_PLUGIN_DIR/$PLUGIN_SO" "$D/plugins/"
	chmod 755 "$D/plugins" && chmod 644 "$D/plugins/$PLUGIN_SO"
fi
if [ "$NEED_LOCKS" = 1 ]; then
	cp "$SRC_LOCKS_DIR/$LOCKS_SO" "$D/plugins/"
	chmod 755 "$D/plugins" && chmod 644 "$D/plugins/$LOCKS_SO"
fi
: >"$D/rounds"
[ "$(df --output=fstype "$D" | tail -n 1)" = tmpfs ] && log "warning: $D is on tmpfs: fsyncs cost nothing there"
find_mail_dev
VARS=($VARIANTS)

[ "$NEED_PLUGIN" = 1 ] && log "hb_guard plugin: $SRC_PLUGIN_DIR/$PLUGIN_SO ($(date -r "$SRC_PLUGIN_DIR/$PLUGIN_SO" '+%F %T'))"
printf 'hb_guard benchmark: %d rounds x %d s per variant, %d clients, %d-byte messages, INBOX ~%d, mail in %s (%s), %s cores, load average %s\n' \
	"$ROUNDS" "$SECS" "$CLIENTS" "$SIZE" "$MAX_MSGS" "$D" "$(df --output=fstype "$D" | tail -n 1)" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
	# rotate the order (A B C, B C A, ...) so that drift hits every variant alike
	for i in $(seq 0 $((${#VARS[@]} - 1))); do
		run_variant "$r" "${VARS[$(((i + r - 1) % ${#VARS[@]}))]}"
	done
done
summarize
dovecot_errors
printf 'CPU: all Dovecot processes (user+sys) during the measured seconds; flushes: %s\n' \
	"${MAIL_DEV:-not available (no disk statistics for $MAIL_BASE)}"
printf 'load average at the end: %s (other work on the machine skews every variant alike)\n' \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
