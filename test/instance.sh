# test/instance.sh: throwaway PostgreSQL instances for the project's own
# scripts (test/run-tests.sh, examples/demo.sh, bench/run.sh).  Source it;
# the functions use $bindir, the server's bin directory, when called.

# as_pg COMMAND...: run as the postgres OS user when we are root (initdb
# and the server refuse root), else as ourselves.
if [ "$(id -u)" -eq 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

# instance_start DIR PORT [SERVER SETTING...]: initdb DIR/data and start
# it listening only on a unix socket in DIR/sock, with "-c SETTING" for
# each setting; logs go to DIR/initdb.log and DIR/server.log.  On failure,
# prints the log and what failed, and returns 1.
instance_start() {
	local dir=$1 port=$2 opts="" setting
	shift 2
	for setting in "$@"; do opts+=" -c $setting"; done
	if ! as_pg "$bindir/initdb" -D "$dir/data" -A trust -E UTF8 --no-locale -N \
		>"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		echo "initdb failed" >&2
		return 1
	fi
	if ! as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir/sock -c listen_addresses='' -p $port$opts" start >/dev/null; then
		cat "$dir/server.log" >&2
		echo "the server did not start" >&2
		return 1
	fi
}

# instance_stop DIR: stop the instance in DIR/data, if it runs; kill it if
# it will not stop.
instance_stop() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	as_pg "$bindir/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 ||
		kill -KILL "$(head -n 1 "$1/data/postmaster.pid")" 2>/dev/null
}
