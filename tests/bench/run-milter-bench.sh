#!/bin/bash
# run-milter-bench.sh - the milter benchmark (docs/PERFORMANCE.md, "Milter benchmark").  On
# 127.0.0.1 it starts a throwaway Postfix instance whose smtpd listens once per policy path
# (none; the do-nothing milter tests/bench/noop-milter; hummingbird-milter with Redis; postfwd
# as a check_policy_service), smtp-sink behind it and the policy daemons; then smtp-source sends
# alternating rounds to each path, and a small client times single transactions.  It prints
# msgs/s, CPU per message and added latency as ratios against the same run's baselines, with
# the goals of docs/PERFORMANCE.md as PASS/MISS; the exit status reports errors only, never a missed goal.
#
# Usage (as root): run-milter-bench.sh [BUILDDIR]   (default $HB_BUILDDIR, else .)
# Needs postfix, redis-server and libmilter; installs postfwd with apt-get when it is missing.
# Postfix allows `postfix -c DIR` only for a DIR named in /etc/postfix/main.cf: this script adds
# `alternate_config_directories = $PF_CONF` there once (idempotent; it creates the file when
# there is none) and never touches the system Postfix's queue or configuration otherwise.
set -euo pipefail

BUILDDIR=$(cd "${1:-${HB_BUILDDIR:-${BUILDDIR:-.}}}" && pwd)
QUICK=${BENCH_QUICK:-0}              # 1: smoke run (1 round, few messages)
if [ "$QUICK" = 1 ]; then q_rounds=1 q_msgs=200 q_lat=30 q_warm=40; else q_rounds=3 q_msgs=3000 q_lat=300 q_warm=300; fi
ROUNDS=${BENCH_ROUNDS:-$q_rounds}    # alternating rounds per path (>= 3 for the report)
MSGS=${BENCH_MSGS:-$q_msgs}          # messages per round and path
SESSIONS=${BENCH_SESSIONS:-20}       # parallel SMTP sessions of smtp-source
SIZE=${BENCH_SIZE:-2048}             # message body bytes (smtp-source adds ~150 of headers)
WARMUP=${BENCH_WARMUP:-$q_warm}      # messages per path before the rounds, not counted
LAT_MSGS=${BENCH_LAT_MSGS:-$q_lat}   # timed single transactions per path (0 = skip)
LIMIT=${BENCH_LIMIT:-1000000}        # every rate limit, per hour (so high it never triggers)
PATHS=${BENCH_PATHS:-"none noop hb postfwd"}
PORT_BASE=${BENCH_PORT_BASE:-22000}
KEEP=${BENCH_KEEP:-0}                # 1: keep the temp dir (maillog, daemon logs) afterwards
STALL_SECS=${BENCH_STALL_SECS:-30}   # give up on a round when no message is delivered this long
NOOP_DATA=${BENCH_NOOP_DATA:-0}      # 1: the do-nothing milter also answers DATA (noop-milter -D)
MSOCK=${BENCH_MILTER_SOCKET:-unix}  # unix (as shipped): milters on unix sockets; inet: on 127.0.0.1 ports
PF_CONF=${BENCH_POSTFIX_CONF:-/run/hummingbird-bench/milter-postfix}  # fixed: named in main.cf

SINK_PORT=$((PORT_BASE + 26))
NOOP_PORT=$((PORT_BASE + 30)); HB_PORT=$((PORT_BASE + 31)); PFW_PORT=$((PORT_BASE + 40))
REDIS_PORT=$((PORT_BASE + 79))
NOOP=$BUILDDIR/tests/bench/noop-milter
HBMILTER=$BUILDDIR/milter/hummingbird-milter
HBCTL=$BUILDDIR/cli/hbctl
SENDER=sender@bench.example
RCPT=rcpt@dest.example
TICK=$(getconf CLK_TCK)

D=""; PF_STARTED=0; SINK_PID=""; NOOP_PID=""; HB_PID=""; REDIS_PID=""; PFW_PID=""; CHILD_PID=""
ERRORS=0

log() { printf '%s\n' "$*" >&2; }
die() { log "run-milter-bench: $*"; exit 1; }
error() { log "run-milter-bench: error: $*"; ERRORS=$((ERRORS + 1)); }

# smtpd port of a path: one smtpd service per path in the instance's master.cf
smtpd_port() {
	case $1 in none) echo $((PORT_BASE + 25)) ;; noop) echo $((PORT_BASE + 27)) ;;
		hb) echo $((PORT_BASE + 28)) ;; postfwd) echo $((PORT_BASE + 29)) ;; esac
}
path_name() {
	case $1 in none) echo "no policy" ;; noop) echo "do-nothing milter" ;;
		hb) echo "hummingbird-milter" ;; postfwd) echo "postfwd" ;; esac
}

# Where milter NAME (noop, hb) listens, in libmilter's syntax and in Postfix's.
milter_listen() {
	case $MSOCK in unix) echo "unix:$D/milters/$1.sock" ;;
		*) echo "inet:$([ "$1" = hb ] && echo "$HB_PORT" || echo "$NOOP_PORT")@127.0.0.1" ;; esac
}
milter_postfix() {
	case $MSOCK in unix) echo "unix:$D/milters/$1.sock" ;;
		*) echo "inet:127.0.0.1:$([ "$1" = hb ] && echo "$HB_PORT" || echo "$NOOP_PORT")" ;; esac
}

# --- cleanup: runs on every exit, error and Ctrl-C ------------------------------------------
stop_pid() { # PID: TERM, wait up to 5 s, then KILL
	local i
	kill "$1" 2>/dev/null || return 0
	for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$CHILD_PID" ] && kill "$CHILD_PID" 2>/dev/null
	[ "$PF_STARTED" = 1 ] && postfix -c "$PF_CONF" stop >/dev/null 2>&1
	[ -n "$PFW_PID" ] && stop_pid "$PFW_PID"
	for p in "$HB_PID" "$NOOP_PID" "$SINK_PID" "$REDIS_PID"; do
		[ -n "$p" ] && stop_pid "$p"
	done
	wait 2>/dev/null || true
	if [ "$PF_STARTED" = 1 ]; then
		rm -rf "$PF_CONF"
		rmdir "$(dirname "$PF_CONF")" 2>/dev/null || true
	fi
	if [ -n "$D" ] && [ "$KEEP" != 1 ]; then rm -rf "$D"; elif [ -n "$D" ]; then log "kept $D"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- helpers ---------------------------------------------------------------------------------
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_tcp() { # PORT LOGFILE: wait up to 10 s for a listener
	local i
	for i in $(seq 1 100); do port_busy "$1" && return 0; sleep 0.1; done
	log "--- $2"; tail -n 30 "$2" >&2 || true
	die "nothing listens on 127.0.0.1:$1"
}
wait_milter() { # NAME PID LOGFILE: the milter's socket accepts connections
	local i path
	if [ "$MSOCK" != unix ]; then
		wait_tcp "$([ "$1" = hb ] && echo "$HB_PORT" || echo "$NOOP_PORT")" "$3"
		return
	fi
	path=$D/milters/$1.sock
	for i in $(seq 1 100); do
		[ -S "$path" ] && chmod 666 "$path" && return 0   # smtpd runs as postfix
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	log "--- $3"; tail -n 30 "$3" >&2 || true
	die "no socket $path"
}

# CPU ticks of one process: own + reaped children (fields 14-17 of /proc/PID/stat).
ticks_self() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }; read -r -a f <<<"$s"
	echo $((f[11] + f[12] + f[13] + f[14]))
}
# CPU ticks of a process and all its living descendants; a child that exited is in its
# parent's reaped-children fields, so a difference of two snapshots stays exact.
ticks_tree() {
	local t c
	t=$(ticks_self "$1")
	for c in $(pgrep -P "$1" || true); do
		t=$((t + $(ticks_tree "$c")))
	done
	echo "$t"
}
pf_master() { head -n 1 "$D/pf/spool/pid/master.pid" 2>/dev/null | tr -d ' '; }
ticks_postfix() { local m; m=$(pf_master); [ -n "$m" ] && ticks_tree "$m" || echo 0; }
ticks_policy() { # PATH: the policy process(es) without Redis
	case $1 in noop) ticks_self "$NOOP_PID" ;; hb) ticks_self "$HB_PID" ;;
		postfwd) ticks_postfwd ;; *) echo 0 ;; esac
}
# postfwd (postfwd2 1.35) forks a master, a cache daemon and a preforking policy server; all
# of them are descendants of the pid in its pidfile.
ticks_postfwd() { [ -n "$PFW_PID" ] && ticks_tree "$PFW_PID" || echo 0; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# --- the Postfix instance ----------------------------------------------------------------------
# `postfix -c DIR` refuses a DIR that the default main.cf does not name (silently: no syslog).
allow_postfix_conf_dir() {
	local cur
	if [ ! -e /etc/postfix/main.cf ]; then
		printf '# written by hummingbird tests/bench/run-milter-bench.sh: allows its throwaway instance\nalternate_config_directories = %s\n' \
			"$PF_CONF" >/etc/postfix/main.cf
		log "created /etc/postfix/main.cf naming $PF_CONF in alternate_config_directories"
		return 0
	fi
	cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null || true)
	case " ${cur//,/ } " in *" $PF_CONF "*) return 0 ;; esac
	postconf -c /etc/postfix -e "alternate_config_directories = ${cur:+$cur, }$PF_CONF" ||
		die "cannot add $PF_CONF to alternate_config_directories in /etc/postfix/main.cf"
	log "added $PF_CONF to alternate_config_directories in /etc/postfix/main.cf"
}

write_postfix_conf() {
	mkdir -p "$PF_CONF" "$D/pf/spool" "$D/pf/data"
	chown postfix "$D/pf/data"
	cp /etc/postfix/dynamicmaps.cf "$PF_CONF/"
	cat >"$PF_CONF/main.cf" <<EOF
# throwaway instance of tests/bench/run-milter-bench.sh (removed when it ends)
compatibility_level = 3.6
queue_directory = $D/pf/spool
data_directory = $D/pf/data
meta_directory = /etc/postfix
maillog_file = $D/pf/maillog
maillog_file_prefixes = /var, /tmp
myhostname = bench.example
mydomain = bench.example
myorigin = bench.example
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relayhost = [127.0.0.1]:$SINK_PORT
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_tls_security_level = none
smtpd_tls_security_level = none
delay_logging_resolution_limit = 6
milter_default_action = tempfail
# smtp-source cannot authenticate: every milter is told that the sender logged in as this
milter_macro_defaults = auth_authen=$SENDER
hb_bench_postfwd = check_policy_service inet:127.0.0.1:$PFW_PORT
EOF
	# one smtpd per path; no service chrooted (the spool is a temp dir)
	awk -v none="$(smtpd_port none)" -v noop="$(smtpd_port noop)" -v hb="$(smtpd_port hb)" \
	    -v pfw="$(smtpd_port postfwd)" -v nspec="$(milter_postfix noop)" -v hspec="$(milter_postfix hb)" '
	/^#/ || /^[ \t]/ || NF < 8 { print; next }
	$1 == "smtp" && $2 == "inet" {
		print none " inet n - n - - smtpd -o syslog_name=postfix/none"
		print noop " inet n - n - - smtpd -o syslog_name=postfix/noop -o smtpd_milters=" nspec
		print hb " inet n - n - - smtpd -o syslog_name=postfix/hb -o smtpd_milters=" hspec
		print pfw " inet n - n - - smtpd -o syslog_name=postfix/postfwd -o smtpd_end_of_data_restrictions=$hb_bench_postfwd"
		next
	}
	{ $5 = "n"; print }' /etc/postfix/master.cf >"$PF_CONF/master.cf"
}

start_postfix() {
	local p
	if postfix -c "$PF_CONF" status >/dev/null 2>&1; then
		die "a Postfix instance runs with $PF_CONF (another milter benchmark?)"
	fi
	write_postfix_conf
	PF_STARTED=1
	postfix -c "$PF_CONF" start >"$D/pf/start.log" 2>&1 || {
		cat "$D/pf/start.log" >&2; tail -n 20 "$D/pf/maillog" >&2 || true
		die "postfix -c $PF_CONF start failed"
	}
	for p in $PATHS; do wait_tcp "$(smtpd_port "$p")" "$D/pf/maillog"; done
}

# --- the policy daemons ------------------------------------------------------------------------
start_sink() {
	smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 256 >"$D/sink.log" 2>&1 &
	SINK_PID=$!
	wait_tcp "$SINK_PORT" "$D/sink.log"
}

start_noop() {
	local opts=()
	[ "$NOOP_DATA" = 1 ] && opts+=(-D)
	"$NOOP" -p "$(milter_listen noop)" "${opts[@]}" >"$D/noop.log" 2>&1 &
	NOOP_PID=$!
	wait_milter noop "$NOOP_PID" "$D/noop.log"
}

start_redis() {
	mkdir -p "$D/redis"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$D/redis" --save '' \
		--appendonly no --logfile "$D/redis/log" &
	REDIS_PID=$!
	for _ in $(seq 1 100); do
		redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	tail -n 20 "$D/redis/log" >&2 || true
	die "redis did not start"
}

# The hosted domain and its sender, with a policy whose every rule is evaluated and none
# triggers: sender rights, per-user and per-domain rate limits, size and recipient caps.
seed_hummingbird() {
	local c=$D/hb/hummingbird.conf
	mkdir -p "$D/hb"
	cat >"$c" <<EOF
redis_host = 127.0.0.1
redis_port = $REDIS_PORT
key_prefix = hb:
milter_listen = $(milter_listen hb)
milter_metrics_listen =
log = stderr
log_level = warning
EOF
	(umask 077; head -c 24 /dev/urandom | base64 >"$D/hb/password")
	{
		"$HBCTL" -c "$c" domain add bench.example &&
		"$HBCTL" -c "$c" user add "$SENDER" --password-file "$D/hb/password" &&
		"$HBCTL" -c "$c" policy set bench.example "user_msgs=$LIMIT/h" "user_rcpts=$LIMIT/h" \
			"domain_msgs=$LIMIT/h" "domain_rcpts=$LIMIT/h" max_msg_size=25M max_rcpt=100
	} >"$D/hb/seed.log" 2>&1 || { cat "$D/hb/seed.log" >&2; die "seeding Redis with hbctl failed"; }
}

start_hummingbird() {
	"$HBMILTER" -c "$D/hb/hummingbird.conf" -t >"$D/hb/check.log" 2>&1 ||
		{ cat "$D/hb/check.log" >&2; die "hummingbird-milter -t rejects the benchmark's config"; }
	"$HBMILTER" -c "$D/hb/hummingbird.conf" -f 2>"$D/hb/milter.log" &
	HB_PID=$!
	wait_milter hb "$HB_PID" "$D/hb/milter.log"
}

# The same four rate limits as a postfwd ruleset, checked once per message at the end of
# DATA (where Postfix knows recipient_count).  The envelope sender stands for the login.
start_postfwd() {
	mkdir -p "$D/postfwd"
	chown nobody:nogroup "$D/postfwd"   # its cache daemon creates its socket there as nobody
	cat >"$D/postfwd/rules.cf" <<EOF
id=USER_MSGS; protocol_state==END-OF-MESSAGE; action=rate(sender/$LIMIT/3600/450 4.7.1 too many messages from this user)
id=USER_RCPTS; protocol_state==END-OF-MESSAGE; action=rcpt(sender/$LIMIT/3600/450 4.7.1 too many recipients from this user)
id=DOMAIN_MSGS; protocol_state==END-OF-MESSAGE; action=rate(sender_domain/$LIMIT/3600/450 4.7.1 too many messages from this domain)
id=DOMAIN_RCPTS; protocol_state==END-OF-MESSAGE; action=rcpt(sender_domain/$LIMIT/3600/450 4.7.1 too many recipients from this domain)
EOF
	# absolute paths: the daemon changes to /; -P: no syslog (there is none here); a unix
	# cache socket of our own (--cache_socket is misparsed by 1.35)
	postfwd -f "$D/postfwd/rules.cf" -i 127.0.0.1 -p "$PFW_PORT" -u nobody -g nogroup \
		--pidfile "$D/postfwd/postfwd.pid" --cache_proto unix --cache_port "$D/postfwd/cache.sock" \
		-P -d >"$D/postfwd/log" 2>&1 || { cat "$D/postfwd/log" >&2; die "postfwd did not start"; }
	for _ in $(seq 1 100); do
		PFW_PID=$(cat "$D/postfwd/postfwd.pid" 2>/dev/null || true)
		[ -n "$PFW_PID" ] && break
		sleep 0.1
	done
	wait_tcp "$PFW_PORT" "$D/postfwd/log"
	for _ in $(seq 1 100); do [ -S "$D/postfwd/cache.sock" ] && break; sleep 0.1; done
	[ -S "$D/postfwd/cache.sock" ] || die "postfwd's cache daemon did not start"
}

# --- one load round ------------------------------------------------------------------------------
# Messages with status=sent in the maillog after byte offset OFF.
sent_since() { tail -c +$(($1 + 1)) "$D/pf/maillog" | grep -c ' status=sent ' || true; }

# Why messages of a path did not arrive: the maillog's refusals after OFF, most frequent first.
show_reasons() { # PATH OFF
	log "--- $1: refusals and errors in the maillog (count, text):"
	tail -c +$(($2 + 1)) "$D/pf/maillog" |
		grep -E 'reject|milter|warning|error|fatal|status=(deferred|bounced)' |
		sed -E 's/^.*\]: //; s/^[0-9A-F]{6,}: //; s/ from [^ ]*\[127\.0\.0\.1\]//' |
		sort | uniq -c | sort -rn | head -n 8 >&2 || true
	log "--- smtp-source:"; tail -n 5 "$D/source.out" >&2 || true
	case $1 in
		hb) log "--- hummingbird-milter:"; tail -n 10 "$D/hb/milter.log" >&2 || true ;;
		noop) log "--- noop-milter:"; tail -n 10 "$D/noop.log" >&2 || true ;;
	esac
}

# run_round PATH COUNT: sends COUNT messages through PATH's smtpd and waits until smtp-sink
# has them all; writes "PATH msgs us policy_ticks redis_ticks postfix_ticks" to $D/last.
# Returns 1 (after showing why) when they do not all arrive.
run_round() {
	local path=$1 count=$2 port off pf0 pol0 red0=0 t0 sent=0 last=0 changed now rc=""
	port=$(smtpd_port "$path")
	off=$(stat -c %s "$D/pf/maillog")
	pf0=$(ticks_postfix); pol0=$(ticks_policy "$path")
	[ "$path" = hb ] && red0=$(ticks_self "$REDIS_PID")
	t0=$(now_us); changed=$t0
	smtp-source -s "$SESSIONS" -m "$count" -l "$SIZE" -f "$SENDER" -t "$RCPT" \
		"127.0.0.1:$port" >"$D/source.out" 2>&1 &
	CHILD_PID=$!
	while :; do
		sent=$(sent_since "$off")
		now=$(now_us)
		[ "$sent" -ge "$count" ] && break
		if [ -z "$rc" ] && ! kill -0 "$CHILD_PID" 2>/dev/null; then
			rc=0; wait "$CHILD_PID" || rc=$?
			CHILD_PID=""
			[ "$rc" = 0 ] || break       # smtp-source gave up: a refusal or an error
		fi
		if [ "$sent" -gt "$last" ]; then last=$sent; changed=$now
		elif [ $((now - changed)) -gt $((STALL_SECS * 1000000)) ]; then break; fi
		sleep 0.1
	done
	if [ -n "$CHILD_PID" ]; then wait "$CHILD_PID" || rc=$?; CHILD_PID=""; fi
	printf '%s %d %d %d %d %d\n' "$path" "$sent" $((now - t0)) \
		$(($(ticks_policy "$path") - pol0)) \
		$(( $([ "$path" = hb ] && ticks_self "$REDIS_PID" || echo 0) - red0 )) \
		$(($(ticks_postfix) - pf0)) >"$D/last"
	if [ "$sent" -lt "$count" ] || [ "${rc:-0}" != 0 ]; then
		error "$(path_name "$path"): $sent of $count messages delivered (smtp-source exit ${rc:-?})"
		show_reasons "$path" "$off"
		return 1
	fi
}

declare -A FAILED=() LAT_FAILED=()
active_paths() { local p; for p in $PATHS; do [ -z "${FAILED[$p]:-}" ] && echo "$p"; done; }

load_rounds() {
	local paths=() r i n p line
	if [ "$WARMUP" -gt 0 ]; then
		log "warm-up: $WARMUP messages per path, not counted"
		for p in $(active_paths); do run_round "$p" "$WARMUP" || FAILED[$p]=1; done
	fi
	read -r -a paths <<<"$(active_paths | tr '\n' ' ')"
	n=${#paths[@]}
	for r in $(seq 1 "$ROUNDS"); do
		# rotate the order (A B C D, B C D A, ...) so that drift hits every path alike
		for i in $(seq 0 $((n - 1))); do
			p=${paths[$(((i + r - 1) % n))]}
			[ -n "${FAILED[$p]:-}" ] && continue
			if ! run_round "$p" "$MSGS"; then FAILED[$p]=1; continue; fi
			line=$(cat "$D/last")
			echo "$line" >>"$D/rounds"
			awk -v r="$r" -v name="$(path_name "$p")" '{
				printf "round %d %-19s %6d msgs %7.2f s %8.1f msgs/s\n", r, name, $2, $3 / 1e6, $2 / ($3 / 1e6) }' <<<"$line"
		done
	done
}

# --- latency: single transactions, one at a time ---------------------------------------------------
# A minimal SMTP client on fd 3, so that every transaction of every path is timed alike:
# from the connect to the reply to the end of DATA (the milter's last answer is in it).
smtp_expect() { # CODE: reads one reply; continuation lines (NNN-) are skipped
	local line
	while IFS= read -r -t 10 line <&3; do
		case $line in
			[0-9][0-9][0-9]-*) continue ;;
			"$1"*) return 0 ;;
			*) LAT_ERR=${line%$'\r'}; return 1 ;;
		esac
	done
	LAT_ERR="no reply within 10 s"
	return 1
}

one_transaction() { # PORT OUTFILE: appends the microseconds of one accepted message
	local t0 t1
	t0=${EPOCHREALTIME/./}             # no $(...): a fork would be timed too
	exec 3<>"/dev/tcp/127.0.0.1/$1" || { LAT_ERR="connect failed"; return 1; }
	if smtp_expect 220 && printf 'EHLO latency.bench.example\r\n' >&3 && smtp_expect 250 &&
	   printf 'MAIL FROM:<%s>\r\n' "$SENDER" >&3 && smtp_expect 250 &&
	   printf 'RCPT TO:<%s>\r\n' "$RCPT" >&3 && smtp_expect 250 &&
	   printf 'DATA\r\n' >&3 && smtp_expect 354 &&
	   printf '%s' "$LAT_MSG" >&3 && smtp_expect 250; then
		t1=${EPOCHREALTIME/./}
		printf 'QUIT\r\n' >&3
		smtp_expect 221 || true
		exec 3<&-
		echo $((t1 - t0)) >>"$2"
		return 0
	fi
	exec 3<&-
	return 1
}

build_latency_message() {
	local body line
	printf -v line '%077d\r\n' 0
	body=""
	while [ ${#body} -lt "$SIZE" ]; do body+=${line//0/x}; done
	printf -v LAT_MSG 'From: <%s>\r\nTo: <%s>\r\nSubject: latency probe\r\nMessage-ID: <probe.%s@bench.example>\r\n\r\n%s.\r\n' \
		"$SENDER" "$RCPT" "$$" "$body"
}

latency_phase() {
	local i p err
	build_latency_message
	for p in $(active_paths); do : >"$D/lat.$p"; done
	# interleaved (one transaction per path in turn) so that drift hits every path alike
	for i in $(seq 1 "$LAT_MSGS"); do
		for p in $(active_paths); do
			[ -n "${LAT_FAILED[$p]:-}" ] && continue
			if ! one_transaction "$(smtpd_port "$p")" "$D/lat.$p"; then
				err=${LAT_ERR:-?}
				error "$(path_name "$p"): latency probe refused: $err"
				LAT_FAILED[$p]=1
			fi
		done
	done
}

percentile() { # FILE P: nearest-rank percentile in ms, "-" without data
	[ -s "$1" ] || { echo -; return; }
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }'
}

# --- summary -----------------------------------------------------------------------------------
# Writes "PATH p50 p99" latency lines for the summary's awk.
latency_table() {
	local p
	for p in $PATHS; do
		[ -f "$D/lat.$p" ] || continue
		[ -n "${LAT_FAILED[$p]:-}" ] && continue
		echo "$p $(percentile "$D/lat.$p" 50) $(percentile "$D/lat.$p" 99)"
	done
}

summarize() {
	latency_table >"$D/latency"
	awk -v tick="$TICK" -v failed=" ${!FAILED[*]} " '
	FILENAME == ARGV[1] { lat50[$1] = $2; lat99[$1] = $3; next }
	{ p = $1; n[p]++; rate[p, n[p]] = $2 / ($3 / 1e6); msgs[p] += $2
	  pol[p] += $4; red[p] += $5; pf[p] += $6 }
	function ms(t, m) { return m > 0 ? 1000 * t / tick / m : 0 }
	function median(p,   i, j, k, v, c) {
		c = n[p]; for (i = 1; i <= c; i++) v[i] = rate[p, i]
		for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { k = v[j]; v[j] = v[j - 1]; v[j - 1] = k }
		lo[p] = v[1]; hi[p] = v[c]
		return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2 }
	function x(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
	function goal(label, v, want, le) {
		printf "  %-46s %6.2fx  %s\n", label, v, ((le ? v <= want : v >= want) ? "PASS" : "MISS") }
	END {
	  split("none noop hb postfwd", order, " ")
	  name["none"] = "no policy"; name["noop"] = "do-nothing milter"
	  name["hb"] = "hummingbird-milter"; name["postfwd"] = "postfwd"
	  for (k = 1; k <= 4; k++) { p = order[k]; if (p in n) med[p] = median(p) }
	  printf "\n%-19s %-24s %7s %-24s %10s %-15s %s\n", "path", "msgs/s min/median/max", "x none",
	         "policy CPU ms/msg", "Postfix ms", "latency p50/p99", "added p50/p99 ms"
	  for (k = 1; k <= 4; k++) {
	    p = order[k]
	    if (!(p in n)) { if (index(failed, " " p " ")) printf "%-19s FAILED (see the errors above)\n", name[p]; continue }
	    cpu = p == "none" ? "-" : sprintf("%.3f", ms(pol[p] + red[p], msgs[p]))
	    if (p == "hb") cpu = cpu sprintf(" (Redis %.3f)", ms(red[p], msgs[p]))
	    l = (p in lat50) ? lat50[p] "/" lat99[p] : "-"
	    a = (p in lat50) && ("none" in lat50) && p != "none" ? \
	        sprintf("%+.2f/%+.2f", lat50[p] - lat50["none"], lat99[p] - lat99["none"]) : "-"
	    printf "%-19s %-24s %7s %-24s %10.3f %-15s %s%s\n", name[p],
	           sprintf("%.1f/%.1f/%.1f", lo[p], med[p], hi[p]), ("none" in med) ? x(med[p], med["none"]) : "-",
	           cpu, ms(pf[p], msgs[p]), l, a, index(failed, " " p " ") ? "  (failed later)" : ""
	  }
	  if (!("hb" in n)) { printf "\nhummingbird-milter not measured: no goals evaluated\n"; exit }
	  hbcpu = ms(pol["hb"] + red["hb"], msgs["hb"])
	  printf "\nhummingbird-milter (CPU: the milter plus Redis, Redis\047s share included):\n"
	  printf "  msgs/s      %s the do-nothing milter, %s postfwd, %s no policy\n",
	         ("noop" in med) ? x(med["hb"], med["noop"]) : "-", ("postfwd" in med) ? x(med["hb"], med["postfwd"]) : "-",
	         ("none" in med) ? x(med["hb"], med["none"]) : "-"
	  printf "  CPU/msg     %s the do-nothing milter, %s postfwd\n",
	         ("noop" in n) ? x(hbcpu, ms(pol["noop"], msgs["noop"])) : "-",
	         ("postfwd" in n) ? x(hbcpu, ms(pol["postfwd"], msgs["postfwd"])) : "-"
	  printf "\ngoals (informational: the exit status reports errors only):\n"
	  if ("noop" in n) {
	    goal("msgs/s >= 0.95x the do-nothing milter", med["hb"] / med["noop"], 0.95, 0)
	    goal("CPU/msg <= 1.5x the do-nothing milter", hbcpu / ms(pol["noop"], msgs["noop"]), 1.5, 1)
	  }
	  if ("postfwd" in n) {
	    goal("msgs/s >= 1.0x postfwd", med["hb"] / med["postfwd"], 1.0, 0)
	    goal("CPU/msg <= 1.0x postfwd", hbcpu / ms(pol["postfwd"], msgs["postfwd"]), 1.0, 1)
	  }
	}' "$D/latency" "$D/rounds"
}

# --- main --------------------------------------------------------------------------------------
export LC_ALL=C
[ "$(id -u)" = 0 ] || die "run as root (a Postfix instance, smtp-sink -u, postfwd -u)"
for t in postfix postconf smtp-source smtp-sink redis-server redis-cli; do
	command -v "$t" >/dev/null || die "$t not found (Debian packages postfix, redis-server)"
done
[ -x "$NOOP" ] || die "build first: $NOOP missing (make tests/bench/noop-milter in $BUILDDIR)"
grep -q -- '--enable-asan' "$BUILDDIR/config.status" 2>/dev/null &&
	log "warning: $BUILDDIR is an --enable-asan build: hummingbird-milter's figures are not representative"
case " $PATHS " in *" postfwd "*)
	if ! command -v postfwd >/dev/null; then
		log "installing postfwd (apt-get install postfwd)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfwd >/dev/null ||
			die "apt-get install postfwd failed"
	fi ;;
esac
case " $PATHS " in *" hb "*)
	if [ ! -x "$HBMILTER" ] || [ ! -x "$HBCTL" ]; then
		log "note: $HBMILTER or $HBCTL not built: the hummingbird-milter path is skipped"
		PATHS=$(sed 's/\bhb\b//' <<<"$PATHS")
	fi ;;
esac
for port in $(for p in $PATHS; do smtpd_port "$p"; done) "$SINK_PORT" "$NOOP_PORT" "$HB_PORT" \
	    "$PFW_PORT" "$REDIS_PORT"; do
	port_busy "$port" && die "127.0.0.1:$port is in use (another benchmark running? set BENCH_PORT_BASE)"
done

case $MSOCK in inet|unix) ;; *) die "BENCH_MILTER_SOCKET must be inet or unix" ;; esac
D=$(mktemp -d /tmp/hb-milter-bench.XXXXXX)
chmod 755 "$D"
mkdir -m 755 "$D/milters"
: >"$D/rounds"
allow_postfix_conf_dir
log "starting smtp-sink, the policy daemons and a Postfix instance ($PF_CONF, spool in $D)"
start_sink
case " $PATHS " in *" noop "*) start_noop ;; esac
case " $PATHS " in *" hb "*) start_redis; seed_hummingbird; start_hummingbird ;; esac
case " $PATHS " in *" postfwd "*) start_postfwd ;; esac
start_postfix
sleep 1

printf 'milter benchmark: %d rounds x %d messages of %d B body, %d parallel sessions, milters on %s sockets%s, paths: %s; %s cores, load average %s\n' \
	"$ROUNDS" "$MSGS" "$SIZE" "$SESSIONS" "$MSOCK" "$([ "$NOOP_DATA" = 1 ] && echo ', do-nothing milter answers DATA')" "$(echo $PATHS)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
load_rounds
if [ "$LAT_MSGS" -gt 0 ]; then
	log "latency: $LAT_MSGS single transactions per path, interleaved"
	latency_phase
fi
summarize
printf '\nmsgs/s: smtp-source start to the last status=sent in the maillog; CPU: utime+stime from /proc of the\n'
printf 'policy process(es) (postfwd: its whole process tree) and of all Postfix processes of the instance,\n'
printf 'before/after each round.\n'
if [ "$LAT_MSGS" -gt 0 ]; then
	printf 'latency: %d single transactions per path, connect to the end-of-DATA reply, timed by this\n' "$LAT_MSGS"
	printf 'script'"'"'s own SMTP client, one at a time (no load); added = path minus no policy.\n'
fi
printf 'load average at the end (this benchmark'"'"'s own processes included): %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
[ "$ERRORS" = 0 ] || die "$ERRORS error(s), see above"
