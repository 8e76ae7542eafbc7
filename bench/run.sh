#!/usr/bin/env bash
# make bench: pgmig side by side with raw psql and dbmate, on this machine.
#
# Installs what is missing (the build dependencies, /usr/bin/time, dbmate
# from the npm registry), builds and installs pgmig, starts a throwaway
# PostgreSQL instance in a temporary directory, generates the workloads
# there and prints one table of figures, all measured in this run.  See
# bench/README.md for what each figure means.
#
# Runs as root (the server then runs as the "postgres" OS user, since
# initdb refuses root) or as a user allowed to run initdb.
#
# Environment:
#   BENCH_RUNS=5      measurements per figure; the table shows the median
#   BENCH_QUICK=1     small workloads and 3 runs: a smoke test of the bench
#   BENCH_PORT=5488   port of the throwaway instance
#   BENCH_BUILD=0     do not build and install pgmig first
#   BENCH_KEEP=1      keep the temporary directory (workloads, logs)
#   BENCH_TINY, BENCH_DDL, BENCH_NOOP, BENCH_STATUS, BENCH_MEM
#                     workload sizes (2000, 1000, 10000, 100000, 1000000)
#   PGHOST / PGPORT   when either is set, no instance is started: the bench
#                     uses that server (PGUSER, PGPASSWORD ... apply).  It
#                     must run on this machine (backend memory is read from
#                     /proc) and the role must be a superuser; the bench
#                     creates and drops databases named pgmig_bench_*.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	runs=${BENCH_RUNS:-3}
	n_tiny=${BENCH_TINY:-200} n_ddl=${BENCH_DDL:-100} n_noop=${BENCH_NOOP:-1000}
	n_status=${BENCH_STATUS:-10000} n_mem=${BENCH_MEM:-100000}
else
	runs=${BENCH_RUNS:-5}
	n_tiny=${BENCH_TINY:-2000} n_ddl=${BENCH_DDL:-1000} n_noop=${BENCH_NOOP:-10000}
	n_status=${BENCH_STATUS:-100000} n_mem=${BENCH_MEM:-1000000}
fi
status_calls=21					# mig_status() calls in one session
port=${BENCH_PORT:-5488}
external=0
if [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ]; then
	external=1
fi

work=""							# temporary directory
bindir=""
started=0						# we started a server in $work/data

# say, die, as_pg, instance_start, instance_stop
. "$repo/bench/lib.sh"

cleanup() {
	set +e
	if [ "$started" = 1 ]; then
		instance_stop "$work"
	fi
	if [ "$external" = 1 ] && [ -n "$bindir" ]; then
		drop_all_dbs 2>/dev/null
	fi
	if [ -n "$work" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			say "kept $work"
		else
			rm -rf "$work"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# What the bench needs.

[ "$(id -u)" -eq 0 ] && bash test/deps.sh >&2
PG_CONFIG=${PG_CONFIG:-pg_config}
command -v "$PG_CONFIG" >/dev/null 2>&1 || die "$PG_CONFIG not found; set PG_CONFIG"
export PG_CONFIG
bindir=$("$PG_CONFIG" --bindir)
export PATH="$bindir:$PATH"

# apt_install PACKAGE...: install Debian packages (as root) if missing.
apt_install() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root)"
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >/dev/null </dev/null ||
		die "apt-get could not install ${missing[*]}"
}

[ -x /usr/bin/time ] || apt_install time
command -v npm >/dev/null 2>&1 || apt_install npm

# dbmate from the npm registry: the "dbmate" package pulls the binary in
# through an optional dependency, @dbmate/linux-x64 (or -arm64).
dbmate_cache=/tmp/pgmig-bench-npm
dbmate=""
find_dbmate() {
	dbmate=$(find "$dbmate_cache/node_modules/@dbmate" -path '*/bin/dbmate' -type f 2>/dev/null | head -n 1)
	[ -n "$dbmate" ] && "$dbmate" --version >/dev/null 2>&1
}
if ! find_dbmate; then
	say "installing dbmate from the npm registry into $dbmate_cache"
	mkdir -p "$dbmate_cache"
	(cd "$dbmate_cache" && npm install --no-audit --no-fund --loglevel=error dbmate >npm.log 2>&1) ||
		{ cat "$dbmate_cache/npm.log" >&2; die "npm install dbmate failed"; }
	find_dbmate || die "npm installed dbmate but no binary under $dbmate_cache/node_modules/@dbmate"
fi

work=$(mktemp -d /tmp/pgmig-bench-XXXXXX)
chmod 755 "$work"

if [ "${BENCH_BUILD:-1}" = 1 ]; then
	if ! { make -s && make -s install; } >"$work/build.log" 2>&1; then
		cat "$work/build.log" >&2
		die "building or installing pgmig failed"
	fi
fi
command -v pgmig >/dev/null 2>&1 || die "pgmig is not installed (make install)"
# What was measured: the commit, and whether the tree had changes.
revision=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "no git")
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	revision="$revision with uncommitted changes"
fi
[ "${BENCH_BUILD:-1}" = 1 ] || revision="installed pgmig, not built by the bench"
pgmig=$(command -v pgmig)

# ---------------------------------------------------------------------------
# The server.

if [ "$external" = 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "no \"postgres\" OS user to run the server as"
		chown postgres: "$work"
	fi
	mkdir -p "$work/sock"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$work/sock"
	# Defaults, except that no checkpoint lands in the middle of a
	# measurement (the bench checkpoints before each one instead).
	instance_start "$work" "$port" max_wal_size=20GB checkpoint_timeout=1h ||
		die "the bench server did not start"
	started=1
	export PGHOST=$work/sock PGPORT=$port PGUSER=postgres
	unset PGPASSWORD PGSERVICE PGOPTIONS || true
fi
maintenance_db=${PGDATABASE:-postgres}
unset PGDATABASE DATABASE_URL || true

# sql DB SQL...: run statements, print the unaligned result.
sql() {
	local db=$1
	shift
	PGOPTIONS="-c client_min_messages=warning" \
		psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "${@/#/--command=}"
}

sql "$maintenance_db" "SELECT 1" >/dev/null || die "cannot connect to the server"
server_version=$(sql "$maintenance_db" "SHOW server_version")
[ "$(sql "$maintenance_db" "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" = t ] ||
	die "the bench needs a superuser role (CREATE DATABASE, pg_read_file of /proc)"

# The template every measurement starts from: an empty database with the
# extension installed.  Each measurement gets a fresh copy (not timed).
tpl=pgmig_bench_tpl
drop_all_dbs() {
	local db
	for db in $(sql "$maintenance_db" "SELECT datname FROM pg_database WHERE datname LIKE 'pgmig\_bench\_%'"); do
		sql "$maintenance_db" "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
	done
}
drop_all_dbs
sql "$maintenance_db" "CREATE DATABASE $tpl" >/dev/null
sql "$tpl" "CREATE EXTENSION pgmig" >/dev/null

# fresh_db NAME: a copy of the template, then a checkpoint, so that every
# measurement starts from the same state.
fresh_db() {
	sql "$maintenance_db" "DROP DATABASE IF EXISTS $1 WITH (FORCE)" "CREATE DATABASE $1 TEMPLATE $tpl" >/dev/null
	settle
}
# Write out what earlier measurements left dirty (dropped databases of
# thousands of files, WAL), so that it does not land in the next one.
settle() {
	sql "$maintenance_db" "CHECKPOINT" >/dev/null
	sync
}
drop_db() {
	sql "$maintenance_db" "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}

# After a backend crash the server restarts itself; wait until it is back.
wait_for_server() {
	local i
	for ((i = 0; i < 120; i++)); do
		sql "$maintenance_db" "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	die "the server did not come back"
}

# dbmate's URL for a database, from the same PG* settings.
dbmate_url() {
	local user=${PGUSER:-$(id -un)} host=${PGHOST:-/var/run/postgresql}
	local auth=$user
	[ -n "${PGPASSWORD:-}" ] && auth="$user:$PGPASSWORD"
	case $host in
	/*) printf 'postgres://%s@/%s?socket=%s&port=%s&sslmode=disable' "$auth" "$1" "$host" "${PGPORT:-5432}" ;;
	*) printf 'postgres://%s@%s:%s/%s?sslmode=disable' "$auth" "$host" "${PGPORT:-5432}" "$1" ;;
	esac
}

# ---------------------------------------------------------------------------
# Measuring.

log=$work/commands.log
declare -A samples				# "workload/method" -> "secs secs ..."

now() { date +%s%N; }

# timed KEY CMD...: run CMD once, add its wall time to samples[KEY].
timed() {
	local key=$1 t0 t1
	shift
	printf '\n$ %s\n' "$*" >>"$log"
	t0=$(now)
	"$@" >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "failed: $*"; }
	t1=$(now)
	samples[$key]+="$(((t1 - t0) / 1000)) "		# microseconds
}

# median of microsecond samples, in seconds
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f\n", m / 1e6 }'
}

psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
dbmate_up() { "$dbmate" --url "$(dbmate_url "$1")" --migrations-dir "$2" --no-dump-schema up; }

# The five ways of applying a workload; each starts from a fresh database.
methods=(psql1 psqlper pgmig apply dbmate)
declare -A method_label=(
	[psql1]="psql -1 -f all.sql (one transaction)"
	[psqlper]="psql -f, a transaction per file"
	[pgmig]="pgmig up"
	[apply]="SELECT mig_apply() (registered)"
	[dbmate]="dbmate up"
)

# time_status DB KEY: SELECT mig_status() status_calls times in one session,
# each call's time into samples[KEY]; on failure (the server may crash),
# the first line of the error into errors[KEY].
declare -A errors
time_status() {
	local db=$1 key=$2 line times ms
	if ! line=$(sql "$db" "SELECT mig_status()" 2>"$work/status.err"); then
		errors[$key]=$(grep -v '^[[:space:]]' "$work/status.err" | head -n 1)
		say "mig_status() in $db failed: ${errors[$key]}"
		wait_for_server
		return 0
	fi
	say "mig_status() in $db: $line"
	# \timing prints "Time: N ms" per call on stdout; results go to /dev/null.
	times=$({
		echo '\o /dev/null'
		echo '\timing on'
		for ((i = 0; i < status_calls; i++)); do echo 'SELECT mig_status();'; done
	} | psql -X -q -v ON_ERROR_STOP=1 -d "$db" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	[ "$(wc -l <<<"$times")" -eq "$status_calls" ] || die "could not read the timings of mig_status()"
	for ms in $times; do
		samples[$key]+="$(awk -v ms="$ms" 'BEGIN { printf "%d", ms * 1000 }') "
	done
}

apply_workload() {
	local wl=$1 dir=$2 method=$3 db=pgmig_bench_run
	fresh_db "$db"
	case $method in
	psql1) timed "$wl/$method" psql_run -1 -d "$db" -f "$dir/all.sql" ;;
	psqlper) timed "$wl/$method" psql_run -d "$db" -f "$dir/per_file.sql" ;;
	pgmig) timed "$wl/$method" "$pgmig" up -q -d "$db" --dir "$dir/migrations" ;;
	apply)
		psql_run -d "$db" -f "$dir/register.sql" >/dev/null
		settle
		timed "$wl/$method" psql_run -d "$db" -c "SELECT count(*) FROM mig_apply()"
		;;
	dbmate) timed "$wl/$method" dbmate_up "$db" "$dir/migrations" ;;
	esac
	check_applied "$wl" "$db" "$method"
	# mig_status() where the schema is not empty: the last run of ddl
	if [ "$wl/$method/$r" = "ddl/pgmig/$runs" ]; then
		time_status "$db" status/ddl
	fi
	drop_db "$db"
}

# Did the method really apply the workload?
check_applied() {
	local wl=$1 db=$2 method=$3 got want
	case $wl in
	tiny)
		got=$(sql "$db" "SELECT count(*) FROM bench_tiny")
		want=$n_tiny
		;;
	ddl)
		got=$(sql "$db" "SELECT count(*) FROM pg_class WHERE relname LIKE 'bench\_ddl\_%\_name\_idx'")
		want=$n_ddl
		;;
	esac
	[ "$got" = "$want" ] || die "$wl by $method: expected $want, found $got"
}

gen() {
	say "generating $1 ($2) in $3"
	bash "$repo/bench/gen.sh" "$1" "$2" "$3"
}

gen tiny "$n_tiny" "$work/tiny"
gen ddl "$n_ddl" "$work/ddl"
gen tiny "$n_noop" "$work/noop"
gen mem "$n_mem" "$work/mem"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"

# Methods interleave, run after run, so that drift hits all of them alike.
# Raw psql pays one client/server round trip per statement, and what a
# round trip costs on a small VM moves with the host's load (threefold
# within an hour here), so the bench measures it next to the workloads:
# n_tiny times SELECT 1 in one psql session.
for ((i = 0; i < n_tiny; i++)); do echo 'SELECT 1;'; done >"$work/roundtrip.sql"

for wl in tiny ddl; do
	for ((r = 1; r <= runs; r++)); do
		say "$wl: run $r of $runs"
		[ "$wl" = tiny ] && timed roundtrip psql_run -d "$maintenance_db" -o /dev/null -f "$work/roundtrip.sql"
		for m in "${methods[@]}"; do
			apply_workload "$wl" "$work/$wl" "$m"
		done
	done
done

# no-op: everything applied, nothing to do.
say "no-op: applying $n_noop revisions with pgmig and with dbmate (set-up)"
fresh_db pgmig_bench_noop
fresh_db pgmig_bench_noop_dbmate
timed setup/noop_pgmig "$pgmig" up -q -d pgmig_bench_noop --dir "$work/noop/migrations"
timed setup/noop_dbmate dbmate_up pgmig_bench_noop_dbmate "$work/noop/migrations"
for ((r = 1; r <= runs; r++)); do
	say "no-op: run $r of $runs"
	timed noop/pgmig "$pgmig" up -q -d pgmig_bench_noop --dir "$work/noop/migrations"
	timed noop/dbmate dbmate_up pgmig_bench_noop_dbmate "$work/noop/migrations"
done
[ "$(sql pgmig_bench_noop "SELECT count(*) FROM pgmig.schema_migrations")" = "$n_noop" ] ||
	die "no-op: pgmig did not apply $n_noop revisions"
drop_db pgmig_bench_noop
drop_db pgmig_bench_noop_dbmate

# status: mig_status() over many applied revisions.  They are registered
# in one mig_register() call and applied with mig_stamp('head'), which
# records each one as pgmig up would (without running the trivial scripts).
say "status: registering and stamping $n_status revisions (set-up)"
fresh_db pgmig_bench_status
timed setup/status sql pgmig_bench_status \
	"SELECT count(*) FROM mig_register(
	   ARRAY(SELECT format('2024%s_status_%s.sql', lpad(i::text, 10, '0'), i)
	         FROM generate_series(1, $n_status) i ORDER BY i),
	   ARRAY(SELECT format(E'-- migrate:up\nSELECT %s;\n-- migrate:down\nSELECT %s;\n', i, i)
	         FROM generate_series(1, $n_status) i ORDER BY i))" \
	"SELECT count(*) FROM mig_stamp('head')"
time_status pgmig_bench_status status/call
drop_db pgmig_bench_status

# memory: one revision of n_mem INSERT statements.
# vmhwm_sql: the backend's own peak resident set (VmHWM), in kB.
vmhwm_sql="SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+) kB'))[1]"
# max_rss OUTFILE CMD...: run CMD under /usr/bin/time -v (output kept).
declare -A mem_kb
mem_script_bytes=$(stat -c %s "$work/mem/migrations/"*.sql)

say "memory: baseline backend"
fresh_db pgmig_bench_mem
mem_kb[baseline]=$(sql pgmig_bench_mem "SELECT 1" "$vmhwm_sql" | tail -n 1)

say "memory: SELECT mig_apply() on $n_mem statements"
psql_run -d pgmig_bench_mem -f "$work/mem/register.sql" >/dev/null
settle
t0=$(now)
mem_kb[apply]=$(sql pgmig_bench_mem "SELECT count(*) FROM mig_apply()" "$vmhwm_sql" | tail -n 1)
samples[mem/apply]="$((($(now) - t0) / 1000))"
[ "$(sql pgmig_bench_mem "SELECT count(*) FROM bench_mem")" = "$n_mem" ] || die "memory: mig_apply() did not apply"

say "memory: psql -1 -f on the same statements"
fresh_db pgmig_bench_mem
t0=$(now)
/usr/bin/time -o "$work/time_psql.txt" -v \
	psql -X -q -A -t -v ON_ERROR_STOP=1 -1 -d pgmig_bench_mem -f "$work/mem/all.sql" -c "$vmhwm_sql" \
	>"$work/psql_mem.out" || die "memory: psql failed"
samples[mem/psql]="$((($(now) - t0) / 1000))"
mem_kb[psql]=$(tail -n 1 "$work/psql_mem.out")
mem_kb[psql_client]=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time_psql.txt")

say "memory: pgmig up on the same file"
fresh_db pgmig_bench_mem
# The client runs in the background while its backend's peak (VmHWM) is
# read from /proc every 0.1 s; the last reading before it exits is the peak.
t0=$(now)
/usr/bin/time -o "$work/time_pgmig.txt" -v "$pgmig" up -q -d pgmig_bench_mem --dir "$work/mem/migrations" >>"$log" 2>&1 &
client=$!
backend="" peak=0
while kill -0 "$client" 2>/dev/null; do
	[ -n "$backend" ] ||
		backend=$(sql "$maintenance_db" "SELECT pid FROM pg_stat_activity WHERE datname = 'pgmig_bench_mem' AND application_name = 'pgmig' LIMIT 1")
	if [ -n "$backend" ]; then
		v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$backend/status" 2>/dev/null || true)
		[ -z "$v" ] || peak=$v
	fi
	sleep 0.1
done
wait "$client" || { tail -n 20 "$log" >&2; die "memory: pgmig up failed"; }
samples[mem/pgmig]="$((($(now) - t0) / 1000))"
mem_kb[pgmig_backend]=$peak
mem_kb[pgmig_client]=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time_pgmig.txt")
[ "$(sql pgmig_bench_mem "SELECT count(*) FROM bench_mem")" = "$n_mem" ] || die "memory: pgmig up did not apply"
drop_db pgmig_bench_mem

# ---------------------------------------------------------------------------
# The table.

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# verdict OK-CONDITION (awk expression over a and b) A B
verdict() { awk -v a="$2" -v b="$3" "BEGIN { exit !($1) }" && echo met || echo MISSED; }

row() { printf '%-18s %-40s %-22s %9s  %s\n' "$@"; }

# secs KEY: the median of samples[KEY] in seconds, then min-max.
secs() {
	tr ' ' '\n' <<<"${samples[$1]}" | grep . | sort -n |
		awk -v med="$(median "${samples[$1]}")" '{ v[NR] = $1 / 1e6 }
			END { if (NR > 1) printf "%.3f s (%.3f-%.3f)", med, v[1], v[NR]; else printf "%.3f s", med }'
}

mb() { awk -v kb="$1" 'BEGIN { printf "%.1f MB", kb / 1024 }'; }

# status_row LABEL KEY METHOD TARGET: a row of mig_status() timings.
status_row() {
	local med
	if [ -n "${errors[$2]:-}" ]; then
		row "$1" "$3" "FAILED" "" "${4:+${4}MISSED }(${errors[$2]})"
		return
	fi
	med=$(median "${samples[$2]}")
	row "$1" "$3" "$(tr ' ' '\n' <<<"${samples[$2]}" | grep . | sort -n |
		awk -v med="$med" '{ v[NR] = $1 / 1e3 } END { printf "%.2f ms (%.1f-%.1f)", med * 1000, v[1], v[NR] }')" "" \
		"${4:+$4$(verdict "a < 0.020" "$med" 0) }(median of $status_calls calls)"
}

print_table() {
	local wl n limit m med base dbm ratio_s target
	printf '\npgmig %s (%s) benchmark: PostgreSQL %s, %s CPUs, %s runs per figure: median (min-max)\n\n' \
		"$(pgmig --version | awk '{ print $NF }')" "$revision" "$server_version" "$(nproc)" "$runs"
	row "workload" "method" "time" "÷ psql -1" "target"
	row "--------" "------" "----" "---------" "------"
	row "round trip" "psql, $n_tiny x SELECT 1, per statement" "$(tr ' ' '\n' <<<"${samples[roundtrip]}" | grep . | sort -n |
		awk -v med="$(median "${samples[roundtrip]}")" -v n="$n_tiny" '{ v[NR] = $1 / n }
			END { printf "%.0f us (%.0f-%.0f)", med * 1e6 / n, v[1], v[NR] }')" "" "what raw psql pays per statement"
	for wl in tiny ddl; do
		if [ "$wl" = tiny ]; then n="$wl ($n_tiny)" limit=1.5; else n="$wl ($n_ddl)" limit=1.05; fi
		base=$(median "${samples[$wl/psql1]}")
		dbm=$(median "${samples[$wl/dbmate]}")
		for m in "${methods[@]}"; do
			med=$(median "${samples[$wl/$m]}")
			target=""
			case $m in
			psql1) target="the limit" ;;
			pgmig | apply)
				target="≤ ${limit}×: $(verdict "a / b <= $limit" "$med" "$base"); faster than dbmate: $(verdict "a < b" "$med" "$dbm")"
				;;
			esac
			row "$n" "${method_label[$m]}" "$(secs "$wl/$m")" "$(ratio "$med" "$base")" "$target"
			n=""
		done
	done
	med=$(median "${samples[noop/pgmig]}")
	row "no-op ($n_noop)" "pgmig up, nothing to do" "$(secs noop/pgmig)" "" "< 0.1 s: $(verdict "a < 0.1" "$med" 0)"
	dbm=$(median "${samples[noop/dbmate]}")
	row "" "dbmate up, nothing to do" "$(secs noop/dbmate)" "" "pgmig faster: $(verdict "a < b" "$med" "$dbm")"
	status_row "status ($n_status)" status/call "SELECT mig_status(), per call" "< 20 ms: "
	status_row "" status/ddl "the same after ddl ($n_ddl tables)" ""
	printf '\n'
	row "memory ($n_mem" "statements, one revision of $(mb $((mem_script_bytes / 1024))))" "peak RSS" "÷ script" "target: ≤ 4× the script"
	local k label kb grown
	for k in apply psql pgmig_backend pgmig_client psql_client baseline; do
		case $k in
		apply) label="backend, SELECT mig_apply()" ;;
		psql) label="backend, psql -1 -f all.sql" ;;
		pgmig_backend) label="backend, pgmig up (sampled every 0.1 s)" ;;
		pgmig_client) label="client, pgmig up" ;;
		psql_client) label="client, psql -1 -f all.sql" ;;
		baseline) label="backend after SELECT 1 (baseline)" ;;
		esac
		kb=${mem_kb[$k]}
		# a backend counts what it grew above an idle one
		case $k in
		apply | psql | pgmig_backend) grown=$((kb - mem_kb[baseline])) ;;
		*) grown=$kb ;;
		esac
		target=""
		case $k in apply | pgmig_backend | pgmig_client)
			target=$(verdict "a * 1024 <= 4 * b" "$grown" "$mem_script_bytes") ;;
		esac
		if [ "$k" = baseline ]; then
			row "" "$label" "$(mb "$kb")" "" ""
		else
			row "" "$label" "$(mb "$kb")" "$(ratio $((grown * 1024)) "$mem_script_bytes")" "$target"
		fi
	done
	printf '%s\n' "(backends: peak minus the baseline backend's, ÷ the script's size; clients: peak ÷ size)"
	printf '\n'
	row "memory (time)" "SELECT mig_apply()" "$(secs mem/apply)" \
		"$(ratio "$(median "${samples[mem/apply]}")" "$(median "${samples[mem/psql]}")")" "one run each"
	row "" "psql -1 -f all.sql" "$(secs mem/psql)" "1.00" ""
	row "" "pgmig up" "$(secs mem/pgmig)" \
		"$(ratio "$(median "${samples[mem/pgmig]}")" "$(median "${samples[mem/psql]}")")" ""
	printf '\nset-up, one run each: pgmig up of %s revisions %.1f s, dbmate up of the same %.1f s;\n' \
		"$n_noop" "$(median "${samples[setup/noop_pgmig]}")" "$(median "${samples[setup/noop_dbmate]}")"
	printf 'mig_register() + mig_stamp(head) of %s revisions %.1f s\n' \
		"$n_status" "$(median "${samples[setup/status]}")"
}

print_table | tee "$work/results.txt"
for key in "${!samples[@]}"; do
	printf '%s %s\n' "$key" "${samples[$key]}"
done | sort >"$work/samples.txt"
