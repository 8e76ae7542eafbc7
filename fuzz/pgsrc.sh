#!/usr/bin/env bash
# Fetch the parts of PostgreSQL's source that the splitter's fuzz target
# compiles (the core scanner and grammar, node functions, mbutils, src/common,
# src/port) into DIR, from Debian's source package of the installed major
# version.  The release tarball carries the generated scan.c and gram.c, so
# neither flex nor bison is needed.  Nothing of the system's apt setup is
# touched: the package lists live under DIR's parent.
#
#   bash fuzz/pgsrc.sh DIR        (PG_CONFIG picks the PostgreSQL)
set -euo pipefail

dir=${1:?usage: pgsrc.sh DIR}
PG_CONFIG=${PG_CONFIG:-pg_config}
major=$("$PG_CONFIG" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
[ -n "$major" ] || { echo "pgsrc: cannot read the version from $PG_CONFIG" >&2; exit 1; }

# what is extracted; with all of it there, there is nothing to do
members=(src/backend/parser src/backend/nodes src/backend/utils/mb/mbutils.c
	src/backend/utils/mb/wstrncmp.c src/common src/port src/fe_utils/psqlscan.l)
complete=yes
for m in "${members[@]}"; do
	[ -e "$dir/$m" ] || complete=no
done
if [ $complete = yes ]; then
	echo "pgsrc: $(cat "$dir/VERSION" 2>/dev/null || echo "$dir") (the installed headers are $("$PG_CONFIG" --version))"
	exit 0
fi

cache=$(cd "$(dirname "$dir")" 2>/dev/null && pwd || true)
[ -n "$cache" ] || { mkdir -p "$(dirname "$dir")"; cache=$(cd "$(dirname "$dir")" && pwd); }
apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/sources" "$apt/archives/partial" "$cache/download"
cat >"$apt/sources/pgsrc.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources"
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt" -o Debug::NoLocking=1)

log=$apt/apt.log
if ! ls "$cache/download"/postgresql-"$major"_*.orig.tar.* >/dev/null 2>&1; then
	echo "pgsrc: fetching Debian's source of postgresql-$major (log: $log)"
	if ! apt-get "${opts[@]}" update >"$log" 2>&1; then
		cat "$log" >&2
		echo "pgsrc: apt-get update of the deb-src list failed" >&2
		exit 1
	fi
	if ! (cd "$cache/download" && apt-get "${opts[@]}" source --download-only "postgresql-$major") >>"$log" 2>&1; then
		cat "$log" >&2
		echo "pgsrc: apt-get source postgresql-$major failed" >&2
		exit 1
	fi
fi
tarball=$(ls -t "$cache/download"/postgresql-"$major"_*.orig.tar.* | head -n 1)
# the tarball's top folder, postgresql-X.Y (tar ends on SIGPIPE here)
top=$({ tar -tf "$tarball" || true; } | head -n 1 | cut -d/ -f1)

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
tar -xf "$tarball" -C "$dir.tmp" --strip-components=1 "${members[@]/#/$top/}"
echo "$top" >"$dir.tmp/VERSION"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "pgsrc: $top in $dir (the installed headers are $("$PG_CONFIG" --version))"
