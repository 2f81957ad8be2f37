#!/bin/sh
# inside.sh - the install test proper, run by run-install-test.sh in private
# mount, network and PID namespaces (every daemon dies and every mount goes
# with them).  Two Debian 12 roots: "front" (Redis, proxy Dovecot, director,
# Postfix with the milter) and "back" (the backend Dovecot with hb_guard and
# hb_locks).  Each node follows the blocks of docs/INSTALL.md marked
# <!-- install-test: ROLE -->, then the proofs run and the packages are
# removed again.
# Usage: inside.sh WORK BASE_TARBALL INSTALL_MD
set -eu

work=$1 base=$2 doc=$3
here=$(cd "$(dirname "$0")" && pwd)
FRONT=127.0.0.2 BACK=127.0.0.3 SINK=127.0.0.9
# the proxy's connections to the backend leave from lo's own 127.0.0.1
PROXY_SOURCES="$FRONT 127.0.0.1"
failures=0

log() { echo "== $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# the shell block after <!-- install-test: ROLE --> in INSTALL.md
block() {
	awk -v mark="<!-- install-test: $1 -->" '
		$0 == mark { want = 1; next }
		want && /^```sh$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }' "$doc"
}

# run INSTALL.md's block ROLE on NODE, with the site's values
step() {
	node=$1 role=$2
	block "$role" >"$work/$node/root/step-$role.sh"
	[ -s "$work/$node/root/step-$role.sh" ] || { fail "INSTALL.md has no block $role"; return 1; }
	log "$node: INSTALL.md block '$role'"
	sed 's/^/    /' "$work/$node/root/step-$role.sh"
	chroot "$work/$node" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root DEBIAN_FRONTEND=noninteractive \
		REDIS_HOST=127.0.0.1 NODE=b1 BACKEND_ADDR=$BACK PROXIES="$PROXY_SOURCES" \
		sh -ec "cd /root && . ./step-$role.sh" >>"$work/$node.log" 2>&1 ||
		{ tail -20 "$work/$node.log"; fail "$node: block $role"; return 1; }
}

in_node() {
	node=$1
	shift
	chroot "$work/$node" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root "$@"
}

make_node() {
	root=$work/$1
	mkdir "$root"
	tar xf "$base" -C "$root"
	chmod 0755 "$root"
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mkdir -p "$root/debs"
	mount --bind "$work/debs" "$root/debs"
	rm -f "$root/etc/apt/sources.list.d/"* 
	echo 'deb [trusted=yes] file:/debs ./' >"$root/etc/apt/sources.list"
	install -m 0755 "$here/systemctl" "$root/usr/local/sbin/systemctl"
	in_node "$1" apt-get update -q >>"$work/$1.log" 2>&1
}

# the nodes' addresses (Postfix listens only on an interface's own address)
ip link set lo up
for addr in $FRONT $BACK $SINK; do
	ip addr add "$addr/8" dev lo
done
make_node front
make_node back

log "the site before Hummingbird: Debian's Dovecot, Postfix and Redis"
# front: a Dovecot and a Postfix of the site on their own address; mail to
# outside domains goes to a relay host (the sink)
# (no syslog in the roots: both log to files)
printf 'listen = %s\nlog_path = /var/log/dovecot.log\n' $FRONT >"$work/front/etc/dovecot/conf.d/99-site.conf"
in_node front postconf -e "inet_interfaces = $FRONT" "relayhost = [$SINK]:2525" \
	"relay_domains = example.com" "maillog_file = /var/log/postfix.log"
# back: system users, a Sieve-using LMTP, logins by local part
printf 'listen = %s\nlog_path = /var/log/dovecot.log\nauth_username_format = %%Ln\n' $BACK \
	>"$work/back/etc/dovecot/conf.d/99-site.conf"
cat >>"$work/back/etc/dovecot/conf.d/20-lmtp.conf" <<'EOC'
protocol lmtp {
  mail_plugins = $mail_plugins sieve
}
EOC
in_node back useradd -m alice
echo 'alice:alice-secret' | in_node back chpasswd
in_node front systemctl start redis-server
in_node front systemctl start dovecot
in_node front systemctl start postfix
in_node back systemctl start dovecot
mkdir -p "$work/sink"
python3 "$here/proofs.py" sink $SINK 2525 "$work/sink" >"$work/sink.log" 2>&1 &

log "installing per docs/INSTALL.md"
in_node front apt-get install -y hummingbird-common >>"$work/front.log" 2>&1
step front redis
step back backend
# the operator copies the key and the password files to the nodes using them
cp "$work/back/etc/dovecot/doveadm-api-key" "$work/front/root/doveadm-api-key"
for u in hb-node-b1 hb-operator; do
	install -m 0600 "$work/front/etc/hummingbird/redis/$u.password" "$work/back/etc/hummingbird/redis/"
done
step back backend-census
step front proxy
# the site's own domain, routed by the directors without hbctl domain add
sed -i 's/^#*socketmap_domains =.*/socketmap_domains = example.com/' "$work/front/etc/hummingbird/director.conf"
grep -q '^socketmap_domains = example.com' "$work/front/etc/hummingbird/director.conf" ||
	echo 'socketmap_domains = example.com' >>"$work/front/etc/hummingbird/director.conf"
in_node front systemctl restart hummingbird-director
step front register
step front postfix
in_node front hbctl domain add hosted.example >>"$work/front.log" 2>&1 || fail "hbctl domain add"
sleep 2

log "proofs"
P="python3 $here/proofs.py"
$P send $FRONT root@mx.example.org alice@example.com hb-marker-1 || fail "delivery through Postfix"
$P imap $FRONT alice@example.com alice-secret hb-marker-1 || fail "IMAP login through the proxy"
in_node front hbctl user where alice@example.com || fail "hbctl user where"
grep -q hb-marker-1 "$work/back/var/mail/alice" || fail "the message is not on the backend"
$P send $FRONT root@mx.example.org bob@outside.example hb-marker-2 || fail "relay submission"
for i in $(seq 30); do grep -rqs hb-marker-2 "$work/sink" && break; sleep 1; done
grep -rqs hb-marker-2 "$work/sink" || fail "no relay to the outside (sink)"
$P refused $FRONT eve@hosted.example bob@outside.example || fail "the milter let a foreign sender through"
step front check-proxy || true
step back check-backend || true

log "removal per docs/INSTALL.md"
step front remove
step back remove
for node in front back; do
	in_node $node doveconf -n >/dev/null || fail "$node: doveconf -n after removal"
	in_node $node systemctl restart dovecot || fail "$node: dovecot restart after removal"
done
in_node front postfix check || fail "postfix check after removal"
in_node front systemctl restart postfix || fail "postfix restart after removal"
sleep 2
$P imap $BACK alice alice-secret hb-marker-1 || fail "local login on the backend after removal"
$P send $FRONT root@mx.example.org root@mx.example.org hb-marker-3 || fail "local delivery after removal"
for i in $(seq 30); do grep -qs hb-marker-3 "$work/front/var/mail/root" && break; sleep 1; done
grep -qs hb-marker-3 "$work/front/var/mail/root" || fail "no local delivery on the Postfix node after removal"
if in_node front dpkg -l 'hummingbird-*' 'dovecot-hummingbird' 2>/dev/null | grep -q '^ii'; then
	fail "packages left installed"
fi

log "done: $failures failure(s)"
[ $failures -eq 0 ]
