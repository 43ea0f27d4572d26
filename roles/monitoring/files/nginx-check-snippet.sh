#!/bin/sh
# Tests a candidate nginx snippet against a copy of the live configuration:
#   nginx-check-snippet <candidate file> <live path under /etc/nginx>
# The live configuration is not touched; exit status is nginx -t's.
set -eu
candidate=$1
live=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -a /etc/nginx/. "$stage/"
cp "$candidate" "$stage/${live#/etc/nginx/}"
# Debian's nginx.conf includes conf.d and sites-enabled by absolute path.
sed -i "s#/etc/nginx/#$stage/#g" "$stage/nginx.conf"
exec nginx -t -q -c "$stage/nginx.conf"
