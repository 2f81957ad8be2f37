#!/bin/sh
# base-root.sh - a clean Debian 12 root with Debian's Dovecot (IMAP, POP3,
# LMTP, Sieve), Postfix ("Internet Site") and Redis as their packages ship
# them, plus the libraries Hummingbird's packages need (so that installing
# them from a local repository needs no network), cached as a tarball.
# Prints the tarball's path; builds it only when missing.
# Usage: tests/install/base-root.sh CACHE_DIR
set -eu

cache=$1
tarball=$cache/bookworm-hb-base.tar
[ -s "$tarball" ] && { echo "$tarball"; exit 0; }
mkdir -p "$cache"
root=$(mktemp -d "$cache/root.XXXXXX")
cleanup() {
	umount "$root/proc" "$root/dev" 2>/dev/null || true
	rm -rf "$root"
}
trap cleanup EXIT
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources | head -1)
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cat >"$root/usr/sbin/policy-rc.d" <<'EOP'
#!/bin/sh
# no daemon starts while packages are installed into this root
exit 101
EOP
chmod 0755 "$root/usr/sbin/policy-rc.d"
chroot "$root" sh -c '
	echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections
	echo "postfix postfix/mailname string mx.example.org" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve \
		postfix redis-server ca-certificates ssl-cert procps \
		adduser openssl libhiredis0.14 libevent-2.1-7 libevent-openssl-2.1-7 \
		libmilter1.0.1 libidn2-0 libcrypt1
	apt-get clean' >"$cache/apt.log" 2>&1
umount "$root/proc" "$root/dev"
chmod 0755 "$root"	# mktemp made it 0700: the root of a system
tar cf "$tarball.tmp" -C "$root" .
mv "$tarball.tmp" "$tarball"
echo "$tarball"
