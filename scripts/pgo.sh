#!/usr/bin/env bash
# make pgo: writes plugin/default.pgo, the CPU profile `go build` optimises the plugin with
# (profile-guided optimisation: what is inlined on the hot path, and how its code is laid out).
# The profile is of the benchmarks of the KCS process event (BenchmarkPipeline) and of every
# sensor's events (BenchmarkRun), on one core, built without a profile. Write it again after a
# large change of the hot path: a stale profile costs only its gain, never correctness.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -pgo=off -run '^$' -bench '^BenchmarkPipeline$' -benchtime 3s -cpu 1 \
	-cpuprofile "$tmp/kcs.prof" -o "$tmp/plugin.test" ./plugin >/dev/null
go test -pgo=off -run '^$' -bench '^BenchmarkRun$' -benchtime 1s -cpu 1 \
	-cpuprofile "$tmp/sensors.prof" -o "$tmp/pipeline.test" ./pipeline >/dev/null
go tool pprof -proto "$tmp/kcs.prof" "$tmp/sensors.prof" >"$tmp/default.pgo"
mv "$tmp/default.pgo" plugin/default.pgo
echo "plugin/default.pgo: $(wc -c <plugin/default.pgo) bytes"
