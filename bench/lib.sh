# bench/lib.sh: what the benchmark scripts share.  Source it with $repo
# set to the clone's root.

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

# as_pg, instance_start, instance_stop
. "$repo/test/instance.sh"
