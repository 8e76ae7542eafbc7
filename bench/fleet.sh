#!/usr/bin/env bash
# bench/fleet.sh: one migration over many databases (issue 16), side by
# side in one run.  BENCH_DBS (100) databases, each given the generated ddl
# workload of BENCH_REVS (50) revisions (bench/gen.sh), applied
#
#   psql -1                 psql -X -1 -f all.sql, one database after the
#                           other (the limit of one session per database)
#   psql -1, 4 at a time    the same, by xargs -P 4
#   pgmig up, sequential    BENCH_DBS runs of pgmig up -d DB, one after the
#                           other, as a shell loop would
#   pgmig --jobs N          one pgmig up --databases FILE --jobs N, N = 1, 2, 4
#
# Every measurement starts from BENCH_DBS fresh databases (copies of a
# template with the extension) after a CHECKPOINT; none of that is timed.
# The methods take turns within each of BENCH_RUNS runs (3); the table
# shows the median total time (min-max), the time per database and the
# ratio to psql -1.  Afterwards each database is checked to be at head.
#
#   bash bench/fleet.sh      (as root, from a clone)
#
# Environment: BENCH_DBS, BENCH_REVS, BENCH_RUNS, BENCH_PORT (5485),
# BENCH_BUILD=0, BENCH_KEEP=1, PGHOST/PGPORT (a superuser's server).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
n_dbs=${BENCH_DBS:-100} n_revs=${BENCH_REVS:-50} runs=${BENCH_RUNS:-3}
dbs=()
for ((i = 1; i <= n_dbs; i++)); do dbs+=("$(printf 'pgmig_bench_fleet_%03d' "$i")"); done
. "$repo/bench/lib.sh"			# bench_start, sql, timed, fig, ...
bench_start fleet "${BENCH_PORT:-5485}" pgmig_bench_fleet_tpl "${dbs[@]}"

say "generating the workload: ddl, $n_revs revisions"
bash bench/gen.sh ddl "$n_revs" "$work/ddl" >/dev/null
printf '%s\n' "${dbs[@]}" >"$work/databases.txt"
[ "$(id -u)" -eq 0 ] && [ "$started" = 1 ] && chown -R postgres: "$work"
tpl=pgmig_bench_fleet_tpl
fresh_db "$tpl"

# reset: every database a fresh copy of the template
reset() {
	local db
	for db in "${dbs[@]}"; do
		sql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE $tpl" >/dev/null
	done
	settle
}

# check METHOD: every database has the workload's tables and revisions
check() {
	local db
	for db in "${dbs[@]}"; do
		[ "$(sql -d "$db" -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'bench\_ddl\_%\_name\_idx'")" = "$n_revs" ] ||
			die "$1: $db has not the workload"
	done
}

psql_seq() {
	local db
	for db in "${dbs[@]}"; do
		psql -X -q -v ON_ERROR_STOP=1 -1 -d "$db" -f "$work/ddl/all.sql" || return 1
	done
}
psql_par() {
	printf '%s\n' "${dbs[@]}" |
		xargs -P 4 -I{} psql -X -q -v ON_ERROR_STOP=1 -1 -d {} -f "$work/ddl/all.sql"
}
up_seq() {
	local db
	for db in "${dbs[@]}"; do
		"$pgmig" up -q -d "$db" --dir "$work/ddl/migrations" || return 1
	done
}

methods=(psql psql4 seq jobs1 jobs2 jobs4)
for ((r = 1; r <= runs; r++)); do
	for m in "${methods[@]}"; do
		say "run $r of $runs: $m"
		reset
		case $m in
		psql) timed "$m" 0 psql_seq ;;
		psql4) timed "$m" 0 psql_par ;;
		seq) timed "$m" 0 up_seq ;;
		jobs*) timed "$m" 0 "$pgmig" up -q --databases "$work/databases.txt" --jobs "${m#jobs}" \
			--dir "$work/ddl/migrations" ;;
		esac
		check "$m"
	done
done

ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2f", a / b }'; }
per_db() { awk -v a="$(med "$1")" -v n="$n_dbs" 'BEGIN { printf "%.1f ms", 1000 * a / n }'; }
row() { printf '%-36s %-26s %-12s %s\n' "$@"; }

{
	printf '\npgmig %s (%s) fleet benchmark: PostgreSQL %s, %s CPUs, %s databases x ddl (%s revisions), %s runs: median (min-max)\n\n' \
		"$("$pgmig" --version | awk '{ print $NF }')" "$revision" "$server_version" "$(nproc)" \
		"$n_dbs" "$n_revs" "$runs"
	row "method" "total" "per database" "÷ psql -1"
	row "------" "-----" "------------" "---------"
	row "psql -1 -f all.sql, one at a time" "$(fig psql)" "$(per_db psql)" "1.00"
	row "psql -1 -f all.sql, 4 at a time" "$(fig psql4)" "$(per_db psql4)" "$(ratio psql4 psql)"
	row "pgmig up, $n_dbs sequential runs" "$(fig seq)" "$(per_db seq)" "$(ratio seq psql)"
	row "pgmig up --databases --jobs 1" "$(fig jobs1)" "$(per_db jobs1)" "$(ratio jobs1 psql)"
	row "pgmig up --databases --jobs 2" "$(fig jobs2)" "$(per_db jobs2)" "$(ratio jobs2 psql)"
	row "pgmig up --databases --jobs 4" "$(fig jobs4)" "$(per_db jobs4)" "$(ratio jobs4 psql)"
} | tee "$work/results.txt"
