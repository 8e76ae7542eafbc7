#!/usr/bin/env bash
# Run fuzz targets one after the other, each for FUZZ_SECONDS, from the
# seed corpus (corpus/TARGET, read only) and the working corpus
# (build/corpus/TARGET, where new inputs go).  The fuzzer's output goes to
# build/TARGET.log; what is printed is its summary: executions, coverage
# (libFuzzer's cov: edges and ft: features), corpus size, and any crash
# with its report and the input that caused it (build/artifacts/TARGET/).
#
#   bash fuzz/run.sh [TARGET...]      (default: common split)
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_ARGS (more libFuzzer
# options, e.g. -max_len=8192).  Exit status 1 if any target crashed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(common split)
failed=()

for t in "${targets[@]}"; do
	bin=build/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "run: no fuzz target \"$t\" (built: $(ls build/fuzz_* 2>/dev/null | sed 's|build/fuzz_||' | tr '\n' ' '))" >&2
		failed+=("$t")
		continue
	fi
	mkdir -p "build/corpus/$t" "build/artifacts/$t"
	log=build/$t.log
	echo "== fuzz_$t: ${seconds}s (log: fuzz/$log)"
	# -timeout: an input that takes 10 s is a finding too (quadratic work)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-dict="$t.dict" -artifact_prefix="build/artifacts/$t/" \
		${FUZZ_ARGS:-} "build/corpus/$t" "corpus/$t" >"$log" 2>&1
	status=$?
	# the last status line: "#N DONE cov: X ft: Y corp: Z/..." (or the last pulse)
	grep -E '^#[0-9]+' "$log" | tail -n 1 | sed 's/^/   /'
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" | sed 's/^/   /'
	grep -E 'split against the grammar by psql' "$log" | sed 's/^/   /'
	if [ $status -ne 0 ]; then
		failed+=("$t")
		echo "   CRASH (exit status $status):"
		# from the first report line to the artifact's name
		sed -n '/property failed\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error\|ERROR: libFuzzer\|fuzz shim:/,$p' "$log" |
			head -n 40 | sed 's/^/   /'
		ls -t "build/artifacts/$t"/* 2>/dev/null | head -n 1 | sed 's/^/   input: fuzz\//'
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: findings or failures in: ${failed[*]}"
	exit 1
fi
echo "fuzz: no findings (${targets[*]}, ${seconds}s each)"
