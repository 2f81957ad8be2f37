#!/bin/sh
# make-redis-acl.sh - fill in conf.d/redis-users.acl (docs/SECURITY.md 2): for
# every user in the template a random password (OpenSSL, 160 bits) is written
# to SECRETS_DIR/USER.password (mode 0600, never shown, never in argv) and its
# SHA-256 goes into the ACL file OUT, without the template's comments (Redis
# accepts only user lines there).  An existing password file is kept, so
# running it again after a template change keeps every password.  Template
# lines naming @NODE@ (the mail nodes' users) are written once for every NODE
# given, each user confined to that backend's keys; without NODEs, none.
# Redis' user "default" is the site's: only --disable-default (a Redis of
# Hummingbird's own) adds a line turning it off, so that no client gets in
# without a password.
# Usage: make-redis-acl.sh [--disable-default] TEMPLATE OUT SECRETS_DIR [NODE...]
set -eu

usage="usage: $0 [--disable-default] TEMPLATE OUT SECRETS_DIR [NODE...]"
disable_default=no
if [ "${1:-}" = --disable-default ]; then
	disable_default=yes
	shift
fi
[ $# -ge 3 ] || { echo "$usage" >&2; exit 64; }
template=$1 out=$2 secrets=$3
shift 3
[ -r "$template" ] || { echo "$0: cannot read $template" >&2; exit 66; }
for node in "$@"; do
	# a backend name, and nothing Redis would read as a key pattern
	case $node in
	''|*[!A-Za-z0-9._-]*) echo "$0: bad node name: '$node' (letters, digits, . _ - only)" >&2; exit 64;;
	esac
done
umask 077
mkdir -p "$secrets"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp" "$tmp.nodes"' EXIT
# Redis refuses comments and blank lines in an ACL file
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '@NODE@' "$template" >"$tmp" || true
if [ $disable_default = yes ]; then
	echo 'user default off resetkeys resetchannels -@all' >>"$tmp"
fi
grep -e '@NODE@' "$template" | grep -v '^[[:space:]]*#' >"$tmp.nodes" || true
for node in "$@"; do
	sed "s/@NODE@/$node/g" "$tmp.nodes" >>"$tmp"
done
for user in $(grep -o '@SHA256:[A-Za-z0-9._-]*@' "$tmp" | sed 's/@SHA256:\(.*\)@/\1/' | sort -u); do
	file=$secrets/$user.password
	if [ ! -s "$file" ]; then
		openssl rand -hex 20 >"$file"
	fi
	hash=$(tr -d '\n' <"$file" | sha256sum | cut -d' ' -f1)
	sed -i "s/#@SHA256:$user@/#$hash/" "$tmp"
done
if grep -q '@SHA256:' "$tmp"; then
	echo "$0: unfilled password placeholder left in $template" >&2
	exit 65
fi
chmod 0640 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out; passwords in $secrets/*.password (mode 0600)"
