#!/usr/bin/env bash
# test/deb.sh: build pgmig's Debian packages with "make deb", install them
# with apt-get, use them (CREATE EXTENSION in a fresh instance, the
# example project's migrations with the packaged client, the manual page,
# the completion), then remove them.  test/run-tests.sh runs it last, as
# root, from the top of the tree.
#
#   bash test/deb.sh DIR PORT
#
# DIR is an empty scratch directory (the packages, an instance, a copy of
# examples/shop); PORT is the instance's.  Prints "ok N - what" or "not ok
# N - what" for each check, then "DEB-TOTALS passed=N failed=N"; or only
# "DEB-SKIP reason" when the packages cannot be tested here.
#
# The extension's package puts its files where "make install" puts them
# (/usr/lib/postgresql/NN/lib, /usr/share/postgresql/NN/extension), and
# dpkg overwrites files that no package owns, then deletes them on
# removal.  So the files of the packages that are on the system beforehand
# (make test's own install, or a user's) are saved first and put back once
# the packages are gone, whatever happens in between.
set -uo pipefail
# what dpkg, and restore() below, create is for everyone to read
umask 022

dir=$1
port=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)		# the system's server, the package's target
major=$("$PG_CONFIG" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" extension/pgmig.control)
packages=(pgmig "postgresql-$major-pgmig")

# as_pg, instance_start, instance_stop
. "$repo/test/instance.sh"

n=0
passed=0
failed=0
installed=0			# set while the packages may be on the system
files=()			# the packages' files (not directories), absolute
saved=$dir/saved	# the system's copies of them, by their paths

# ok CONDITION-STATUS WHAT: report one check.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# check WHAT COMMAND...: report whether COMMAND succeeds.
check() {
	local what=$1 rc=0
	shift
	"$@" || rc=$?
	ok "$rc" "$what"
}

skip() {
	echo "DEB-SKIP $*"
	exit 0
}

# apt-get, waiting for another apt-get or dpkg rather than failing on it
apt() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@" </dev/null
}

# restore: put back the system's copies of the packages' files, once;
# false if one of them is not as it was.
restored=0
restore() {
	local f rc=0
	[ "$restored" -eq 0 ] && [ -d "$saved" ] || return 0
	restored=1
	for f in "${files[@]}"; do
		[ -e "$saved$f" ] || [ -L "$saved$f" ] || continue
		mkdir -p "$(dirname "$f")"
		if ! cp -a "$saved$f" "$f" || ! cmp -s "$saved$f" "$f"; then
			echo "# not restored: $f (saved in $saved$f)"
			rc=1
		fi
	done
	return "$rc"
}

# On every exit: stop the instance, remove the packages if they may be
# installed, and restore the system's files.
cleanup() {
	local rc=$?
	set +e
	instance_stop "$dir/instance"
	if [ "$installed" -eq 1 ]; then
		apt purge "${packages[@]}" >>"$dir/purge.log" 2>&1
	fi
	restore || rc=1
	exit "$rc"
}

# as_pg_psql SQL: run SQL in the instance's "shop" database, unaligned,
# tuples only.
as_pg_psql() {
	as_pg "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$dir/instance/sock" \
		-p "$port" -d shop -c "$1"
}

# as_pg_pgmig ARG...: the packaged client in the copy of the example
# project, connected to the instance's "shop" database; its output goes to
# client.log, and is shown if it fails.
as_pg_pgmig() {
	local rc=0
	echo "\$ pgmig $*" >>"$dir/client.log"
	as_pg env PGHOST="$dir/instance/sock" PGPORT="$port" PGDATABASE=shop \
		bash -c 'cd "$1" && shift && exec /usr/bin/pgmig "$@"' pgmig "$dir/shop" "$@" \
		>>"$dir/client.log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || tail -n 20 "$dir/client.log"
	return "$rc"
}

[ "$(id -u)" -eq 0 ] || skip "installing a package needs root"
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ]; then
		skip "the package $p is installed on this machine; it is not replaced"
	fi
done

# ---------------------------------------------------------------------------
# Build.  First, a changelog of another version than the control file's is
# refused (the control file's version is made another here).
check "make deb refuses a debian/changelog of another version" \
	grep -q 'debian/changelog has version .*, but the control file.s default_version is 0.0.1' \
	<(make -s deb PGMIG_VERSION=0.0.1 DEBDIR="$dir/refused" 2>&1)
check "... and builds nothing" test ! -e "$dir/refused"
rc=0
make -s deb DEBDIR="$dir/deb" >"$dir/build.log" 2>&1 || rc=$?
ok "$rc" "make deb builds the packages (log: build.log)"
[ "$rc" -eq 0 ] || { tail -n 30 "$dir/build.log"; echo "DEB-TOTALS passed=$passed failed=$failed"; exit 1; }
debs=()
for p in "${packages[@]}"; do
	f=$(ls "$dir/deb/${p}_${version}-"*.deb 2>/dev/null | head -n 1)
	check "make deb made $p of version $version" test -n "$f"
	[ -n "$f" ] && debs+=("$f")
done
if [ ${#debs[@]} -ne ${#packages[@]} ]; then
	echo "DEB-TOTALS passed=$passed failed=$failed"
	exit 1
fi
check "make deb removed its copy of the tree" test ! -d "$dir/deb/pgmig-$version"

# The packages' files, and the system's copies of those it has.
for deb in "${debs[@]}"; do
	while IFS= read -r f; do
		case $f in */) ;; *) files+=("${f#.}") ;; esac
	done < <(dpkg-deb --fsys-tarfile "$deb" | tar -t)
done
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$saved"
for f in "${files[@]}"; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		mkdir -p "$saved$(dirname "$f")"
		cp -a "$f" "$saved$f"
	fi
done
echo "# saved the system's copies of $(find "$saved" ! -type d | wc -l) of the packages' ${#files[@]} files"
# The modes of the system's directories that hold them, and of their
# parents: installing and removing must leave them as they are (a /usr
# left at 0700 would lock every other user out).
dir_modes() {
	local f d
	for f in "${files[@]}"; do
		d=$(dirname "$f")
		while [ "$d" != / ]; do
			[ -d "$d" ] && echo "$d"
			d=$(dirname "$d")
		done
	done | sort -u | while IFS= read -r d; do stat -c '%a %U:%G %n' "$d"; done
}
dir_modes >"$dir/modes.before"

# ---------------------------------------------------------------------------
# Install.  The window in which the system has the packages' files is kept
# short: the instance and the project are made first.
mkdir -p "$dir/instance/sock"
cp -r examples/shop "$dir/shop"
chown -R postgres:postgres "$dir/instance" "$dir/shop"
check "a fresh instance of the system's PostgreSQL $major starts" \
	instance_start "$dir/instance" "$port"
check "createdb shop" \
	as_pg "$bindir/createdb" -h "$dir/instance/sock" -p "$port" shop

installed=1
since=$SECONDS
rc=0
apt install "${debs[@]}" >"$dir/install.log" 2>&1 || rc=$?
ok "$rc" "apt-get install ./pgmig_*.deb ./postgresql-$major-pgmig_*.deb (log: install.log)"
[ "$rc" -eq 0 ] || tail -n 30 "$dir/install.log"

for p in "${packages[@]}"; do
	check "dpkg has $p installed" \
		test "$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)" = "install ok installed $version-1"
done
missing=0
for f in "${files[@]}"; do
	[ -e "$f" ] || { echo "# missing: $f"; missing=1; }
done
ok "$missing" "every file of the packages is on the system"
check "dpkg --verify: they are the packages' own" \
	test -z "$(dpkg --verify "${packages[@]}" 2>&1)"
check "the client is /usr/bin/pgmig, from the package pgmig" \
	test "$(dpkg-query -S /usr/bin/pgmig 2>/dev/null)" = "pgmig: /usr/bin/pgmig"
check "pgmig --version says $version" \
	grep -q -- " $version\$" <(/usr/bin/pgmig --version)

check "CREATE EXTENSION pgmig" as_pg_psql "CREATE EXTENSION pgmig"
check "the extension and its library are version $version" \
	test "$(as_pg_psql "SELECT extversion || ' ' || pgmig.library_version() FROM pg_extension WHERE extname = 'pgmig'")" = "$version $version"
check "the packaged client applies the example project's migrations (pgmig up; log: client.log)" \
	as_pg_pgmig up
check "every migration of the example project is applied" \
	test "$(as_pg_psql "SELECT count(*) FROM pgmig.schema_migrations WHERE state = 'complete'")" = \
	"$(ls examples/shop/migrations | wc -l)"
check "the migrations made the example's tables" \
	test "$(as_pg_psql "SELECT count(*) FROM pg_class WHERE relname IN ('customers', 'orders')")" = 2
check "pgmig status reads the catalog" as_pg_pgmig status
check "pgmig down -1 reverts one" as_pg_pgmig down -1
instance_stop "$dir/instance"

# Docker's slim images keep dpkg from unpacking manual pages.
if grep -qs '^path-exclude=/usr/share/man/' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then
	echo "# dpkg is set to leave out manual pages here: man pgmig not checked"
else
	check "man finds pgmig(1) in /usr/share/man" \
		grep -qx /usr/share/man/man1/pgmig.1.gz <(man -aw pgmig 2>/dev/null)
fi
check "bash-completion's file completes pgmig" \
	grep -q ' pgmig$' <(bash -c '. /usr/share/bash-completion/completions/pgmig && complete -p pgmig')
check "zsh's fpath has the completion _pgmig" \
	grep -qx /usr/share/zsh/vendor-completions/_pgmig <(zsh -fc 'print -l ${^fpath}/_pgmig(N)')

# ---------------------------------------------------------------------------
# Remove.
rc=0
apt purge "${packages[@]}" >"$dir/purge.log" 2>&1 || rc=$?
ok "$rc" "apt-get purge pgmig postgresql-$major-pgmig (log: purge.log)"
installed=0
echo "# the packages were installed for $((SECONDS - since)) s"
for p in "${packages[@]}"; do
	check "dpkg no longer has $p" \
		test -z "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep ' installed$')"
done
left=0
for f in "${files[@]}"; do
	[ -e "$f" ] || [ -L "$f" ] && { echo "# left behind: $f"; left=1; }
done
ok "$left" "every file of the packages is gone"
check "the system's own copies of the packages' files are back" restore
dir_modes >"$dir/modes.after"
changed=$(diff "$dir/modes.before" "$dir/modes.after" | grep '^<' || true)
check "the system's directories keep their modes and owners" test -z "$changed"
if [ -n "$changed" ]; then
	echo "$changed" | sed 's/^< /# was: /'
	# put them back, so that one failed check does not break the machine
	echo "$changed" | while read -r _ mode owner d; do
		chmod "$mode" "$d"
		chown "$owner" "$d"
	done
fi

echo "DEB-TOTALS passed=$passed failed=$failed"
[ "$failed" -eq 0 ]
