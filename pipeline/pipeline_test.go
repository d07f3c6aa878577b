package pipeline

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/internal/fixture"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

const perChunk = 200

var t0 = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)

func loadConfig(t testing.TB, props map[string]string) *config.Config {
	t.Helper()
	all := map[string]string{"Address": "127.0.0.1:514", "Hostname": "kcs-node"}
	for k, v := range props {
		all[k] = v
	}
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return all[k] }), "test")
	require.NoError(t, err)
	return cfg
}

// sourceChunks are chunks of one kind of record each: the KCS-native events of the product's
// fixture, and each peer fixture repeated.
func sourceChunks(t testing.TB) map[string][]byte {
	t.Helper()
	chunks := map[string][]byte{}
	f, err := os.Open("../test/fixtures/events.jsonl")
	require.NoError(t, err)
	defer f.Close()
	kcs, _, err := fbchunk.FromJSONLines(f, t0, time.Second)
	require.NoError(t, err)
	chunks["kcs"] = kcs
	for name, file := range map[string]string{
		"falco":          "falco_open_captured_0.41.json",
		"falco-in-log":   "fluentbit_tail_cri_k8s_falco_mergelog_off_constructed.json",
		"falco-merged":   "fluentbit_k8s_falco_merge_log_key_constructed.json",
		"tetragon":       "tetragon_process_exec_docs.json",
		"tetragon-probe": "tetragon_kprobe_sigkill_constructed.json",
		"tracee":         "tracee_exec_k8s_constructed_v0.24.json",
		"tracee-forward": "tracee_forward_signature_constructed.json",
		"plain-line":     "fluentbit_plain_log_line_k8s_constructed.json",
	} {
		b, err := os.ReadFile("../test/fixtures/peers/" + file)
		require.NoError(t, err)
		body, err := fbchunk.ParseJSON(b)
		require.NoError(t, err)
		var chunk []byte
		for i := range perChunk {
			chunk, err = fbchunk.AppendEvent(chunk, t0.Add(time.Duration(i)*time.Millisecond), body)
			require.NoError(t, err)
		}
		chunks[name] = chunk
	}
	return chunks
}

// Once warm, a run allocates nothing per event, whatever the source of its records; with Set and
// Map too.
func TestRunAllocatesNothingPerEvent(t *testing.T) {
	props := map[string]string{
		"Merge_Log_Key": "falco",
		"Set.node_ip":   "10.0.0.12",
		"Map.cluster":   "$kubernetes['labels']['app.kubernetes.io/instance']",
		"Map.message":   "$kubernetes['labels']",
	}
	for name, chunk := range sourceChunks(t) {
		t.Run(name, func(t *testing.T) {
			p := New(loadConfig(t, props))
			emitted := 0
			emit := func(msg []byte) error { emitted++; return nil }
			var warnings []string
			warn := func(msg string) { warnings = append(warnings, msg) }
			_, err := p.Run(chunk, emit, warn)
			require.NoError(t, err)
			require.Empty(t, warnings)
			require.Positive(t, emitted)
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := p.Run(chunk, emit, warn); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs, "%v allocations per chunk", allocs)
		})
	}
}

// The Merge_Log_Key reaches the decoder: without it the map under `falco` is not the event.
func TestMergeLogKeyReachesTheDecoder(t *testing.T) {
	chunk := sourceChunks(t)["falco-merged"]
	for key, want := range map[string]string{"falco": "|FNT-001|", "": "|UNKNOWN|"} {
		p := New(loadConfig(t, map[string]string{"Merge_Log_Key": key}))
		var first string
		_, err := p.Run(chunk, func(msg []byte) error {
			if first == "" {
				first = string(msg)
			}
			return nil
		}, func(string) {})
		require.NoError(t, err)
		assert.True(t, strings.Contains(first, want), "Merge_Log_Key %q: %s", key, first)
	}
}

// BenchmarkRun: decode, map, filter and encode a chunk of each source; allocations per event.
func BenchmarkRun(b *testing.B) {
	for name, chunk := range sourceChunks(b) {
		b.Run(name, func(b *testing.B) {
			p := New(loadConfig(b, map[string]string{"Merge_Log_Key": "falco"}))
			events := 0
			emit := func(msg []byte) error { events++; return nil }
			if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
				b.Fatal(err)
			}
			n := events
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
			b.ReportMetric(ns, "ns/event")
			b.ReportMetric(1e9/ns, "events/s")
		})
	}
}

// eventAt is an event whose time stamp is the msgpack value stamp, written by hand: Fluent Bit's
// EventTime cannot carry the times a record with a float or integer time can.
func eventAt(t *testing.T, stamp []byte, body map[string]any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(body)
	require.NoError(t, err)
	ev := append([]byte{0x92, 0x92}, stamp...)
	return append(append(ev, 0x80), b...)
}

func float64Stamp(f float64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(f))
}

func int64Stamp(i int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0xd3}, uint64(i))
}

// A time no syslog time stamp can carry (year 110033705358, NaN, year 0, year 10000) is replaced by
// the time of the flush, counted and warned about; year 1 and year 9999 are kept.
func TestTimesOutsideYears1To9999AreReplacedByTheFlushTime(t *testing.T) {
	flush := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	body := map[string]any{"event_id": "PM-001"}
	for _, tc := range []struct {
		name             string
		stamp            []byte
		rfc5424, rfc3164 string // the time stamps the message must carry
	}{
		{"float 3.5e18", float64Stamp(3.5e18), "2026-03-04T05:06:07.000Z", "Mar  4 05:06:07"},
		{"float NaN", float64Stamp(math.NaN()), "2026-03-04T05:06:07.000Z", "Mar  4 05:06:07"},
		{"float +Inf", float64Stamp(math.Inf(1)), "2026-03-04T05:06:07.000Z", "Mar  4 05:06:07"},
		{"int64 max", int64Stamp(math.MaxInt64), "2026-03-04T05:06:07.000Z", "Mar  4 05:06:07"},
		{"year 0", int64Stamp(-62135596801), "2026-03-04T05:06:07.000Z", "Mar  4 05:06:07"},
		{"year 1", int64Stamp(-62135596800), "0001-01-01T00:00:00.000Z", "Jan  1 00:00:00"},
		{"year 9999", int64Stamp(253402300799), "9999-12-31T23:59:59.000Z", "Dec 31 23:59:59"},
		{"year 10000", int64Stamp(253402300800), "2026-03-04T05:06:07.000Z", "Mar  4 05:06:07"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replaced := tc.rfc5424 == "2026-03-04T05:06:07.000Z"
			for format, want := range map[string]string{"rfc5424": "<166>1 " + tc.rfc5424 + " kcs-node ", "rfc3164": "<166>" + tc.rfc3164 + " kcs-node "} {
				p := New(loadConfig(t, map[string]string{"Syslog_Format": format}))
				p.now = func() time.Time { return flush }
				var msgs, warnings []string
				st, err := p.Run(eventAt(t, tc.stamp, body), func(msg []byte) error { msgs = append(msgs, string(msg)); return nil },
					func(msg string) { warnings = append(warnings, msg) })
				require.NoError(t, err)
				require.Len(t, msgs, 1)
				assert.True(t, strings.HasPrefix(msgs[0], want), "%s: %s", format, msgs[0])
				if replaced {
					assert.Equal(t, 1, st.BadTimes)
					assert.Equal(t, []string{`event at byte 0 ("PM-001"): its time is outside years 1-9999; sent with the time of the flush`}, warnings)
				} else {
					assert.Zero(t, st.BadTimes)
					assert.Empty(t, warnings)
				}
			}
		})
	}
}

// A class ID is the record's text: a warning shows it quoted, so a line feed or an escape sequence
// in it cannot write a line of its own into the log.
func TestWarningsQuoteTheClassID(t *testing.T) {
	p := New(loadConfig(t, nil))
	chunk, err := fbchunk.AppendEvent(nil, t0, map[string]any{
		"event_id": "PM-001\n[2026/01/01 00:00:00] [ info] [siem_cef:siem] stats: sent=0\x1b[2J", "src_ip": "not-an-ip",
	})
	require.NoError(t, err)
	var warnings []string
	st, err := p.Run(chunk, func([]byte) error { return nil }, func(msg string) { warnings = append(warnings, msg) })
	require.NoError(t, err)
	assert.Equal(t, 1, st.Problems)
	assert.Equal(t, []string{`event at byte 0 ("PM-001\n[2026/01/01 00:00:00] [ info] [siem_cef:siem] stats: sent=0\x1b[2J"): field src_ip: not an IPv4 or IPv6 address; left out`}, warnings)
}

// Nothing of a chunk outlives the run that read it, whether the run read it to the end or emit
// stopped it: the plugin's chunks are Fluent Bit's memory, freed after the flush, and a record of
// megabytes must not be kept until the next flush.
func TestNothingOfTheChunkOutlivesTheRun(t *testing.T) {
	stop := errors.New("stop")
	for name, emitErr := range map[string]error{"to the end": nil, "stopped by emit": stop} {
		t.Run(name, func(t *testing.T) {
			p := New(loadConfig(t, map[string]string{"Map.message": "$args"}))
			var chunk []byte
			var err error
			for range 3 {
				chunk, err = fbchunk.AppendEvent(chunk, t0, map[string]any{"event_id": "PM-001", "args": []any{strings.Repeat("a", 1<<20)}, "path": strings.Repeat("p", 1<<20)})
				require.NoError(t, err)
			}
			chunkRef := weak.Make(&chunk[0])
			emitted := 0
			_, err = p.Run(chunk, func([]byte) error { emitted++; return emitErr }, func(string) {})
			require.ErrorIs(t, err, emitErr)
			require.Positive(t, emitted)
			chunk = nil
			runtime.GC()
			assert.Nil(t, chunkRef.Value(), "the pipeline still refers to the chunk")
			runtime.KeepAlive(p)
		})
	}
}

// Group markers are counted, not emitted; an event carried in `log` as JSON too long to read is
// mapped as the record it is, with a warning, and counted among the problems.
func TestMarkersAndEventsTooLargeToReadAreCounted(t *testing.T) {
	p := New(loadConfig(t, nil))
	start := append([]byte{0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80}, 0x80)
	end := append([]byte{0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0x80}, 0x80)
	chunk := append([]byte(nil), start...)
	chunk, err := fbchunk.AppendEvent(chunk, t0, map[string]any{"event_id": "PM-001"})
	require.NoError(t, err)
	chunk, err = fbchunk.AppendEvent(chunk, t0, map[string]any{"log": `{"event_id":"PM-002","message":"` + strings.Repeat("x", 1<<20) + `"}`})
	require.NoError(t, err)
	chunk = append(chunk, end...)
	var warnings []string
	st, err := p.Run(chunk, func([]byte) error { return nil }, func(msg string) { warnings = append(warnings, msg) })
	require.NoError(t, err)
	assert.Equal(t, Stats{Emitted: 2, Problems: 1, Markers: 2, Warnings: 1}, st)
	assert.Equal(t, []string{`event at byte 44 (""): the event carried in it is too large to read (over 1 MiB of JSON or 1024 keys); mapped as the record it is`}, warnings)
}

// A record cannot pass for the plugin's own summary event: an event ID in its namespace is sent as
// UNKNOWN, with a warning.
func TestRecordCannotUseThePluginsClassIDs(t *testing.T) {
	var chunk []byte
	var err error
	for _, id := range []string{"SIEMCEF-001", "siemcef-001", "SIEMCEF"} {
		chunk, err = fbchunk.AppendEvent(chunk, t0, map[string]any{"event_id": id, "event_name": "Events not sent: rate ceiling", "severity": 5, "message": "NT=2"})
		require.NoError(t, err)
	}
	p := New(loadConfig(t, nil))
	var lines, warnings []string
	st, err := p.Run(chunk, func(msg []byte) error { lines = append(lines, string(msg)); return nil }, func(w string) { warnings = append(warnings, w) })
	require.NoError(t, err)
	assert.Equal(t, 3, st.Emitted)
	assert.Equal(t, 3, st.Problems)
	for _, l := range lines {
		assert.Contains(t, l, "|UNKNOWN|Events not sent: rate ceiling|5|")
	}
	assert.Contains(t, warnings[0], `("SIEMCEF-001"): its event ID is in the plugin's own namespace; sent as UNKNOWN`)
}

// A PID or port given as a decimal string is a number on the wire: a message shortened to fit
// Max_Message_Size cuts its text values, never those digits (docs/cef-and-syslog.md; Tracee gives
// its ports as strings).
func TestDecimalStringNumbersAreNotCutToFit(t *testing.T) {
	r := map[string]any{"event_id": "PM-002", "pid": "2147483647", "ppid": "1987654321", "src_port": "65535"}
	for _, f := range []string{"cluster", "namespace", "command", "pod", "container", "process", "path", "image",
		"message", "old_path", "file_mode", "image_hash", "operation", "source", "node", "user", "artifact"} { // cut to under 15 characters
		r[f] = strings.Repeat("x", 1000)
	}
	lines, st := runLines(t, New(loadConfig(t, map[string]string{"Max_Message_Size": "480"})), chunkOf(t, time.Second, r))
	require.Len(t, lines, 1)
	assert.Equal(t, 1, st.Shortened)
	for _, want := range []string{" dpid=2147483647 ", " spid=1987654321 ", " spt=65535 "} {
		assert.Contains(t, lines[0], want)
	}
}

// An address is never cut, whatever Max_Message_Size (docs/cef-and-syslog.md, Shortening), and an
// IPv6 address goes without its zone, which CEF's IPv6 address has not: a zone of 2,000 bytes makes
// the address neither long nor another.
func TestAnIPv6AddressIsSentWithoutItsZone(t *testing.T) {
	r := map[string]any{"event_id": "NT-001", "src_ip": "fe80::1%" + strings.Repeat("e", 2000), "message": "m"}
	for _, size := range []string{"480", "8096"} {
		var warnings []string
		p := New(loadConfig(t, map[string]string{"Max_Message_Size": size}))
		var lines []string
		_, err := p.Run(chunkOf(t, time.Second, r), func(m []byte) error { lines = append(lines, string(m)); return nil },
			func(w string) { warnings = append(warnings, w) })
		require.NoError(t, err)
		require.Len(t, lines, 1)
		assert.True(t, strings.HasSuffix(lines[0], "|NT-001|Networking|3|c6a2=fe80::1 c6a2Label=Source IPv6 address msg=m"), "Max_Message_Size %s: %s", size, lines[0])
		assert.Empty(t, warnings)
	}
}

// The Node IP (cs7) is an address too: a shortened message keeps it whole ("10.2" would read as
// 10.0.0.2), while the long texts beside it are cut.
func TestTheNodeIPIsNeverCut(t *testing.T) {
	r := fixture.ProcessEvent(0)
	r["command"], r["image"] = strings.Repeat("x", 2000), strings.Repeat("y", 2000)
	lines, st := runLines(t, New(loadConfig(t, map[string]string{"Max_Message_Size": "480"})), chunkOf(t, time.Second, r))
	require.Len(t, lines, 1)
	assert.Equal(t, 1, st.Shortened)
	assert.Contains(t, lines[0], " cs7=10.20.0.13 cs7Label=Node IP ")
}

// A record's problems are counted as it is read, whatever the volume control then does with its
// event (README, Metrics): events the ceiling holds back count theirs too.
func TestProblemsAreCountedForEventsHeldBack(t *testing.T) {
	records := make([]map[string]any, 10)
	for i := range records {
		records[i] = map[string]any{"event_id": "PM-001", "severity": "urgent", "message": "m"}
	}
	_, st := runLines(t, New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "1"})), chunkOf(t, time.Millisecond, records...))
	assert.Equal(t, 9, st.RateLimited)
	assert.Equal(t, 10, st.Problems)
}

// The values an event of another integration cannot use are that integration's to report: a
// filtered event adds no field problem and no warning (README, Metrics: field_problems counts values
// in the events this integration takes).
func TestProblemsOfAFilteredEventAreNotReported(t *testing.T) {
	r := map[string]any{"event_id": "ADM-001", "src_port": "https", "dst_ip": "nowhere", "severity": "urgent"}
	p := New(loadConfig(t, map[string]string{"Categories": "none"}))
	var warnings []string
	st, err := p.Run(chunkOf(t, time.Second, r), func([]byte) error { return nil }, func(w string) { warnings = append(warnings, w) })
	require.NoError(t, err)
	assert.Equal(t, Stats{Filtered: 1}, st)
	assert.Empty(t, warnings)

	st, err = p.Run(chunkOf(t, time.Second, map[string]any{"event_id": "SIEMCEF-001"}), func([]byte) error { return nil },
		func(w string) { warnings = append(warnings, w) })
	require.NoError(t, err)
	assert.Equal(t, Stats{Filtered: 1}, st, "its own namespace's event ID, filtered as the category it names")
}

// With LimitWarnings, a run hands its first warnings to warn and only counts the others: a chunk of
// bad records writes no more text than its caller logs, and allocates nothing for the rest.
func TestLimitWarningsCountsTheRestWithoutWritingThem(t *testing.T) {
	records := make([]map[string]any, 100)
	for i := range records {
		records[i] = map[string]any{"event_id": "NT-001", "src_port": "https", "severity": "urgent"}
	}
	chunk := chunkOf(t, time.Millisecond, records...)
	p := New(loadConfig(t, nil))
	p.LimitWarnings(5)
	var warnings []string
	st, err := p.Run(chunk, func([]byte) error { return nil }, func(w string) { warnings = append(warnings, w) })
	require.NoError(t, err)
	assert.Len(t, warnings, 5)
	assert.Equal(t, Stats{Emitted: 100, Problems: 200, Warnings: 200}, st)

	allocs := func(p *Pipeline) float64 {
		warn := func(string) {}
		_, err := p.Run(chunk, func([]byte) error { return nil }, warn) // warm
		require.NoError(t, err)
		return testing.AllocsPerRun(10, func() {
			if _, err := p.Run(chunk, func([]byte) error { return nil }, warn); err != nil {
				t.Fatal(err)
			}
		})
	}
	limited, all := allocs(p), allocs(New(loadConfig(t, nil)))
	assert.Less(t, limited*20, all, "the five warnings written (%v allocations), nothing for the 195 others (%v for all)", limited, all)
}
