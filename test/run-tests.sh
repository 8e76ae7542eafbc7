#!/usr/bin/env bash
# make test: install missing packages, build and install pgmig, then run
# every suite against throwaway PostgreSQL instances:
#
#   pg_regress     sql/*.sql, expected/*.out         (one test per file)
#   isolation      test/specs/*.spec, test/expected/  (one test per spec)
#   TAP            test/t/*.pl, PostgreSQL::Test::Cluster (one test per assertion)
#   deb            test/deb.sh: make deb, the packages installed, used and
#                  removed (as root only; one test per check; named "deb"
#                  for PGMIG_TEST_ONLY)
#
# Runs as root (servers and tests then run as the "postgres" OS user, since
# initdb refuses root) or as a user allowed to run initdb.  The tests run
# from a copy of sql/ expected/ test/ examples/ in a temporary directory
# under /tmp, so a clone the postgres user cannot read works too.  Logs and
# diffs are copied to tmp_check/.  The last line of output is always
# "N passed, N failed"; the exit status is non-zero if anything failed or a
# suite could not run.
#
# Environment: PG_CONFIG (default pg_config), PGMIG_TEST_PORT (port of the
# pg_regress/isolation instance, default 55432), PGMIG_TEST_JOBS (parallel
# TAP files, default 1), PGMIG_TEST_INSTALL=temp (install into a private
# copy of the server under the stage instead of the system's, so that
# several trees can be tested at once), PGMIG_TEST_ONLY (a regular
# expression: run only the tests whose names match it).  TAP tests get PGMIG_SRCDIR, the staged copy of
# the source tree (sql/ expected/ test/ examples/).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

checkdir=$repo/tmp_check		# logs and diffs, kept for inspection
stage=""						# temporary copy the tests run from
bindir=""
total_pass=0
total_fail=0
summary=()						# one line per suite
finished=0						# set once every suite has run

say() { printf '%s\n' "$*"; }
heading() { printf '\n== %s ==\n' "$*"; }
die() {
	printf 'run-tests: %s\n' "$*" >&2
	exit 1
}

# record SUITE PASSED FAILED [NOTE]: add a suite's counts to the totals.
record() {
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	summary+=("$(printf '%-12s %4d passed, %4d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
}

# as_pg, instance_start, instance_stop
. "$repo/test/instance.sh"

# Stop every server whose data directory lies in the stage: the
# pg_regress/isolation instance and any node a TAP test left behind.
stop_servers() {
	[ -n "$stage" ] && [ -d "$stage" ] || return 0
	local pidfile datadir pid
	while IFS= read -r pidfile; do
		datadir=$(dirname "$pidfile")
		pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
		if ! as_pg "$bindir/pg_ctl" -D "$datadir" -m immediate -w -t 30 stop >/dev/null 2>&1; then
			[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
		fi
	done < <(find "$stage" -name postmaster.pid 2>/dev/null)
}

# Copy logs, diffs and results from the stage into tmp_check/.
collect_logs() {
	[ -n "$stage" ] && [ -d "$stage" ] || return 0
	local f
	for f in initdb.log server.log pg_regress.out isolation.out tap.out regress isolation; do
		[ -e "$stage/$f" ] && cp -r "$stage/$f" "$checkdir/" 2>/dev/null || true
	done
	if [ -d "$stage/test/tmp_check/log" ]; then
		mkdir -p "$checkdir/tap"
		cp -r "$stage/test/tmp_check/log/." "$checkdir/tap/" 2>/dev/null || true
	fi
}

# On any exit (success, failure, error, Ctrl-C): no server is left running,
# logs are kept, and the last line is the totals.
on_exit() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	stop_servers
	collect_logs
	if [ "$finished" -ne 1 ]; then
		record "aborted" 0 1 "stopped before every suite ran, exit status $rc"
	fi
	heading "summary"
	printf '%s\n' "${summary[@]}"
	if [ -n "$stage" ] && [ -d "$stage" ]; then
		if [ "$total_fail" -eq 0 ] && [ "$rc" -eq 0 ]; then
			rm -rf "$stage"
		else
			say "logs and diffs: $checkdir/ (test tree kept in $stage)"
		fi
	fi
	say "$total_pass passed, $total_fail failed"
	if [ "$rc" -ne 0 ]; then
		exit "$rc"
	fi
	[ "$total_fail" -eq 0 ] || exit 1
	exit 0
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
heading "dependencies"
bash test/deps.sh

PG_CONFIG=${PG_CONFIG:-pg_config}
command -v "$PG_CONFIG" >/dev/null 2>&1 || die "$PG_CONFIG not found; set PG_CONFIG to the pg_config of the server to test against"
export PG_CONFIG
bindir=$("$PG_CONFIG" --bindir)
pgxs_src=$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")	# .../lib/pgxs/src
pg_regress=$pgxs_src/test/regress/pg_regress
pg_isolation_regress=$pgxs_src/test/isolation/pg_isolation_regress
perl_lib=$pgxs_src/test/perl
for f in "$pg_regress" "$pg_isolation_regress" "$perl_lib/PostgreSQL/Test/Cluster.pm"; do
	[ -e "$f" ] || die "$f not found (is the server-dev package of $("$PG_CONFIG" --version) installed?)"
done
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || die "there is no \"postgres\" OS user to run the servers as (it comes with the PostgreSQL server package)"
fi

make -s clean >/dev/null 2>&1 || true
rm -rf "$checkdir"
mkdir -p "$checkdir"

# ---------------------------------------------------------------------------
heading "build and install"
# Warnings are errors here (as in PostgreSQL's build farm), and the code's
# Assert()s are checked: the server need not be an --enable-cassert build
# for an extension's own assertions to work.  The build is a clean one
# (made above), so that every object is built so.
if ! make -s COPT="-Werror -DUSE_ASSERT_CHECKING" >"$checkdir/build.log" 2>&1; then
	cat "$checkdir/build.log" >&2
	die "make failed (log: tmp_check/build.log)"
fi
# The stage: a copy of the test inputs that the postgres user owns.
stage=$(mktemp -d /tmp/pgmig-test.XXXXXX)
if [ "${PGMIG_TEST_INSTALL:-system}" = temp ]; then
	# A private copy of the server with pgmig installed into it, as
	# PostgreSQL's own "make check" does (the binaries find their share and
	# lib directories relative to themselves): several trees can then be
	# tested at once without overwriting each other's installation.
	inst=$stage/install
	for d in "$bindir" "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)"; do
		mkdir -p "$inst$(dirname "$d")"
		cp -a "$d" "$inst$(dirname "$d")/"
	done
	if ! make -s install DESTDIR="$inst" PATH_BINDIR=/usr/local/bin >"$checkdir/install.log" 2>&1; then
		cat "$checkdir/install.log" >&2
		die "make install failed (log: tmp_check/install.log)"
	fi
	bindir=$inst$bindir
	say "built and installed into a private copy of the server in $inst"
else
	if ! make -s install >"$checkdir/install.log" 2>&1; then
		cat "$checkdir/install.log" >&2
		die "make install failed (log: tmp_check/install.log)"
	fi
	say "built and installed into $("$PG_CONFIG" --pkglibdir) and $bindir"
fi
# META.json (PGXN) agrees with the spec and with the tree
if ! perl test/check-meta.pl . "$("$PG_CONFIG" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')"; then
	die "META.json is wrong (see above)"
fi
say "META.json agrees with the PGXN spec, the control file and the tree"
# make uninstall takes back everything make install puts down, the PATH
# link included: checked in a staging directory of its own
uninst=$stage/uninstall-check
if ! { make -s install DESTDIR="$uninst" && make -s uninstall DESTDIR="$uninst"; } \
	>"$checkdir/uninstall.log" 2>&1; then
	cat "$checkdir/uninstall.log" >&2
	die "make install/uninstall into $uninst failed (log: tmp_check/uninstall.log)"
fi
left=$(find "$uninst" \( -type f -o -type l \) -print)
[ -z "$left" ] || die "make uninstall left files behind: $left"
rm -rf "$uninst"
say "make uninstall removes everything make install put down"
for d in sql expected test examples; do
	if [ -d "$d" ]; then cp -r "$d" "$stage/"; fi
done
# the man page and the completions, which TAP tests read
mkdir -p "$stage/cli"
cp cli/pgmig.1 cli/pgmig.bash cli/_pgmig "$stage/cli/"
# the schemas of the --json outputs
cp -r json-schema "$stage/"
rm -rf "$stage/test/tmp_check"		# a developer's leftovers, if any
mkdir -p "$stage/sock"
if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres:postgres "$stage"
fi
cd "$stage"		# the postgres user may not be able to enter the clone

# ---------------------------------------------------------------------------
# The instance for pg_regress and isolation.
port=${PGMIG_TEST_PORT:-55432}
sockdir=$stage/sock
heading "instance"
# pgmig.check_map: every update of drift tracking's map is checked
# pgmig.check_catalog: every plan from the recent revisions is checked against the whole catalog
instance_start "$stage" "$port" fsync=off pgmig.check_map=on pgmig.check_catalog=on || die "the test server did not start"
say "PostgreSQL $("$PG_CONFIG" --version | sed 's/^PostgreSQL //') on socket $sockdir, port $port"

# Count a pg_regress-style log: prints "PASSED FAILED".  PG15 and older
# print "test foo ... ok 12 ms" (or "     foo ... FAILED" in a parallel
# group); PG16 and newer print "ok 1 - foo 12 ms" / "not ok 1 - foo".
count_regress_log() {
	awk '
		/^(test[ \t]+)?[ \t]*[^ \t]+[ \t]+\.\.\.[ \t]+ok([ \t]|$)/ { p++; next }
		/^(test[ \t]+)?[ \t]*[^ \t]+[ \t]+\.\.\.[ \t]+(FAILED|failed)/ { f++; next }
		/^ok[ \t]+[0-9]+[ \t]+[-+][ \t]/ { p++; next }
		/^not ok[ \t]+[0-9]+[ \t]+[-+][ \t]/ { f++; next }
		END { print p + 0, f + 0 }' "$1"
}

# run_regress SUITE PROGRAM INPUTDIR OUTDIR DBNAME TEST...: run one
# pg_regress-style suite against the instance and record its counts.
run_regress() {
	local suite=$1 prog=$2 inputdir=$3 outdir=$4 dbname=$5
	shift 5
	local ntests=$# rc passed failed note=""
	as_pg mkdir -p "$outdir"
	set +e
	as_pg "$prog" --bindir="$bindir" --host="$sockdir" --port="$port" \
		--inputdir="$inputdir" --outputdir="$outdir" --dbname="$dbname" \
		"$@" 2>&1 | tee "$stage/$suite.out"
	rc=${PIPESTATUS[0]}
	set -e
	read -r passed failed < <(count_regress_log "$stage/$suite.out")
	# A test not reported as passing is a failure, whatever the reason (the
	# program could not connect, crashed, or printed something unexpected).
	if [ $((passed + failed)) -ne "$ntests" ] || { [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
		failed=$((ntests - passed))
		[ "$failed" -gt 0 ] || failed=1
		note="$(basename "$prog") exited with status $rc"
	fi
	if [ -s "$outdir/regression.diffs" ] && [ "$failed" -gt 0 ]; then
		say "---- $outdir/regression.diffs ----"
		cat "$outdir/regression.diffs"
		say "---- end of regression.diffs ----"
	fi
	record "$suite" "$passed" "$failed" "$note"
}

# record_totals SUITE OUT TAG RC PROGRAM IFNONE: record the counts of the
# last "TAG passed=N failed=N" line in OUT, which PROGRAM printed before
# it exited with status RC; with no such line, IFNONE failures.  A
# non-zero status with no failure counted is one failure.
record_totals() {
	local suite=$1 out=$2 tag=$3 rc=$4 prog=$5 ifnone=$6 totals passed failed note=""
	totals=$(grep "^$tag " "$out" | tail -n 1 || true)
	if [ -z "$totals" ]; then
		record "$suite" 0 "$ifnone" "$prog gave no totals, exit status $rc"
		return
	fi
	passed=$(sed 's/.* passed=\([0-9]*\).*/\1/' <<<"$totals")
	failed=$(sed 's/.* failed=\([0-9]*\).*/\1/' <<<"$totals")
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
		note="$prog exited with status $rc"
	fi
	record "$suite" "$passed" "$failed" "$note"
}

# run_tap TEST...: run test/t/TEST.pl through tap-runner.pl, with the
# environment PostgreSQL::Test::Cluster expects, and record its totals.
run_tap() {
	local t rc
	local tap_files=()
	for t in "$@"; do tap_files+=("t/$t.pl"); done
	set +e
	as_pg env \
		PATH="$bindir:$PATH" \
		PERL5LIB="$perl_lib:$stage/test/lib${PERL5LIB:+:$PERL5LIB}" \
		PG_REGRESS="$pg_regress" \
		TESTDIR="$stage/test" \
		PGMIG_SRCDIR="$stage" \
		bash -c 'cd "$TESTDIR" && exec perl tap-runner.pl "$@"' tap-runner \
		-j "${PGMIG_TEST_JOBS:-1}" "${tap_files[@]}" 2>&1 | tee "$stage/tap.out"
	rc=${PIPESTATUS[0]}
	set -e
	record_totals TAP "$stage/tap.out" TAP-TOTALS "$rc" tap-runner.pl "$#"
}

# run_suite SUITE DIR EXT COMMAND...: run COMMAND with the names of the
# tests in DIR/*.EXT (sorted) appended, or note that there are none.
run_suite() {
	local suite=$1 dir=$2 ext=$3 tests
	shift 3
	heading "$suite (${dir#"$stage"/}/)"
	mapfile -t tests < <(
		[ -d "$dir" ] || exit 0
		find "$dir" -maxdepth 1 -type f -name "*.$ext" -printf '%f\n' |
			LC_ALL=C sort | sed "s/\.$ext\$//" |
			{ if [ -n "${PGMIG_TEST_ONLY:-}" ]; then grep -E -- "$PGMIG_TEST_ONLY" || true; else cat; fi; }
	)
	if [ ${#tests[@]} -eq 0 ]; then
		say "no *.$ext files in ${dir#"$stage"/}/, skipped"
		record "$suite" 0 0 "no tests"
		return
	fi
	"$@" "${tests[@]}"
}

# ---------------------------------------------------------------------------
run_suite pg_regress "$stage/sql" sql \
	run_regress pg_regress "$pg_regress" "$stage" "$stage/regress" pgmig_regress
run_suite isolation "$stage/test/specs" spec \
	run_regress isolation "$pg_isolation_regress" "$stage/test" "$stage/isolation" pgmig_isolation

# The TAP tests make their own nodes; this instance is done.
as_pg "$bindir/pg_ctl" -D "$stage/data" -m fast -w stop >/dev/null

run_suite TAP "$stage/test/t" pl run_tap

# run_deb: build, install, use and remove the Debian packages
# (test/deb.sh), and record its checks.  Last, because installing the
# packages replaces the extension's files in the system's PostgreSQL for a
# moment (deb.sh saves and restores them).
run_deb() {
	local rc out=$stage/deb.out
	heading "deb (make deb, apt-get install, use, apt-get purge)"
	mkdir -p "$stage/deb-test"
	set +e
	(cd "$repo" && bash test/deb.sh "$stage/deb-test" "$port") 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	mkdir -p "$checkdir/deb"
	cp "$stage"/deb-test/*.log "$checkdir/deb/" 2>/dev/null || true
	if grep -q '^DEB-SKIP ' "$out"; then
		record "deb" 0 0 "skipped: $(sed -n 's/^DEB-SKIP //p' "$out")"
		return
	fi
	record_totals deb "$out" DEB-TOTALS "$rc" test/deb.sh 1
}
if [ -z "${PGMIG_TEST_ONLY:-}" ] || grep -qE -- "$PGMIG_TEST_ONLY" <<<deb; then
	run_deb
fi

finished=1
