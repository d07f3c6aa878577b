package pipeline

import (
	"fmt"
	"maps"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0ms is t0, 2026-02-18T10:07:28Z, in milliseconds since the epoch.
const t0ms = 1771409248000

// processEvent is a process event of a container; each test changes what it needs.
func processEvent() map[string]any {
	return map[string]any{
		"event_id": "PM-002", "status": "Success", "pid": 1000, "ppid": 1, "container_id": "0ce0e3f",
		"container": "alpine", "process": "/bin/sh", "command": "sh -c id", "message": "exec",
	}
}

// chunkOf makes a chunk of the records, record i at t0 + i*step.
func chunkOf(t testing.TB, step time.Duration, records ...map[string]any) []byte {
	t.Helper()
	var chunk []byte
	for i, r := range records {
		var err error
		chunk, err = fbchunk.AppendEvent(chunk, t0.Add(time.Duration(i)*step), r)
		require.NoError(t, err)
	}
	return chunk
}

// runLines runs a chunk and returns the messages and the stats; every message must pass the
// strict decoder and fit Max_Message_Size.
func runLines(t testing.TB, p *Pipeline, chunk []byte) ([]string, Stats) {
	t.Helper()
	var lines []string
	st, err := p.Run(chunk, func(msg []byte) error {
		if err := checkMessage(string(msg), p.maxSize); err != nil {
			return err
		}
		lines = append(lines, string(msg))
		return nil
	}, func(string) {})
	require.NoError(t, err)
	return lines, st
}

// A chunk of 10,000 process events that differ only in their time, PIDs and message becomes one
// event: the first's values, with cnt=10000, start the first time and end the last.
func TestAggregateTenThousandIdenticalEvents(t *testing.T) {
	records := make([]map[string]any, 10000)
	for i := range records {
		r := processEvent()
		r["pid"], r["ppid"], r["message"] = 1000+i, 1+i%7, "exec "+strconv.Itoa(i)
		records[i] = r
	}
	chunk := chunkOf(t, time.Millisecond, records...)
	p := New(loadConfig(t, map[string]string{"Aggregate": "1m"}))
	lines, st := runLines(t, p, chunk)
	assert.Equal(t, []string{"<166>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|PM-002|Process management|3|" +
		"dpid=1000 spid=1 flexString2=0ce0e3f flexString2Label=Container ID dproc=/bin/sh cs4=sh -c id cs4Label=Command " +
		"cs6=alpine cs6Label=Container name outcome=Success cnt=10000 start=1771409248000 end=1771409257999 msg=exec 0"}, lines)
	assert.Equal(t, Stats{Emitted: 1, Aggregated: 9999}, st)

	// The same chunk again aggregates the same way: nothing was kept from the run before.
	again, _ := runLines(t, p, chunk)
	assert.Equal(t, lines, again)
}

// Aggregate is a slot of the events' own time: the events of 10:07:28 to 10:07:29.999 and those
// of 10:07:30 on are two events with Aggregate 10s.
func TestAggregateSlots(t *testing.T) {
	records := make([]map[string]any, 5)
	for i := range records {
		records[i] = processEvent()
	}
	lines, st := runLines(t, New(loadConfig(t, map[string]string{"Aggregate": "10s"})), chunkOf(t, time.Second, records...))
	require.Len(t, lines, 2)
	assert.True(t, strings.HasSuffix(lines[0], fmt.Sprintf(" cnt=2 start=%d end=%d msg=exec", t0ms, t0ms+1000)), lines[0])
	assert.True(t, strings.HasSuffix(lines[1], fmt.Sprintf(" cnt=3 start=%d end=%d msg=exec", t0ms+2000, t0ms+4000)), lines[1])
	assert.Equal(t, Stats{Emitted: 2, Aggregated: 3}, st)
}

// Two events that differ in any value the message carries but their PIDs and message, or in
// severity, stay two: an aggregate keeps every fact. Events that differ in their time, PIDs and
// message are one.
func TestAggregateKeepsDifferentEventsApart(t *testing.T) {
	network := map[string]any{"event_id": "NT-001", "status": "Audit", "container_id": "c1", "process": "curl",
		"operation": "connect", "src_ip": "10.0.0.1", "src_port": 40000, "dst_ip": "10.0.0.2", "dst_port": 443}
	network6 := maps.Clone(network)
	network6["src_ip"], network6["dst_ip"] = "2001:db8::1", "2001:db8::2"
	file := map[string]any{"event_id": "FM-001", "status": "Success", "container_id": "c1", "path": "/etc/passwd", "new_owner": "root"}
	cases := []struct {
		name  string
		base  map[string]any
		field string
		other any
		apart bool
	}{
		{"event_id", processEvent(), "event_id", "PM-003", true},
		{"outcome", processEvent(), "status", "Enforce", true},
		{"outcome, same severity", processEvent(), "status", "Ok", true},
		{"container_id", processEvent(), "container_id", "1ab2c3d", true},
		{"process", processEvent(), "process", "/bin/bash", true},
		{"command", processEvent(), "command", "sh -c whoami", true},
		{"path", processEvent(), "path", "/tmp/x", true},
		{"operation", processEvent(), "operation", "fork", true},
		{"severity", processEvent(), "severity", 9, true},
		{"src address", network, "src_ip", "10.0.0.9", true},
		{"dst address", network, "dst_ip", "10.0.0.9", true},
		{"src IPv6 address", network6, "src_ip", "2001:db8::9", true},
		{"dst IPv6 address", network6, "dst_ip", "2001:db8::9", true},
		{"src port", network, "src_port", 40001, true},
		{"dst port", network, "dst_port", 80, true},
		{"new owner", file, "new_owner", "nobody", true},
		{"file mode", file, "file_mode", "0600", true},
		{"old path", file, "old_path", "/tmp/p", true},
		{"euid", processEvent(), "euid", 1000, true},
		{"egid", processEvent(), "egid", 1000, true},
		{"direction", network, "direction", "inbound", true},
		{"the record's own name", processEvent(), "event_name", "Shell spawned", true},
		{"image", processEvent(), "image", "alpine:3.20", true},
		{"image hash", processEvent(), "image_hash", "sha256:00", true},
		{"source", processEvent(), "source", "agent-2", true},
		{"cluster", processEvent(), "cluster", "prod-us-1", true},
		{"node", processEvent(), "node", "worker-9", true},
		{"namespace", processEvent(), "namespace", "shop", true},
		{"pod", processEvent(), "pod", "web-2", true},
		{"node IP", processEvent(), "node_ip", "10.0.0.3", true},
		{"container name, though the container_id decides it", processEvent(), "container", "other", true},
		{"pid", processEvent(), "pid", 4242, false},
		{"ppid", processEvent(), "ppid", 4242, false},
		{"message", processEvent(), "message", "another", false},
		{"user, which a process event does not send", processEvent(), "user", "alice", false},
		{"reason, which a process event without an error does not send", processEvent(), "reason", "r", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			other := maps.Clone(c.base)
			other[c.field] = c.other
			chunk := chunkOf(t, time.Millisecond, c.base, other, c.base, other)
			lines, st := runLines(t, New(loadConfig(t, map[string]string{"Aggregate": "10s"})), chunk)
			if !c.apart {
				require.Len(t, lines, 1)
				assert.Contains(t, lines[0], " cnt=4 ")
				return
			}
			require.Len(t, lines, 2, "%s", lines)
			for _, l := range lines {
				assert.Contains(t, l, " cnt=2 ")
			}
			assert.Equal(t, Stats{Emitted: 2, Aggregated: 2}, st)
		})
	}
}

// A chunk mixing types keeps the order of first appearance; category events pass untouched, each
// in its place, and an event that has no twin is sent as it is, without cnt.
func TestAggregateKeepsTheOrderOfFirstAppearance(t *testing.T) {
	pm := processEvent()
	nt := map[string]any{"event_id": "NT-001", "status": "Audit", "container_id": "c1", "dst_ip": "10.0.0.2", "dst_port": 443}
	fm := map[string]any{"event_id": "FM-001", "status": "Success", "container_id": "c1", "path": "/etc/passwd"}
	adm := map[string]any{"event_id": "ADM-001", "status": "Success", "user": "alice", "message": "User alice logged in"}
	chunk := chunkOf(t, time.Millisecond, pm, nt, adm, pm, fm, nt, adm, pm)
	lines, st := runLines(t, New(loadConfig(t, map[string]string{"Aggregate": "10s"})), chunk)
	var got []string
	for _, l := range lines {
		m := decoded(t, l)
		cnt, _ := m.Get("cnt")
		got = append(got, m.ClassID+" "+cnt)
	}
	assert.Equal(t, []string{"PM-002 3", "NT-001 2", "ADM-001 ", "FM-001 ", "ADM-001 "}, got)
	assert.Equal(t, Stats{Emitted: 5, Aggregated: 3}, st)

	// The category events and the lone FM event are the lines the pipeline sends without Aggregate.
	plain, _ := runLines(t, New(loadConfig(t, nil)), chunk)
	assert.Equal(t, []string{plain[2], plain[4], plain[6]}, []string{lines[2], lines[3], lines[4]})
}

func decoded(t testing.TB, line string) *cef.Message {
	t.Helper()
	_, m, err := cef.ParseSyslog(line)
	require.NoError(t, err)
	return m
}

// Past 1 MiB of the different events' values (maxKeyBytes) in a chunk, the others are sent one by
// one too, and the warning names that bound: 50 events of seven 4,000-character values each.
func TestAggregateBoundsTheValuesOfTheDifferentEvents(t *testing.T) {
	var records []map[string]any
	for i := range 50 {
		r := processEvent()
		for _, f := range []string{"cluster", "namespace", "pod", "container", "node", "node_ip", "command"} {
			r[f] = fmt.Sprint(i) + strings.Repeat("v", 4000)
		}
		records = append(records, r)
	}
	p := New(loadConfig(t, map[string]string{"Aggregate": "1h", "Max_Message_Size": "1048576"}))
	var warnings []string
	st, err := p.Run(chunkOf(t, 0, records...), func([]byte) error { return nil }, func(w string) { warnings = append(warnings, w) })
	require.NoError(t, err)
	assert.Equal(t, 50, st.Emitted)
	assert.Positive(t, st.Unaggregated)
	assert.Equal(t, []string{"the different runtime events of this chunk hold more than 1048576 bytes of values; the others are sent one by one"}, warnings)
}

// Past maxAggregates different events in a chunk, the others are sent one by one, counted, with
// one warning; the groups already made go on counting.
func TestAggregateBoundsTheDifferentEvents(t *testing.T) {
	var records []map[string]any
	for i := range maxAggregates + 1 {
		r := processEvent()
		r["command"] = "cmd " + strconv.Itoa(i)
		records = append(records, r, r)
	}
	p := New(loadConfig(t, map[string]string{"Aggregate": "1h"}))
	var warnings []string
	n := 0
	st, err := p.Run(chunkOf(t, 0, records...), func([]byte) error { n++; return nil }, func(w string) { warnings = append(warnings, w) })
	require.NoError(t, err)
	assert.Equal(t, maxAggregates+2, n)
	assert.Equal(t, Stats{Emitted: maxAggregates + 2, Aggregated: maxAggregates, Unaggregated: 2, Warnings: 1}, st)
	assert.Equal(t, []string{"more than 4096 different runtime events in this chunk; the others are sent one by one"}, warnings)
}

// The key decides, not its hash: an event whose hash is a group's is not counted in it.
func TestAggregateComparesKeysOnAHashMatch(t *testing.T) {
	a := newAggregator(time.Minute)
	var ev product.Event
	ev.Reset()
	ev.Type, _ = product.TypeByPrefix("PM")
	ev.Time = t0
	ev.Values[product.KeyCs4] = record.String([]byte("sh -c id"))
	a.add(&ev, 0)
	h := a.keyOf(&ev)
	ev.Values[product.KeyCs4] = record.String([]byte("sh -c rm"))
	a.keyOf(&ev)
	_, g := a.find(h) // the other key, under the first one's hash
	assert.Nil(t, g)
}

// Once warm, aggregation allocates nothing, and nothing of the chunk outlives the run.
func TestAggregateAllocatesNothingAndKeepsNothing(t *testing.T) {
	records := make([]map[string]any, 500)
	for i := range records {
		r := processEvent()
		r["command"] = "cmd " + strconv.Itoa(i%50)
		records[i] = r
	}
	chunk := chunkOf(t, time.Millisecond, records...)
	p := New(loadConfig(t, map[string]string{"Aggregate": "10s", "Max_Events_Per_Second": "20"}))
	emit := func([]byte) error { return nil }
	_, err := p.Run(chunk, emit, func(string) {})
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)

	ref := weak.Make(&chunk[0])
	chunk = nil
	runtime.GC()
	assert.Nil(t, ref.Value(), "the pipeline still refers to the chunk")
	assert.Empty(t, strings.TrimRight(string(p.agg.keys[:cap(p.agg.keys)]), "\x00"), "a key copy outlives the run")
	assert.Empty(t, strings.TrimRight(string(p.agg.key[:cap(p.agg.key)]), "\x00"), "the last event's key outlives the run")
	runtime.KeepAlive(p)
}

// BenchmarkAggregate: the same chunk (1,000 process events, 50 different commands, 1 ms apart)
// through the plain pipeline, with Aggregate (which reads the chunk twice), and with a rate
// ceiling that holds back nine events of ten; ns per event of the chunk.
func BenchmarkAggregate(b *testing.B) {
	records := make([]map[string]any, 1000)
	for i := range records {
		r := processEvent()
		r["pid"], r["command"] = 1000+i, "cmd "+strconv.Itoa(i%50)
		records[i] = r
	}
	chunk := chunkOf(b, time.Millisecond, records...)
	for _, c := range []struct {
		name  string
		props map[string]string
	}{
		{"plain", nil},
		{"aggregate", map[string]string{"Aggregate": "10s"}},
		{"ceiling", map[string]string{"Max_Events_Per_Second": "100"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := New(loadConfig(b, c.props))
			now := t0
			p.now = func() time.Time { now = now.Add(time.Second); return now } // a full bucket each run
			emit := func([]byte) error { return nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(records)), "ns/event")
		})
	}
}
