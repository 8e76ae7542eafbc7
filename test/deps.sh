#!/usr/bin/env bash
# Install, with apt-get and only when missing, what building and testing
# pgmig needs on a fresh Debian 12 machine.  Quiet on success: one line.
#
#   bash test/deps.sh            (as root; PG_MAJOR=NN picks another major)
#   bash test/deps.sh PKG...     the same, and these packages too (fuzz/)
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}

packages=(
	# the server and the headers, PGXS, pg_regress, pg_isolation_regress
	# and the PostgreSQL::Test perl modules
	"postgresql-$PG_MAJOR"
	"postgresql-server-dev-$PG_MAJOR"
	# PostgreSQL::Test::Utils runs its commands with IPC::Run
	libipc-run-perl
	# t/170_progress.pl reads the client's live line on a pseudo-terminal
	libio-pty-perl
	# the toolchain
	make
	gcc
	# PGXS links a PROGRAM (the client) with the libraries of PostgreSQL's
	# own build, pg_config --libs: -lselinux -lzstd -llz4 -lxslt -lxml2
	# -lpam -lssl -lcrypto -lgssapi_krb5 -lz -lreadline; ld needs their
	# development links even where --as-needed drops them.
	libselinux1-dev
	libzstd-dev
	liblz4-dev
	libxslt1-dev
	libxml2-dev
	libpam0g-dev
	libssl-dev
	libkrb5-dev
	zlib1g-dev
	libreadline-dev
	# the manual page is checked with man --warnings (t/140_manual.pl)
	man-db
	# --json outputs are validated against json-schema/ (t/150_json.pl)
	python3-jsonschema
	# make deb (test/deb.sh): debhelper, dpkg-buildpackage and the
	# build-essential set it requires, and pg_buildext's debhelper support;
	# the other build dependencies of debian/control.in are above
	build-essential
	debhelper
	dpkg-dev
	postgresql-server-dev-all
	# the zsh completion is run by zsh's completion system (t/140_manual.pl)
	zsh
	# pgmig through a connection pooler (t/175_pgbouncer.pl)
	pgbouncer
	# databases the real Sqitch and Alembic migrated, imported
	# (t/132_sqitch.pl, t/134_alembic.pl)
	sqitch
	libdbd-pg-perl
	python3-alembic
	python3-psycopg2
	"$@"
)

# A package counts as present only when dpkg says "install ok installed".
missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (or install them with: apt-get install ${missing[*]})" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/pgmig-deps.XXXXXX.log)
# apt-get's own output goes to a log that is shown only if something fails.
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
	>"$log" 2>&1 </dev/null; then
	cat "$log" >&2
	echo "deps: apt-get could not install: ${missing[*]} (log: $log)" >&2
	exit 1
fi
rm -f "$log"
echo "deps: installed ${missing[*]}"
