#!/usr/bin/env bash
# bench/autogen.sh: autogenerate on a schema of 1,000 tables, side by side
# with applying the migrations that build it once (pgmig up, raw psql).
#
# The migrations are bench/gen.sh's ddl workload: N revisions (default
# 1,000, BENCH_TABLES), each creating a table with an identity primary
# key, an index on a text column and a row.  The project's schema.sql is
# pg_dump --schema-only of a database at their head, to which every tenth
# table gets a column and an index, one table is added and one dropped.
#
# Measured in turn, BENCH_RUNS times (default 3), each after a CHECKPOINT:
#   psql -1 -f all.sql              the migrations' SQL by raw psql
#   pgmig up                        one application of the migrations
#   pgmig diff -v                   the whole command
#   pgmig new --autogenerate -v     the whole command, proof included
# and, from the -v lines of the same runs, each step inside them: the
# shadow databases built, the descriptions, the differ itself, the proof.
# Targets (issue 11): the differ under 1 s, each whole command under 2x
# one application of the migrations (pgmig up).
#
#   bash bench/autogen.sh              (as root, from a clone)
#
# Environment: BENCH_TABLES, BENCH_RUNS, BENCH_PORT (5487), BENCH_BUILD=0
# (use the installed pgmig), BENCH_KEEP=1 (keep /tmp/pgmig-bench-ag.*/),
# PGHOST/PGPORT (use that server, as a role that may create databases,
# instead of a throwaway instance).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ntables=${BENCH_TABLES:-1000}
runs=${BENCH_RUNS:-3}

. "$repo/bench/lib.sh"			# bench_start, sql, timed, fig, ...
bench_start ag "${BENCH_PORT:-5487}" pgmig_bench_ag_run pgmig_bench_ag_head

# The project: the migrations, and schema.sql from the head they build.
say "generating $ntables revisions of a table each"
bash bench/gen.sh ddl "$ntables" "$work/wl" >/dev/null
proj=$work/project
mkdir -p "$proj"
cp -r "$work/wl/migrations" "$proj/"
fresh_db pgmig_bench_ag_head
say "applying them once to dump the schema (set-up)"
"$pgmig" up -q -d pgmig_bench_ag_head --dir "$proj/migrations"
pg_dump --schema-only -d pgmig_bench_ag_head -f "$proj/schema.sql"
{
	echo "-- the change the revision is generated for"
	for ((i = 10; i <= ntables; i += 10)); do
		echo "ALTER TABLE public.bench_ddl_$i ADD COLUMN note text;"
		echo "CREATE INDEX bench_ddl_${i}_created_idx ON public.bench_ddl_$i (created_at);"
	done
	echo "CREATE TABLE public.bench_extra (id bigint PRIMARY KEY, ddl_id bigint REFERENCES public.bench_ddl_1);"
	echo "DROP TABLE public.bench_ddl_$ntables;"
} >>"$proj/schema.sql"
[ "$(id -u)" -eq 0 ] && [ "$started" = 1 ] && chown -R postgres: "$work"

# steps PREFIX: the seconds of each -v line of $work/err into samples.
steps() {
	local line secs
	while IFS= read -r line; do
		secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$line")
		[ -n "$secs" ] || continue
		case $line in
		*"loaded in a shadow"*) samples[$1/load]+="$secs " ;;
		*"head ("*"built in a shadow"*) samples[$1/head]+="$secs " ;;
		*"schema.sql described"*) samples[$1/desc_want]+="$secs " ;;
		*"head described"*) samples[$1/desc_head]+="$secs " ;;
		*"compared:"*) samples[$1/compare]+="$secs " ;;
		*"round trip tried"*) samples[$1/proof]+="$secs " ;;
		esac
	done <"$work/err"
}

cd "$proj"						# the project's root: diff and new find schema.sql
for ((r = 1; r <= runs; r++)); do
	say "run $r of $runs"
	fresh_db pgmig_bench_ag_run
	settle
	timed psql 0 sql -1 -d pgmig_bench_ag_run -f "$work/wl/all.sql"
	fresh_db pgmig_bench_ag_run
	settle
	timed up 0 "$pgmig" up -q -d pgmig_bench_ag_run --dir "$work/wl/migrations"
	settle
	timed diff 1 "$pgmig" diff -v -d pgmig_bench_ag_head
	steps diff
	grep -q "^ALTER TABLE public.bench_ddl_10 ADD COLUMN note text;$" "$work/out" ||
		die "pgmig diff did not find the change"
	settle
	timed new 0 "$pgmig" new -m bench --autogenerate -v -d pgmig_bench_ag_head
	steps new
	written=$(ls "$proj/migrations/"*_bench.sql)
	head -n 1 "$written" | grep -q "round trip verified" || die "the revision was not proven: $(head -n 1 "$written")"
	statements=$(grep -c ';$' "$written")
	rm -f "$written"
done

ratio() { awk -v a="$(med "$1")" -v b="$(med up)" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' && echo met || echo MISSED; }
row() { printf '%-44s %-26s %9s  %s\n' "$@"; }

{
	printf '\npgmig %s (%s) autogenerate benchmark: PostgreSQL %s, %s CPUs, %s tables, %s runs: median (min-max)\n' \
		"$("$pgmig" --version | awk '{ print $NF }')" "$revision" "$server_version" "$(nproc)" "$ntables" "$runs"
	printf 'the change: %s of %s tables get a column and an index, one added, one dropped; the revision has %s statements, up and down\n\n' \
		"$((ntables / 10))" "$ntables" "$statements"
	row "what" "time" "÷ up" "target"
	row "----" "----" "----" "------"
	row "psql -1 -f all.sql (the migrations, raw)" "$(fig psql)" "$(ratio psql)" ""
	row "pgmig up (one application)" "$(fig up)" "1.00" "the baseline"
	row "pgmig diff, whole command" "$(fig diff)" "$(ratio diff)" "< 2×: $(verdict "$(ratio diff)" 2)"
	row "  schema.sql loaded in a shadow" "$(fig diff/load)" "$(ratio diff/load)" ""
	row "  the head built in a shadow" "$(fig diff/head)" "$(ratio diff/head)" ""
	row "  schema.sql described" "$(fig diff/desc_want)" "" ""
	row "  the head described" "$(fig diff/desc_head)" "" ""
	row "  the differ (compared)" "$(fig diff/compare)" "" "< 1 s: $(verdict "$(med diff/compare)" 1)"
	row "pgmig new --autogenerate, whole command" "$(fig new)" "$(ratio new)" "< 2×: $(verdict "$(ratio new)" 2)"
	row "  the differ (up, down: each)" "$(fig new/compare)" "" "< 1 s: $(verdict "$(med new/compare)" 1)"
	row "  the round trip (proof)" "$(fig new/proof)" "" ""
	printf '(the indented rows are steps of the command above them, from its -v lines)\n'
} | tee "$work/results.txt"
