#!/usr/bin/env bash
# bench/progress.sh: what the progress lines cost (issue 13), side by side
# with raw psql in one run.  Each workload is applied in one transaction
# by psql -1, by pgmig up -q (no progress: the server sends nothing), and
# by pgmig up with its stderr in a file (not a terminal: one progress
# line as each revision starts and as it ends, from one report the server
# sends per revision).
#
#   tiny   BENCH_TINY (2,000) revisions of one INSERT each: the worst case,
#          where a report per revision weighs most against the work
#   ddl    BENCH_DDL (1,000) revisions of a table, an index and a row
#
# Each measurement starts from a fresh database after a CHECKPOINT; the
# methods take turns within each of BENCH_RUNS runs (5).
#
#   bash bench/progress.sh          (as root, from a clone)
#
# Environment: BENCH_TINY, BENCH_DDL, BENCH_RUNS, BENCH_PORT (5487),
# BENCH_BUILD=0, BENCH_KEEP=1, PGHOST/PGPORT (a superuser's server).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
. "$repo/bench/lib.sh"			# bench_start, sql, timed, fig, ...
bench_start progress "${BENCH_PORT:-5487}" pgmig_bench_progress
n_tiny=${BENCH_TINY:-2000} n_ddl=${BENCH_DDL:-1000} runs=${BENCH_RUNS:-5}

say "generating the workloads"
bash bench/gen.sh tiny "$n_tiny" "$work/tiny" >/dev/null
bash bench/gen.sh ddl "$n_ddl" "$work/ddl" >/dev/null
[ "$(id -u)" -eq 0 ] && [ "$started" = 1 ] && chown -R postgres: "$work"
db=pgmig_bench_progress

# apply WORKLOAD METHOD: one measurement into samples[WORKLOAD/METHOD]
apply() {
	local wl=$1 m=$2 n=$n_tiny
	[ "$wl" = ddl ] && n=$n_ddl
	fresh_db "$db"
	settle
	case $m in
	psql) timed "$wl/$m" 0 psql -X -q -1 -v ON_ERROR_STOP=1 -d "$db" -f "$work/$wl/all.sql" ;;
	quiet) timed "$wl/$m" 0 "$pgmig" up -q -d "$db" --dir "$work/$wl/migrations" ;;
	lines) PGMIG_PROGRESS=lines timed "$wl/$m" 0 "$pgmig" up -d "$db" --dir "$work/$wl/migrations" ;;
	esac
	if [ "$m" = lines ]; then
		[ "$(grep -c '^applying ' "$work/err")" = "$n" ] || die "$wl by $m: not a progress line per revision"
	fi
	[ "$m" = psql ] || [ "$(sql -d "$db" -c "SELECT count(*) FROM pgmig.schema_migrations")" = "$n" ] ||
		die "$wl by $m: not applied"
}

for ((r = 1; r <= runs; r++)); do
	say "run $r of $runs"
	for wl in tiny ddl; do
		for m in psql quiet lines; do apply "$wl" "$m"; done
	done
done
sql -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null

ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2f", a / b }'; }
row() { printf '%-14s %-44s %-26s %8s %10s\n' "$@"; }

{
	printf '\npgmig %s (%s) progress benchmark: PostgreSQL %s, %s CPUs, %s runs: median (min-max)\n\n' \
		"$("$pgmig" --version | awk '{ print $NF }')" "$revision" "$server_version" "$(nproc)" "$runs"
	row "workload" "method" "time" "÷ psql" "÷ up -q"
	row "--------" "------" "----" "------" "-------"
	for wl in tiny ddl; do
		n=$n_tiny
		[ "$wl" = ddl ] && n=$n_ddl
		row "$wl ($n)" "psql -1 -f all.sql" "$(fig "$wl/psql")" "1.00" ""
		row "" "pgmig up -q (no progress)" "$(fig "$wl/quiet")" "$(ratio "$wl/quiet" "$wl/psql")" "1.00"
		row "" "pgmig up, progress lines on stderr (a file)" "$(fig "$wl/lines")" \
			"$(ratio "$wl/lines" "$wl/psql")" "$(ratio "$wl/lines" "$wl/quiet")"
	done
} | tee "$work/results.txt"
