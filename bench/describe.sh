#!/usr/bin/env bash
# bench/describe.sh: how long pgmig.describe() takes on a large schema.
#
# Creates a database (pgmig_bench_describe) on the server the PG*
# environment names, where pgmig must be installed, with N tables (default
# 1000), each with six columns, a primary key, an index and a foreign key
# to the previous table, times pgmig.describe() and describe(true) in the
# server (median of BENCH_RUNS calls, the fastest and slowest in
# brackets), prints one line each, and drops the database.
#
#   PGHOST=/tmp/sock PGPORT=5432 bash bench/describe.sh [N]
#
# The role must be allowed to create databases and CREATE EXTENSION pgmig.
set -euo pipefail

ntables=${1:-1000}
runs=${BENCH_RUNS:-5}
db=pgmig_bench_describe

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

psql_db -c "CREATE EXTENSION pgmig"
# in transactions of 500 tables, which the lock table holds
for ((from = 1; from <= ntables; from += 500)); do
	psql_db -c "
DO \$\$
BEGIN
  FOR i IN $from..least($from + 499, $ntables) LOOP
    EXECUTE format('CREATE TABLE public.t%s (id bigint PRIMARY KEY, parent_id bigint %s,
                    name text NOT NULL, created timestamptz DEFAULT now(),
                    amount numeric(12,2), flag boolean DEFAULT false)',
                   i, CASE WHEN i > 1 THEN format('REFERENCES public.t%s', i - 1) ELSE '' END);
    EXECUTE format('CREATE INDEX t%s_name_idx ON public.t%s (name)', i, i);
  END LOOP;
END
\$\$"
done
psql_db -c "ANALYZE"

# one line: rows, then the median, fastest and slowest call in ms
measure() {
	psql_db -At -c "
CREATE TEMP TABLE times (ms float8);
DO \$\$
DECLARE
  t0 timestamptz;
BEGIN
  PERFORM count(*) FROM pgmig.describe($1);	-- warm the caches
  FOR i IN 1..$runs LOOP
    t0 := clock_timestamp();
    PERFORM count(*) FROM pgmig.describe($1);
    INSERT INTO times VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END
\$\$;
SELECT format('%s rows: %s ms (%s to %s)',
              (SELECT count(*) FROM pgmig.describe($1)),
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric),
              round(min(ms)::numeric), round(max(ms)::numeric))
FROM times;"
}

printf 'pgmig.describe(), %s tables, median of %s calls\n' "$ntables" "$runs"
printf '  describe():     %s\n' "$(measure false)"
printf '  describe(true): %s\n' "$(measure true)"
