# bench/lib.sh: what the benchmark scripts share.  Source it with $repo
# set to the clone's root.

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

# as_pg, instance_start, instance_stop
. "$repo/test/instance.sh"

# The smaller benches (autogen.sh, drift.sh) start the same way.  bench_dbs
# lists the databases to drop at exit on a server the bench did not start.
bench_dbs=()
started=0
work=""

bench_cleanup() {
	set +e
	local db
	if [ "$started" = 1 ]; then
		instance_stop "$work"
	else
		for db in "${bench_dbs[@]}"; do
			psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
		done
	fi
	if [ -n "$work" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
	fi
}

# bench_start TAG PORT DB...: a temporary directory ($work), the build
# dependencies (as root), pgmig built and installed (unless BENCH_BUILD=0;
# $pgmig, $revision), and a throwaway server on PORT unless PGHOST or
# PGPORT name one ($server_version); the DBs are dropped at exit there.
bench_start() {
	local tag=$1 port=$2
	shift 2
	bench_dbs=("$@")
	work=$(mktemp -d "/tmp/pgmig-bench-$tag.XXXXXX")
	chmod 755 "$work"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[ "$(id -u)" -eq 0 ] && bash "$repo/test/deps.sh" >&2
	PG_CONFIG=${PG_CONFIG:-pg_config}
	export PG_CONFIG
	bindir=$("$PG_CONFIG" --bindir)
	export PATH="$bindir:$PATH"
	if [ "${BENCH_BUILD:-1}" = 1 ]; then
		(cd "$repo" && make -s && make -s install) >"$work/build.log" 2>&1 || {
			cat "$work/build.log" >&2
			die "building or installing pgmig failed"
		}
	fi
	pgmig=$(command -v pgmig) || die "pgmig is not installed (make install)"
	revision=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "no git")
	[ -z "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
		revision="$revision with uncommitted changes"
	if [ -z "${PGHOST:-}" ] && [ -z "${PGPORT:-}" ]; then
		mkdir -p "$work/sock"
		[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
		instance_start "$work" "$port" max_wal_size=20GB checkpoint_timeout=1h ||
			die "the bench server did not start"
		started=1
		export PGHOST=$work/sock PGPORT=$port PGUSER=postgres
	fi
	unset PGDATABASE DATABASE_URL PGOPTIONS || true
	server_version=$(sql -d postgres -c "SHOW server_version")
}

sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# Write out what earlier measurements left dirty, so it lands in none.
settle() {
	sql -d postgres -c CHECKPOINT >/dev/null
	sync
}

# fresh_db NAME: an empty database with the extension.
fresh_db() {
	sql -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
	sql -d "$1" -c "CREATE EXTENSION pgmig" >/dev/null
}

declare -A samples				# key -> "seconds seconds ..."
now() { date +%s%N; }

# timed KEY STATUS CMD...: run CMD (stdout to $work/out, stderr to
# $work/err), which must exit with STATUS; its wall time goes to
# samples[KEY].
timed() {
	local key=$1 want=$2 t0 rc=0
	shift 2
	t0=$(now)
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$work/err" >&2; die "$key: exit status $rc, not $want: $*"; }
	samples[$key]+="$(awk -v ns="$(($(now) - t0))" 'BEGIN { printf "%.6f", ns / 1e9 }') "
}

# fig KEY: the median of samples[KEY] and its range; med KEY: the median.
fig() {
	tr ' ' '\n' <<<"${samples[$1]:-}" | grep . | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) { printf "-"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f s (%.3f-%.3f)", m, v[1], v[NR] }'
}
med() { fig "$1" | awk '{ print $1 }'; }
