#!/usr/bin/env bash
# bench/drift.sh: what drift tracking costs (issue 14), side by side with
# raw psql in one run: each workload applied by psql with a transaction
# per file, and by pgmig with pgmig.track_drift on (the default) and off.
#
#   ddl          BENCH_DDL (1,000) revisions of a table, an index and a row:
#                pgmig up, and pgmig up --commit-each
#   nontx        the same with a no-transaction revision (CREATE INDEX
#                CONCURRENTLY) every 20 revisions: pgmig up
#   one of 100k  one new revision applied on top of BENCH_APPLIED (100,000)
#                applied ones, registered beforehand: the server's part,
#                SELECT count(*) FROM mig_apply(), from psql's \timing
#
# Each measurement starts from a fresh database after a CHECKPOINT; the
# methods take turns within each of BENCH_RUNS runs (3).  Targets (issue
# 14), drift tracking on: up of a history with no-transaction revisions
# <= 1.05x psql; up --commit-each <= 1.3x psql; the server's part of one
# apply on top of 100,000 < 20 ms.
#
#   bash bench/drift.sh          (as root, from a clone)
#
# Environment: BENCH_DDL, BENCH_APPLIED, BENCH_RUNS, BENCH_PORT (5486),
# BENCH_BUILD=0, BENCH_KEEP=1, PGHOST/PGPORT (a superuser's server).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
. "$repo/bench/lib.sh"			# bench_start, sql, timed, fig, ...
bench_start drift "${BENCH_PORT:-5486}" pgmig_bench_drift_run pgmig_bench_drift_100k
n_ddl=${BENCH_DDL:-1000} n_applied=${BENCH_APPLIED:-100000} runs=${BENCH_RUNS:-3}

say "generating the workloads"
bash bench/gen.sh ddl "$n_ddl" "$work/ddl" >/dev/null
bash bench/gen.sh nontx "$n_ddl" "$work/nontx" >/dev/null
[ "$(id -u)" -eq 0 ] && [ "$started" = 1 ] && chown -R postgres: "$work"

off="-c pgmig.track_drift=off"
db=pgmig_bench_drift_run

# apply WORKLOAD METHOD: one measurement into samples[WORKLOAD/METHOD]
apply() {
	local wl=$1 m=$2 want=$n_ddl
	[ "$wl" = nontx ] && want=$((n_ddl - n_ddl / 20))
	fresh_db "$db"
	settle
	case $m in
	psql) timed "$wl/$m" 0 psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/$wl/per_file.sql" ;;
	up) timed "$wl/$m" 0 "$pgmig" up -q -d "$db" --dir "$work/$wl/migrations" ;;
	up_off) PGOPTIONS="$off" timed "$wl/$m" 0 "$pgmig" up -q -d "$db" --dir "$work/$wl/migrations" ;;
	each) timed "$wl/$m" 0 "$pgmig" up -q --commit-each -d "$db" --dir "$work/$wl/migrations" ;;
	each_off) PGOPTIONS="$off" timed "$wl/$m" 0 "$pgmig" up -q --commit-each -d "$db" --dir "$work/$wl/migrations" ;;
	esac
	[ "$(sql -d "$db" -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'bench\_${wl}\_%\_name\_idx'")" = "$want" ] ||
		die "$wl by $m: not applied"
}

for ((r = 1; r <= runs; r++)); do
	say "run $r of $runs"
	for m in psql up up_off each each_off; do apply ddl "$m"; done
	for m in psql up up_off; do apply nontx "$m"; done
done
sql -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null

# one revision on top of n_applied: registered in one mig_register() call
# and applied with mig_stamp('head'), as in bench/run.sh's status workload
say "one of $n_applied: registering and stamping $n_applied revisions (set-up)"
big=pgmig_bench_drift_100k
fresh_db "$big"
sql -d "$big" -c "SELECT count(*) FROM mig_register(
	   ARRAY(SELECT format('2024%s_r_%s.sql', lpad(i::text, 10, '0'), i) FROM generate_series(1, $n_applied) i ORDER BY i),
	   ARRAY(SELECT format(E'-- migrate:up\nSELECT %s;\n-- migrate:down\nSELECT %s;\n', i, i)
	         FROM generate_series(1, $n_applied) i ORDER BY i))" -c "SELECT count(*) FROM mig_stamp('head')" >/dev/null
next=$n_applied
# one_more KEY [PGOPTIONS]: register revision next+1, then time its apply
one_more() {
	local ms
	next=$((next + 1))
	sql -d "$big" -c "SELECT count(*) FROM mig_register(format('2024%s_r_%s.sql', lpad('$next', 10, '0'), $next),
		  E'-- migrate:up\nCREATE TABLE t_$next (id int);\n-- migrate:down\nDROP TABLE t_$next;\n')" >/dev/null
	ms=$(PGOPTIONS="${2:-}" psql -X -q -d "$big" -c '\timing on' -c 'SELECT count(*) FROM mig_apply()' |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	[ -n "$ms" ] || die "one of $n_applied: mig_apply() failed"
	samples[$1]+="$(awk -v ms="$ms" 'BEGIN { printf "%.6f", ms / 1000 }') "
}
for ((r = 1; r <= runs; r++)); do
	one_more big/on
	one_more big/off "$off"
done

ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo met || echo MISSED; }
row() { printf '%-16s %-40s %-26s %8s  %s\n' "$@"; }

{
	printf '\npgmig %s (%s) drift benchmark: PostgreSQL %s, %s CPUs, %s runs: median (min-max)\n\n' \
		"$("$pgmig" --version | awk '{ print $NF }')" "$revision" "$server_version" "$(nproc)" "$runs"
	row "workload" "method" "time" "÷ psql" "target (drift on)"
	row "--------" "------" "----" "------" ""
	row "ddl ($n_ddl)" "psql -f, a transaction per file" "$(fig ddl/psql)" "1.00" ""
	row "" "pgmig up" "$(fig ddl/up)" "$(ratio ddl/up ddl/psql)" ""
	row "" "pgmig up, drift off" "$(fig ddl/up_off)" "$(ratio ddl/up_off ddl/psql)" ""
	row "" "pgmig up --commit-each" "$(fig ddl/each)" "$(ratio ddl/each ddl/psql)" \
		"≤ 1.3×: $(verdict "$(ratio ddl/each ddl/psql)" 1.3)"
	row "" "pgmig up --commit-each, drift off" "$(fig ddl/each_off)" "$(ratio ddl/each_off ddl/psql)" ""
	row "nontx ($n_ddl)" "psql -f, a transaction per file" "$(fig nontx/psql)" "1.00" ""
	row "" "pgmig up" "$(fig nontx/up)" "$(ratio nontx/up nontx/psql)" \
		"≤ 1.05×: $(verdict "$(ratio nontx/up nontx/psql)" 1.05)"
	row "" "pgmig up, drift off" "$(fig nontx/up_off)" "$(ratio nontx/up_off nontx/psql)" ""
	row "one of $n_applied" "mig_apply() of one revision" "$(fig big/on)" "" \
		"< 20 ms: $(verdict "$(med big/on)" 0.020)"
	row "" "the same, drift off" "$(fig big/off)" "" ""
} | tee "$work/results.txt"
