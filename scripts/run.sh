#!/usr/bin/env bash
# make run: the sample events through the plugin to a local SIEM receiver, which prints what it got.
# The plugin runs in the real Fluent Bit when one is found ($FLUENT_BIT, fluent-bit on PATH, or
# /opt/fluent-bit/bin/fluent-bit, where Fluent Bit's packages put it), else in the project's host
# program, which loads it the same way. EVENTS names another JSON-lines file of events.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
events=$(realpath "${EVENTS:-test/fixtures/events.jsonl}")
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

count=$(grep -c . "$events")
"$build/siem-cef" listen --tcp 127.0.0.1:0 --count "$count" --timeout 60s 2>"$work/listen.log" &
listener=$!
pids+=("$listener")
addr=
for _ in $(seq 100); do
	addr=$(awk '$1 == "listening" && $2 == "tcp" {print $3}' "$work/listen.log")
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { cat "$work/listen.log" >&2; echo "the receiver did not start" >&2; exit 1; }
echo "receiver on $addr (tcp); sending $count events from $events" >&2

fluent_bit=${FLUENT_BIT:-$(command -v fluent-bit || true)}
if [ -z "$fluent_bit" ] && [ -x /opt/fluent-bit/bin/fluent-bit ]; then
	fluent_bit=/opt/fluent-bit/bin/fluent-bit
fi
if [ -n "$fluent_bit" ]; then
	echo "plugin host: $fluent_bit" >&2
	cat >"$work/parsers.conf" <<CONF
[PARSER]
    Name   json
    Format json
CONF
	cat >"$work/fluent-bit.conf" <<CONF
[SERVICE]
    Flush        1
    Log_Level    info
    Parsers_File $work/parsers.conf

[INPUT]
    Name            tail
    Path            $events
    Read_from_Head  On
    Parser          json
    Tag             kcs.events

[OUTPUT]
    Name         siem_cef
    Match        kcs.*
    Address      $addr
    Protocol     tcp
    Integration  local-demo
    Workers      1
CONF
	# Fluent Bit's own PID is the one to stop; its log goes through sed on the side.
	"$fluent_bit" -e "$build/out_siem_cef.so" -c "$work/fluent-bit.conf" > >(sed -u 's/^/fluent-bit: /' >&2) 2>&1 &
	pids+=("$!")
else
	echo "plugin host: $build/flb-host (no fluent-bit found; set FLUENT_BIT to use one)" >&2
	"$build/siem-cef" chunk -o "$work/events.chunk" "$events"
	"$build/flb-host" "$build/out_siem_cef.so" - <<SCRIPT | sed 's/^/flb-host: /' >&2
register
instance demo Address=$addr Protocol=tcp Integration=local-demo
flush demo $work/events.chunk
exit demo
unregister
SCRIPT
fi
if ! wait "$listener"; then
	cat "$work/listen.log" >&2
	echo "the receiver did not get the $count events" >&2
	exit 1
fi
