#!/usr/bin/env bash
# Generate one benchmark workload: migration files in dbmate's format and,
# derived from those same files, the scripts raw psql runs.
#
#   bash bench/gen.sh KIND N DIR
#
# KIND is one of
#   tiny   N revisions of one INSERT each (the first also creates the table)
#   ddl    N revisions of CREATE TABLE + CREATE INDEX + INSERT
#   nontx  the same, but every 20th revision is a no-transaction one
#          (CREATE INDEX CONCURRENTLY on the table before it)
#   mem    one revision of N INSERT statements (after one CREATE TABLE)
#
# DIR gets
#   migrations/2024NNNNNNNNNN_KIND_I.sql   the revisions
#   all.sql       every up section, concatenated in version order
#                 (for psql -1: one session, one transaction)
#   per_file.sql  the same, each file's up section in BEGIN; ... COMMIT;
#                 (one session, a transaction per file; a no-transaction
#                 file's statements each in a transaction of their own)
#   register.sql  one mig_register(text[], text[]) call with every file,
#                 so that SELECT mig_apply() finds them registered
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: bash bench/gen.sh tiny|ddl|nontx|mem N DIR" >&2
	exit 2
fi
kind=$1 n=$2 dir=$3
case $kind in
tiny | ddl | nontx | mem) ;;
*)
	echo "gen: unknown workload \"$kind\"" >&2
	exit 2
	;;
esac
case $n in
'' | *[!0-9]*)
	echo "gen: N must be a positive number, not \"$n\"" >&2
	exit 2
	;;
esac

mkdir -p "$dir/migrations"

# The revisions.  Versions are 2024 followed by ten digits, so that file
# names sort in version order for pgmig, dbmate and the shell alike.
awk -v kind="$kind" -v n="$n" -v dir="$dir/migrations" '
function version(i) { return sprintf("2024%010d", i) }
BEGIN {
	if (kind == "mem") {
		f = dir "/" version(1) "_mem_1.sql"
		print "-- migrate:up" > f
		print "CREATE TABLE bench_mem (id integer NOT NULL, note text NOT NULL);" > f
		for (i = 1; i <= n; i++)
			printf "INSERT INTO bench_mem (id, note) VALUES (%d, %cstatement %d%c);\n", i, 39, i, 39 > f
		print "" > f
		print "-- migrate:down" > f
		print "DROP TABLE bench_mem;" > f
		close(f)
		exit
	}
	for (i = 1; i <= n; i++) {
		f = sprintf("%s/%s_%s_%d.sql", dir, version(i), kind, i)
		if (kind != "nontx" || i % 20 != 0)
			print "-- migrate:up" > f
		if (kind == "tiny") {
			if (i == 1)
				print "CREATE TABLE bench_tiny (id integer PRIMARY KEY, note text NOT NULL);" > f
			printf "INSERT INTO bench_tiny (id, note) VALUES (%d, %crevision %d%c);\n", i, 39, i, 39 > f
			print "" > f
			print "-- migrate:down" > f
			if (i == 1)
				print "DROP TABLE bench_tiny;" > f
			else
				printf "DELETE FROM bench_tiny WHERE id = %d;\n", i > f
		} else if (kind == "nontx" && i % 20 == 0) {
			t = "bench_nontx_" (i - 1)
			print "-- migrate:up transaction:false" > f
			printf "CREATE INDEX CONCURRENTLY %s_created_idx ON %s (created_at);\n", t, t > f
			print "" > f
			print "-- migrate:down transaction:false" > f
			printf "DROP INDEX CONCURRENTLY %s_created_idx;\n", t > f
		} else {
			t = "bench_" kind "_" i
			printf "CREATE TABLE %s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n", t > f
			printf "CREATE INDEX %s_name_idx ON %s (name);\n", t, t > f
			printf "INSERT INTO %s (name) VALUES (%crow %d%c);\n", t, 39, i, 39 > f
			print "" > f
			print "-- migrate:down" > f
			printf "DROP TABLE %s;\n", t > f
		}
		close(f)
	}
}'

# Everything else is read back from the files, so that every tool runs
# exactly the same SQL.
files() { find "$dir/migrations" -name '*.sql' | LC_ALL=C sort; }

files | awk -v all="$dir/all.sql" -v per="$dir/per_file.sql" '
{
	up = 0
	nontx = 0
	while ((getline line < $0) > 0) {
		if (line ~ /^-- migrate:up/) {
			up = 1
			nontx = line ~ /transaction:false/
			if (!nontx) print "BEGIN;" > per
			continue
		}
		if (line ~ /^-- migrate:down/) { up = 0; continue }
		if (up) {
			print line > all
			print line > per
		}
	}
	close($0)
	if (!nontx) print "COMMIT;" > per
}'

# One mig_register(names, contents) call; contents are dollar-quoted.
{
	printf 'SELECT count(*) FROM mig_register(ARRAY['
	files | awk 'NR > 1 { printf "," } { sub(/.*\//, ""); printf "%c%s%c", 39, $0, 39 }'
	printf ']::text[], ARRAY['
	files | awk -v tag='$pgmig_bench$' '
	{
		if (NR > 1) printf ","
		printf "%s", tag
		while ((getline line < $0) > 0)
			printf "%s\n", line
		close($0)
		printf "%s", tag
	}'
	printf ']::text[]);\n'
} >"$dir/register.sql"
