package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixtures = "../fixtures/"

// TestEveryEventArrivesOverTCPAndUDPExactlyOnce runs two instances with different addresses in one
// host, one per protocol, and checks each received line against the hand-written golden line.
func TestEveryEventArrivesOverTCPAndUDPExactlyOnce(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	golden := readLines(t, "testdata/events.cef")
	require.Len(t, golden, n)
	tcp, udp := tcpReceiver(t), udpReceiver(t)

	run := runHost(t, fmt.Sprintf(`register
instance siem-tcp Address=%s Hostname=kcs-node
instance siem-udp Address=%s Protocol=udp Hostname=kcs-node
flush siem-tcp %s
flush siem-udp %s
exit siem-tcp
exit siem-udp
unregister
`, tcp.Addr, udp.Addr, chunk, chunk))
	assert.Equal(t, []string{
		"register rc=0 name=siem_cef", "init siem-tcp rc=1", "init siem-udp rc=1",
		"flush siem-tcp rc=1", "flush siem-udp rc=1", "exit siem-tcp rc=1", "exit siem-udp rc=1", "unregister",
	}, run.results)

	gotTCP := tcp.Lines(n)
	assert.Equal(t, golden, gotTCP, "TCP: every event once, in order, as the golden line")

	gotUDP := udp.Lines(n)
	sort.Strings(gotUDP)
	want := append([]string(nil), golden...)
	sort.Strings(want)
	assert.Equal(t, want, gotUDP, "UDP: every event once, as the golden line")

	for _, l := range append(gotTCP, gotUDP...) {
		_, _, err := cef.ParseSyslog(l)
		assert.NoError(t, err, l)
	}
	// Every line of the plugin goes through Fluent Bit's logger and names its instance.
	for _, l := range strings.Split(strings.TrimSpace(run.log), "\n") {
		assert.Regexp(t, `^\[(error|warn|info|debug|trace)\] \[siem_cef:siem_cef\.[01]\] `, l)
	}
	// The effective configuration is logged once per instance, naming it.
	assert.Equal(t, 1, strings.Count(run.log, "[siem_cef:siem_cef.0] started: Integration=siem_cef.0 Address="+tcp.Addr+" Protocol=tcp"), run.log)
	assert.Equal(t, 1, strings.Count(run.log, "[siem_cef:siem_cef.1] started: Integration=siem_cef.1 Address="+udp.Addr+" Protocol=udp"), run.log)
}

// TestEveryEventHasTheKeysOfItsType checks field by field what docs/events.md §5 sends with each type.
func TestEveryEventHasTheKeysOfItsType(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	tcp := tcpReceiver(t)
	runHost(t, fmt.Sprintf("register\ninstance a Address=%s\nflush a %s\nexit a\n", tcp.Addr, chunk))
	runtimeOnly := []string{"dpid", "spid", "flexString1", "flexString2", "request", "fileHash", "act", "dproc", "duid", "cs1", "cs2", "cs3", "cs5", "cs6", "cs7"}
	lines := tcp.Lines(n)
	require.Len(t, lines, n)
	for _, l := range lines {
		_, m, err := cef.ParseSyslog(l)
		require.NoError(t, err, l)
		runtime := regexp.MustCompile(`^(PM|FM|NT|FPM|FNT|FFM|FFTP)-`).MatchString(m.ClassID)
		_, hasSuser := m.Get("suser")
		_, hasSource := m.Get("source")
		_, hasOutcome := m.Get("outcome")
		assert.True(t, hasSource && hasOutcome, "source and outcome go with all events: %s", l)
		assert.Equal(t, !runtime, hasSuser, "suser goes with all but runtime events: %s", l)
		for _, k := range runtimeOnly {
			_, has := m.Get(k)
			assert.Equal(t, runtime, has, "%s goes with runtime events only: %s", k, l)
		}
		if _, has := m.Get("reason"); has {
			o, _ := m.Get("outcome")
			assert.True(t, !runtime && o == "Error", "reason only for non-runtime errors: %s", l)
		}
	}
}

func TestSeedExampleThroughTheHost(t *testing.T) {
	chunk, _ := chunkFile(t, fixtures+"seed-example.json")
	want := readLines(t, fixtures+"seed-example.cef")[0]
	tcp := tcpReceiver(t)
	runHost(t, fmt.Sprintf("register\ninstance a Address=%s Hostname=kcs-node\nflush a %s\nexit a\n", tcp.Addr, chunk))
	got := tcp.Lines(1)
	require.Len(t, got, 1)
	assert.Equal(t, "<163>Feb 18 10:07:28 kcs-node "+want, got[0])
}

// TestConcurrentFlushesNeverInterleave flushes one instance from several threads, as Fluent Bit does
// with Workers N, on coroutine stacks.
func TestConcurrentFlushesNeverInterleave(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	tcp := tcpReceiver(t)
	const threads, each = 4, 25
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Startup_Check=off\nflushmt a %s %d %d\nexit a\n", tcp.Addr, chunk, threads, each))
	assert.Contains(t, run.results, fmt.Sprintf("flushmt a ok=%d retry=0 error=0 other=0", threads*each))
	lines := tcp.Lines(threads * each * n)
	require.Len(t, lines, threads*each*n)
	perClass := map[string]int{}
	for _, l := range lines {
		_, m, err := cef.ParseSyslog(l)
		require.NoError(t, err, "an interleaved or broken line: %q", l)
		perClass[m.ClassID]++
	}
	for class, count := range perClass {
		assert.Equal(t, threads*each, count, class)
	}
	// Each flush in flight has a connection of its own, from a pool no larger than the flushes.
	opened, _ := tcp.Conns()
	assert.GreaterOrEqual(t, opened, 1)
	assert.LessOrEqual(t, opened, threads, "a bounded pool: one connection per concurrent flush at most")
}

var stoppedLine = regexp.MustCompile(`stopped: sent=(\d+) .*; (\d+) instances remain, (\d+) goroutines`)

// TestHotReloadReleasesTheOldInstances replays Fluent Bit's reload with an edited configuration:
// integration a is deleted, b is edited (its filter widened), c is added. The old instances exit, the
// registration is replaced, new instances start; nothing of the old ones may remain.
func TestHotReloadReleasesTheOldInstances(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	a, b, c := tcpReceiver(t), tcpReceiver(t), tcpReceiver(t)
	run := runHost(t, fmt.Sprintf(`register
instance a Address=%s Startup_Check=off
instance b Address=%s Startup_Check=off Categories=API Agent_Groups=none
flush a %[3]s
flush b %[3]s
sockets
reload
sockets
instance b Address=%[2]s Startup_Check=off
instance c Address=%[4]s Startup_Check=off
flush b %[3]s
flush c %[3]s
sockets
reload
sockets
unregister
`, a.Addr, b.Addr, chunk, c.Addr))
	assert.Equal(t, []string{
		"register rc=0 name=siem_cef", "init a rc=1", "init b rc=1", "flush a rc=1", "flush b rc=1",
		"sockets 2", "reload exited=2", "sockets 0",
		"init b rc=1", "init c rc=1", "flush b rc=1", "flush c rc=1", "sockets 2", "reload exited=2", "sockets 0", "unregister",
	}, run.results)
	assert.Len(t, a.Lines(n), n, "a, before it was deleted")
	assert.Len(t, b.Lines(2+n), 2+n, "b: the two API events before the edit, every event after")
	assert.Len(t, c.Lines(n), n, "c, added by the reload")
	for name, r := range map[string]*receiver{"a": a, "b": b, "c": c} {
		opened, closed := r.Conns()
		assert.Equal(t, opened, closed, "%s: every connection of the old instances is closed", name)
	}
	// After the reload the instances are numbered from 0 again, as Fluent Bit names them, and their
	// names are not taken for the old configuration's.
	assert.Contains(t, run.log, "[siem_cef:siem_cef.0] started: Integration=siem_cef.0 Address="+b.Addr)
	assert.Contains(t, run.log, "[siem_cef:siem_cef.1] started: Integration=siem_cef.1 Address="+c.Addr)
	assert.NotContains(t, run.log, "another siem_cef output has this Integration")

	stops := stoppedLine.FindAllStringSubmatch(run.log, -1)
	require.Len(t, stops, 4, run.log)
	goroutines := func(i int) int { g, _ := strconv.Atoi(stops[i][3]); return g }
	assert.Equal(t, "0", stops[1][2], "no instance left after the first reload")
	assert.Equal(t, "0", stops[3][2], "no instance left after the second reload")
	assert.LessOrEqual(t, goroutines(3), goroutines(1), "no goroutine of the old instances is left")
}

// Two outputs with one Integration start, and the second says so: their log lines and their metrics
// would be one.
func TestAnIntegrationGivenTwiceIsWarnedOfAtStart(t *testing.T) {
	a := tcpReceiver(t)
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%[1]s Startup_Check=off Integration=soc\ninstance b Address=%[1]s Startup_Check=off Integration=soc\nexit a\nexit b\n", a.Addr))
	assert.Equal(t, []string{"register rc=0 name=siem_cef", "init a rc=1", "init b rc=1", "exit a rc=1", "exit b rc=1"}, run.results)
	assert.Equal(t, 1, strings.Count(run.log, "[siem_cef:soc] another siem_cef output has this Integration"), run.log)
}

func TestInvalidConfigurationRefusesToStart(t *testing.T) {
	for _, tc := range []struct {
		props string
		log   string
	}{
		{"Address=127.0.0.1:514 Protocol=sctp", `property Protocol: "sctp" is not accepted; use tcp, udp, tls, relp or relp+tls`},
		{"Host=siem.example.com Port=514", "property Address is missing; use Address host:port"},
		{"Address=127.0.0.1:0", "property Address"},
		{"Address=127.0.0.1:65536", "property Address"},
		{"Address=2001:db8:0:0:0:0:0:1:514", "[2001:db8::1]:514"},
	} {
		t.Run(tc.props, func(t *testing.T) {
			run := runHost(t, "register\ninstance a "+tc.props+"\n")
			assert.Equal(t, "init a rc=0", run.results[1])
			assert.Contains(t, run.log, "[error] [siem_cef:siem_cef.0] invalid configuration, not starting: ")
			assert.Contains(t, run.log, tc.log)
		})
	}
}

func TestSIEMDownMeansRetry(t *testing.T) {
	chunk, _ := chunkFile(t, fixtures+"events.jsonl")
	addr := closedPort(t)
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Connect_Timeout=1s\nflush a %s\nexit a\n", addr, chunk))
	assert.Equal(t, "flush a rc=2", run.results[2])
	assert.Contains(t, run.log, "delivery failed, returning FLB_RETRY (Fluent Bit retries the chunk unless its Retry_Limit is used up): connect "+addr+" (tcp)")
	assert.Contains(t, run.log, "connection refused")
}

func TestDamagedChunkDeliversWhatItCanAndIsNotOK(t *testing.T) {
	var chunk []byte
	var err error
	for i := range 3 {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "ADM-001", "user": fmt.Sprintf("u%d", i)})
		require.NoError(t, err)
	}
	cut := len(chunk) - 3
	tcp := tcpReceiver(t)
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%s\nflush a %s\nexit a\n", tcp.Addr, writeChunk(t, chunk[:cut])))
	assert.Equal(t, "flush a rc=0", run.results[2])
	lines := tcp.Lines(2)
	require.Len(t, lines, 2)
	assert.Contains(t, lines[1], "suser=u1")
	assert.Regexp(t, `malformed chunk at byte \d+: the event is not whole msgpack`, run.log)
}

func TestStartupCheck(t *testing.T) {
	tcp, udp, closed := tcpReceiver(t), udpReceiver(t), closedPort(t)
	run := runHost(t, fmt.Sprintf(`register
instance up Address=%s Startup_Check=fail
instance down Address=%s Startup_Check=warn Connect_Timeout=1s
instance refused Address=%s Startup_Check=fail Connect_Timeout=1s
instance datagram Address=%s Protocol=udp Startup_Check=fail
`, tcp.Addr, closed, closed, udp.Addr))
	assert.Equal(t, []string{"register rc=0 name=siem_cef", "init up rc=1", "init down rc=1", "init refused rc=0", "init datagram rc=1"}, run.results)
	assert.Regexp(t, `\[info\] \[siem_cef:siem_cef.0\] startup check: tcp `+tcp.Addr+`: reachable, connected in \S+\n`, run.log)
	assert.Regexp(t, `\[warn\] \[siem_cef:siem_cef.1\] startup check: tcp `+closed+`: unreachable after \S+: .*connection refused; starting anyway`, run.log)
	assert.Regexp(t, `\[error\] \[siem_cef:siem_cef.2\] startup check: tcp `+closed+`: unreachable after \S+: .*connection refused\n`, run.log)
	assert.Contains(t, run.log, "[error] [siem_cef:siem_cef.2] startup check: no address of the SIEM is reachable; not starting (Startup_Check fail)")
	assert.Contains(t, run.log, "[siem_cef:siem_cef.3] startup check: udp "+udp.Addr+": not testable")
	opened, _ := tcp.Conns()
	assert.Equal(t, 1, opened, "the check connected once")
}

// TestThreeIntegrationsEachGetTheirShare: three outputs with different filters in one Fluent Bit,
// each receiving exactly the events docs/events.md §7 gives it, counted by class ID.
func TestThreeIntegrationsEachGetTheirShare(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	all, alerts, violations := tcpReceiver(t), tcpReceiver(t), tcpReceiver(t)
	run := runHost(t, fmt.Sprintf(`register
instance all Address=%s Integration=soc
instance alerts Address=%s Integration=noc Categories=API,Alert Agent_Groups=none
instance violations Address=%s Integration=ir Categories=none Agent_Groups=prod-agents Runtime_Events=FPM,FNT,FFM,FFTP
flush all %[4]s
flush alerts %[4]s
flush violations %[4]s
exit all
exit alerts
exit violations
`, all.Addr, alerts.Addr, violations.Addr, chunk))
	for _, r := range run.results[4:7] {
		assert.Regexp(t, `^flush \w+ rc=1$`, r)
	}
	classes := func(r *receiver, want int) []string {
		var ids []string
		for _, l := range r.Lines(want) {
			_, m, err := cef.ParseSyslog(l)
			require.NoError(t, err)
			ids = append(ids, m.ClassID)
		}
		sort.Strings(ids)
		return ids
	}
	assert.Len(t, classes(all, n), n, "defaults: everything")
	// Category events go whatever their agent group: the AG events carry prod-agents.
	assert.Equal(t, []string{"AG-001", "AG-002", "API-001", "API-002"}, classes(alerts, 4))
	assert.Equal(t, []string{"FFM-001", "FFTP-001", "FNT-001", "FPM-001"}, classes(violations, 4))

	assert.Contains(t, run.log, "[siem_cef:noc] filter: category events: Alert, API; runtime events: none")
	assert.Contains(t, run.log, "[siem_cef:ir] filter: category events: none; runtime events: FPM FNT FFM FFTP from agent groups prod-agents")
	assert.Contains(t, run.log, "[siem_cef:soc] filter: category events: all (Administration, Alert, CI/CD, Policies, Resources, Scanners, Admission controller, Forensic data, API); runtime events: PM FM NT FPM FNT FFM FFTP from every agent group, and from events with none")
	assert.Regexp(t, `\[siem_cef:noc\] stopped: sent=4 filtered=26 `, run.log)
	assert.Regexp(t, `\[siem_cef:ir\] stopped: sent=4 filtered=26 `, run.log)
}
