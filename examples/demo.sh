#!/usr/bin/env bash
# make demo: what pgmig does, in under a minute.
#
# Installs missing packages, builds and installs pgmig, starts a throwaway
# PostgreSQL instance in a temporary directory, copies the example project
# (examples/shop) next to it, and runs pgmig's everyday commands on it,
# showing each command and its output: the migrations up, down and up
# again, autogenerate from an edited schema.sql (diff, new --autogenerate,
# up), drift, and a change made by hand captured with --from-database.
# The instance is stopped and the temporary directory removed at the end,
# whatever happens.
#
# Runs as root (the server and pgmig then run as the "postgres" OS user,
# since initdb refuses root) or as a user allowed to run initdb.
# Environment: PG_CONFIG (default pg_config), PGMIG_DEMO_PORT (default 55433).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

work=""			# temporary directory: instance, socket, project copy
bindir=""

die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

# as_pg, instance_start, instance_stop
. "$repo/test/instance.sh"

cleanup() {
	set +e
	[ -n "$work" ] && instance_stop "$work"
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Set-up, quietly: packages, build, install, instance, project.
bash test/deps.sh
PG_CONFIG=${PG_CONFIG:-pg_config}
command -v "$PG_CONFIG" >/dev/null 2>&1 || die "$PG_CONFIG not found; set PG_CONFIG"
export PG_CONFIG
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/pgmig-demo.XXXXXX)
if ! { make -s && make -s install; } >"$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	die "building or installing pgmig failed"
fi
echo "demo: pgmig built and installed"

port=${PGMIG_DEMO_PORT:-55433}
mkdir -p "$work/sock"
cp -r examples/shop "$work/shop"
if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres:postgres "$work"
fi
cd "$work"		# the postgres user may not be able to enter the clone

instance_start "$work" "$port" || die "the demo server did not start"
as_pg "$bindir/createdb" -h "$work/sock" -p "$port" shop
echo "demo: throwaway PostgreSQL $("$PG_CONFIG" --version | sed 's/^PostgreSQL //'), database \"shop\""

bold="" plain=""
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi

# show_exit STATUS COMMAND...: print the command as typed, then run it in
# the project, as the postgres user, connected to the demo database through
# PG* variables; it must exit with STATUS.
show_exit() {
	local want=$1 arg typed="" rc=0
	shift
	for arg in "$@"; do
		case $arg in
		*[!A-Za-z0-9_./:=@+-]*) typed+=" '$arg'" ;;
		*) typed+=" $arg" ;;
		esac
	done
	printf "\n${bold}\$%s${plain}\n" "$typed"
	as_pg env PATH="$bindir:$PATH" PGHOST="$work/sock" PGPORT="$port" PGDATABASE=shop \
		bash -c 'cd "$1" && shift && exec "$@"' show "$work/shop" "$@" || rc=$?
	[ "$rc" -eq "$want" ] || die "\"$*\" exited with status $rc"
}

# show COMMAND...: the same, for a command that must succeed.
show() {
	show_exit 0 "$@"
}

# ---------------------------------------------------------------------------
# The tour.
echo
echo "The example project: five migrations in dbmate's format, and schema.sql."
show ls migrations
show cat migrations/20240122100000_index_customers_email_concurrently.sql

echo
echo "Create the extension: the migration catalog lives in the database."
show pgmig init

echo
echo "Apply everything pending (the last one runs outside a transaction)."
show pgmig up

show pgmig status
show pgmig history

echo
echo "Step back one revision, then forward again."
show pgmig down -1
show pgmig up

echo
echo "Autogenerate: schema.sql declares the schema the migrations build.  Edit it:"
echo "a table of coupons, and a coupon on orders."
cp "$work/shop/schema.sql" "$work/shop/schema.sql.orig"
sed -i -e '/^CREATE TABLE orders (/i\
CREATE TABLE coupons (\
    code        text PRIMARY KEY,\
    cents_off   integer NOT NULL CHECK (cents_off > 0)\
);\
' -e 's/^\(    placed_at   timestamptz NOT NULL DEFAULT now()\)$/\1,\n    coupon      text REFERENCES coupons (code)/' \
	"$work/shop/schema.sql"
show_exit 1 diff -u schema.sql.orig schema.sql
rm -f "$work/shop/schema.sql.orig"

echo
echo "What the migrations lack (exit status 1: differences), built and compared in"
echo "shadow databases; then the revision, proven by a round trip before it is written."
show_exit 1 pgmig diff
show pgmig new -m "add coupons" --autogenerate
show sh -c 'cat migrations/*_add_coupons.sql'
show pgmig up
show pgmig diff

echo
echo "A change made outside migrations is drift: status and mig_drift() say what."
show psql -c 'ALTER TABLE customers ADD COLUMN note text'
show pgmig status
show psql -c 'SELECT change, object FROM mig_drift()'

echo
echo "Capture it as a revision: it is recorded as applied, since the database has it."
show pgmig new -m "customer notes" --autogenerate --from-database
show pgmig status

echo
echo "The same state, from SQL."
show psql -c 'SELECT mig_status()'

echo
echo "demo: done; stopping and removing the throwaway instance."
