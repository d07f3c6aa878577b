#!/usr/bin/env bash
# make bench: every benchmark and its baseline in one run, on one core, printed as one table; then,
# when FLUENT_BIT names a fluent-bit binary, the measurement in a real Fluent Bit (bench-fluent-bit.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
	# Every package's benchmarks built with the plugin's profile, as the .so is (make pgo).
	go test -pgo="$PWD/plugin/default.pgo" -run '^$' -bench . -benchtime "${BENCHTIME:-2s}" -cpu 1 \
		./plugin ./pipeline ./deliver ./cef ./record
	go test -run '^$' -bench HostPath -benchtime 1x -cpu 1 ./test/e2e
} | tee "$out" >&2

model=$(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)
echo
echo "machine: ${model:-unknown CPU}, $(nproc) cores, $(go env GOOS)/$(go env GOARCH), $(go version | awk '{print $3}'); benchmarks on one core (-cpu 1)"
echo
awk '
/^Benchmark/ {
	name = $1
	for (i = 3; i < NF; i += 2) v[name, $(i + 1)] = $i
	if (((name, "allocs/op") in v) && ((name, "ns/event") in v) && !((name, "allocs/event") in v) && v[name, "ns/op"] > 0)
		v[name, "allocs/event"] = v[name, "allocs/op"] * v[name, "ns/event"] / v[name, "ns/op"]
	names[++n] = name
}
function f(name, unit, fmt) { return ((name, unit) in v) ? sprintf(fmt, v[name, unit]) : "-" }
END {
	printf "| %-44s | %12s | %9s | %12s | %9s | %13s | %9s |\n", "benchmark", "events/s", "ns/event", "allocs/event", "MB/s", "peak RSS MiB", "received"
	printf "|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------------", "--------------:", "----------:", "--------------:", "----------:", "--------------:", "----------:"
	for (i = 1; i <= n; i++) {
		m = names[i]
		if (!((m, "events/s") in v)) continue
		printf "| %-44s | %12s | %9s | %12s | %9s | %13s | %9s |\n", m, f(m, "events/s", "%.0f"), f(m, "ns/event", "%.1f"),
			f(m, "allocs/event", "%.3f"), f(m, "MB/s", "%.1f"), f(m, "peak-RSS-MiB", "%.1f"), f(m, "%received", "%.1f%%")
	}
	p = v["BenchmarkPipeline", "events/s"]; base = v["BenchmarkBaselineFluentBitGoDecoder", "events/s"]
	fl = v["BenchmarkFlushTCP", "events/s"]; wr = v["BenchmarkBaselineWriteTCP", "events/s"]
	print ""
	if (base > 0) printf "(a) decode+map+encode: %.1fx the events/s of fluent-bit-go'"'"'s decoder alone (target: 5x, 1,000,000 events/s, 0 allocs/event)\n", p / base
	if (p > 0) printf "(b) whole flush over TCP: %.0f%% of (a) (target: 70%%); writing the pre-encoded bytes alone: %.0f events/s\n", 100 * fl / p, wr
	for (i = 1; i <= n; i++) if (names[i] ~ /HostPath\/tcp\/1000000/) printf "(c) through the host and the .so over TCP: %.0f events/s (target: 600,000), peak RSS %.1f MiB (target: under 64)\n", v[names[i], "events/s"], v[names[i], "peak-RSS-MiB"]
}' "$out"

if [ -n "${FLUENT_BIT:-}" ]; then
	echo
	scripts/bench-fluent-bit.sh
fi
