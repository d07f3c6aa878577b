#!/usr/bin/env bash
# make instructions: the instructions the project's own code executes per event (and memmove/memclr,
# which it calls to copy), for BenchmarkPipeline and each BenchmarkRun shape, counted with valgrind's
# cachegrind: exact whatever the machine's load, where a timing on a shared VM moves by half. Each
# benchmark runs twice, LOW and HIGH ops, under GOGC=off; the difference of the two counts over the
# difference of the events cancels the set-up and warm-up runs. The code alone is counted (-pgo=off),
# or as the plugin is built with PGO=1. Compare two commits by running this in a worktree of each.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null || ! command -v cg_annotate >/dev/null; then
	echo "instructions: needs valgrind (apt-get install -y valgrind)" >&2
	exit 1
fi
pgo=off built="the code alone, -pgo=off"
if [ "${PGO:-0}" = 1 ]; then
	pgo="$PWD/plugin/default.pgo" built="as the plugin is built, with plugin/default.pgo"
fi
LOW=${LOW:-20}
HIGH=${HIGH:-120}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -pgo="$pgo" -o "$tmp/plugin.test" ./plugin
go test -c -pgo="$pgo" -o "$tmp/pipeline.test" ./pipeline

# count DIR TEST BENCH OPS: the project's instructions in one run of BENCH for OPS ops; the events
# of one op (the benchmark's ns/op over its ns/event) go to $tmp/events.
count() {
	local out="$tmp/cg.out"
	(cd "$1" && GOGC=off valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" \
		"$2" -test.run '^$' -test.bench "$3" -test.benchtime "$4x" -test.cpu 1 2>/dev/null) |
		awk '/^Benchmark/ { for (i = 2; i < NF; i++) { if ($(i+1) == "ns/op") op = $i; if ($(i+1) == "ns/event") ev = $i } }
			END { if (ev > 0) printf "%.0f\n", op / ev }' >"$tmp/events"
	cg_annotate "$out" | awk '/siem-cef|runtime\.memmove|runtime\.memclr/ { x = $1; gsub(",", "", x); s += x } END { printf "%.0f\n", s }'
}

printf '| benchmark | instructions/event |\n|---|---:|\n'
measure() { # DIR TEST BENCH NAME
	local lo hi events
	lo=$(count "$1" "$2" "$3" "$LOW")
	hi=$(count "$1" "$2" "$3" "$HIGH")
	events=$(cat "$tmp/events")
	if [ -z "$events" ] || [ "$events" -le 0 ]; then
		echo "instructions: $4 reported no ns/event" >&2
		exit 1
	fi
	printf '| %s | %.0f |\n' "$4" "$(awk -v a="$lo" -v b="$hi" -v n="$events" -v d=$((HIGH - LOW)) 'BEGIN { print (b - a) / (n * d) }')"
}
measure plugin "$tmp/plugin.test" '^BenchmarkPipeline$' BenchmarkPipeline
for sub in kcs plain-line falco falco-in-log falco-merged tetragon tetragon-probe tracee tracee-forward; do
	measure pipeline "$tmp/pipeline.test" "^BenchmarkRun/$sub\$" "BenchmarkRun/$sub"
done
echo
echo "($built; GOGC=off; the project's functions with runtime.memmove/memclr; $HIGH ops less $LOW)"
