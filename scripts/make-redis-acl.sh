#!/bin/sh
# make-redis-acl.sh - fill in conf.d/redis-users.acl (docs/SECURITY.md 2): for
# every user in the template a random password (OpenSSL, 160 bits) is written
# to SECRETS_DIR/USER.password (mode 0600, never shown, never in argv) and its
# SHA-256 goes into the ACL file OUT, without the template's comments (Redis
# accepts only user lines there).  An existing password file is kept, so
# running it again after a template change keeps every password.
# Usage: make-redis-acl.sh TEMPLATE OUT SECRETS_DIR
set -eu

[ $# -eq 3 ] || { echo "usage: $0 TEMPLATE OUT SECRETS_DIR" >&2; exit 64; }
template=$1 out=$2 secrets=$3
[ -r "$template" ] || { echo "$0: cannot read $template" >&2; exit 66; }
umask 077
mkdir -p "$secrets"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# Redis refuses comments and blank lines in an ACL file
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$template" >"$tmp"
for user in $(grep -o '@SHA256:[a-z0-9-]*@' "$template" | sed 's/@SHA256:\(.*\)@/\1/' | sort -u); do
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
