#!/usr/bin/env bash
# bench/sha256.sh: which SHA-256 is faster at which size, the one
# common/pgmig_checksum.c writes out or PostgreSQL's pg_cryptohash
# (OpenSSL); pgmig_checksum() switches at the size where the second wins.
# Builds bench/sha256.c against libpgcommon in a temporary directory.
#
#   bash bench/sha256.sh            (the build dependencies installed)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
work=$(mktemp -d /tmp/pgmig-bench-sha.XXXXXX)
trap 'rm -rf "$work"' EXIT

cc -O2 -DFRONTEND -I"$("$PG_CONFIG" --includedir-server)" -I"$("$PG_CONFIG" --includedir)/internal" \
	-I"$repo/common" -o "$work/sha256" "$repo/bench/sha256.c" "$repo/common/pgmig_checksum.c" \
	-L"$("$PG_CONFIG" --libdir)" -L"$("$PG_CONFIG" --pkglibdir)" -lpgcommon -lpgport $("$PG_CONFIG" --libs)
"$work/sha256"
