package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// fakeMetrics keeps the totals it was given, by series as Prometheus names it.
type fakeMetrics struct {
	mu     sync.Mutex
	totals map[string]uint64
	closed bool
}

func newFakeMetrics() *fakeMetrics { return &fakeMetrics{totals: map[string]uint64{}} }

func (m *fakeMetrics) Add(s series, label string, n uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name := "fluentbit_siem_cef_" + seriesInfo[s].name
	if label != "" {
		name += fmt.Sprintf("{%s=%q}", seriesInfo[s].label, label)
	}
	m.totals[name] += n
}

func (m *fakeMetrics) Close() { m.closed = true }

func (m *fakeMetrics) snapshot() map[string]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]uint64{}
	for k, v := range m.totals {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// seriesOfStat is the series that counts each number of the stats line, as issue 14 names them;
// connect failures are summed over their addresses.
var seriesOfStat = map[string]string{
	"sent":             `fluentbit_siem_cef_events_total{result="sent"}`,
	"filtered":         `fluentbit_siem_cef_events_total{result="filtered"}`,
	"shortened":        `fluentbit_siem_cef_events_total{result="shortened"}`,
	"skipped":          `fluentbit_siem_cef_events_total{result="skipped"}`,
	"too_large":        `fluentbit_siem_cef_events_total{result="too_large"}`,
	"rejected":         `fluentbit_siem_cef_events_total{result="rejected"}`,
	"aggregated":       `fluentbit_siem_cef_events_total{result="aggregated"}`,
	"rate_limited":     `fluentbit_siem_cef_events_total{result="rate_limited"}`,
	"field_problems":   "fluentbit_siem_cef_field_problems_total",
	"bad_times":        "fluentbit_siem_cef_bad_times_total",
	"group_markers":    "fluentbit_siem_cef_group_markers_total",
	"retried_flushes":  "fluentbit_siem_cef_retried_flushes_total",
	"connect_failures": "fluentbit_siem_cef_connect_failures_total",
	"address_changes":  "fluentbit_siem_cef_address_changes_total",
}

// assertAgree checks that every number of the instance's stats line is what its series counted.
func assertAgree(t *testing.T, in *instance, m *fakeMetrics) {
	t.Helper()
	in.mu.Lock()
	line := in.stats.line(in.cfg)
	in.mu.Unlock()
	totals := m.snapshot()
	fields := strings.Fields(line)
	want := len(seriesOfStat)
	for _, c := range volumeResults {
		if !counted(c, in.cfg) {
			want--
		}
	}
	assert.Len(t, fields, want, "every number of the stats line has its series: %s", line)
	for _, f := range fields {
		key, value, _ := strings.Cut(f, "=")
		want, err := strconv.ParseUint(value, 10, 64)
		require.NoError(t, err, f)
		name, ok := seriesOfStat[key]
		require.True(t, ok, "no series for %s", key)
		var got uint64
		for k, v := range totals {
			if k == name || strings.HasPrefix(k, name+"{") {
				got += v
			}
		}
		assert.Equal(t, want, got, "%s in the stats line and %s", key, name)
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func appendEvent(t *testing.T, chunk []byte, body any) []byte {
	t.Helper()
	chunk, err := fbchunk.AppendEvent(chunk, fixtureStart, body)
	require.NoError(t, err)
	return chunk
}

// Over TCP with the first address down: the sample events (Categories API: the 13 runtime and the
// 2 API events sent, 15 filtered out), then a chunk with one event of each other kind.
func TestMetricsCountEventsAndConnectFailuresAsTheStatsLine(t *testing.T) {
	addr, lines := lineReceiver(t)
	down := closedAddr(t)
	cfg := testConfig(t, down+","+addr, "tcp")
	cfg.Categories = []string{"API"}
	m := newFakeMetrics()
	in := newInstance(cfg, &fakeLog{}, m)
	chunk, _ := fixtureChunk(t)
	require.Equal(t, flbOK, in.Flush(chunk))

	odd := appendEvent(t, nil, "not a map")
	odd = appendEvent(t, odd, map[string]any{"event_id": "NT-001", "src_ip": "not-an-ip"})
	body, err := msgpack.Marshal(map[string]any{"event_id": "PM-001"})
	require.NoError(t, err)
	odd = binary.BigEndian.AppendUint64(append(odd, 0x92, 0x92, 0xcb), math.Float64bits(math.NaN()))
	odd = append(append(odd, 0x80), body...)
	odd = append(odd, 0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0x80) // a group start
	require.Equal(t, flbOK, in.Flush(odd))
	collect(t, lines, 17)

	assert.Equal(t, map[string]uint64{
		`fluentbit_siem_cef_events_total{result="sent"}`:                           17,
		`fluentbit_siem_cef_events_total{result="filtered"}`:                       15,
		`fluentbit_siem_cef_events_total{result="skipped"}`:                        1,
		"fluentbit_siem_cef_field_problems_total":                                  1,
		"fluentbit_siem_cef_bad_times_total":                                       1,
		"fluentbit_siem_cef_group_markers_total":                                   1,
		fmt.Sprintf("fluentbit_siem_cef_connect_failures_total{address=%q}", down): 1,
	}, m.snapshot())
	assertAgree(t, in, m)
	in.Close()
	assert.True(t, m.closed, "Close lets the metrics go")
}

// Shortened events count as sent and as shortened; events too large to shorten are not sent.
func TestMetricsCountShortenedAndTooLargeAsTheStatsLine(t *testing.T) {
	for _, tc := range []struct {
		size int
		want map[string]uint64
	}{
		{2048, map[string]uint64{`fluentbit_siem_cef_events_total{result="sent"}`: 2, `fluentbit_siem_cef_events_total{result="shortened"}`: 1}},
		{60, map[string]uint64{`fluentbit_siem_cef_events_total{result="too_large"}`: 2}}, // no message fits
	} {
		t.Run(strconv.Itoa(tc.size), func(t *testing.T) {
			cfg := testConfig(t, "127.0.0.1:514", "udp")
			cfg.MaxMessageSize = tc.size
			m := newFakeMetrics()
			in := newInstance(cfg, &fakeLog{}, m)
			withTransport(in, discardTransport{})
			defer in.Close()
			chunk := appendEvent(t, nil, map[string]any{"event_id": "PM-001", "message": "small"})
			chunk = appendEvent(t, chunk, map[string]any{"event_id": "PM-001", "command": strings.Repeat("c", 4000)})
			require.Equal(t, flbOK, in.Flush(chunk))
			assert.Equal(t, tc.want, m.snapshot())
			assertAgree(t, in, m)
		})
	}
}

func TestMetricsCountRejectedEventsAsTheStatsLine(t *testing.T) {
	m := newFakeMetrics()
	in := newInstance(testConfig(t, relpServer(t, "msg=refuse"), "relp"), &fakeLog{}, m)
	defer in.Close()
	chunk := appendEvent(t, nil, map[string]any{"event_id": "PM-001", "message": "refuse"})
	chunk = appendEvent(t, chunk, map[string]any{"event_id": "PM-001", "message": "fine"})
	require.Equal(t, flbOK, in.Flush(chunk))
	assert.Equal(t, map[string]uint64{`fluentbit_siem_cef_events_total{result="sent"}`: 1, `fluentbit_siem_cef_events_total{result="rejected"}`: 1}, m.snapshot())
	assertAgree(t, in, m)
}

// scriptedTransport answers each Send with its next step: connected to addr and err, or a panic.
type scriptedTransport struct {
	steps []step
	addr  string
}

type step struct {
	addr  string
	err   error
	panic bool
}

func (s *scriptedTransport) Send(*deliver.Batch) error {
	st := s.steps[0]
	s.steps = s.steps[1:]
	if st.panic {
		panic("scripted")
	}
	s.addr = st.addr
	return st.err
}
func (s *scriptedTransport) Confirm(time.Time) error  { return nil }
func (s *scriptedTransport) Connected() string        { return s.addr }
func (s *scriptedTransport) Framing() deliver.Framing { return deliver.FramingNewline }
func (s *scriptedTransport) Close() error             { return nil }

// The first connection is no change of address, the next one to another address is; a flush that
// fails and one that panics are retried flushes.
func TestMetricsCountAddressChangesAndRetriesAsTheStatsLine(t *testing.T) {
	m := newFakeMetrics()
	in := newInstance(testConfig(t, "127.0.0.1:514,127.0.0.2:514", "tcp"), &fakeLog{}, m)
	defer in.Close()
	withTransport(in, &scriptedTransport{steps: []step{
		{addr: "127.0.0.1:514"}, {addr: "127.0.0.1:514"}, {addr: "127.0.0.2:514"},
		{err: errors.New("write: broken pipe")}, {panic: true},
	}})
	chunk := appendEvent(t, nil, map[string]any{"event_id": "PM-001"})
	for range 3 {
		require.Equal(t, flbOK, in.Flush(chunk))
	}
	require.Equal(t, flbRetry, in.Flush(chunk))
	require.Panics(t, func() { in.Flush(chunk) })
	assert.Equal(t, map[string]uint64{
		`fluentbit_siem_cef_events_total{result="sent"}`: 3,
		"fluentbit_siem_cef_address_changes_total":       1,
		"fluentbit_siem_cef_retried_flushes_total":       2,
	}, m.snapshot())
	assertAgree(t, in, m)
}

// Every series a dashboard may draw exists from the start: each result of events_total, each
// configured address of connect_failures_total, and the other series once.
func TestLabelValuesAreEveryResultAndEveryAddress(t *testing.T) {
	cfg := testConfig(t, "10.0.0.1:514,[2001:db8::1]:6514", "tcp")
	assert.Equal(t, []string{"sent", "filtered", "shortened", "too_large", "skipped", "rejected"}, labelValues(seriesEvents, cfg))
	assert.Equal(t, []string{"10.0.0.1:514", "[2001:db8::1]:6514"}, labelValues(seriesConnectFailures, cfg))
	for _, s := range []series{seriesFieldProblems, seriesBadTimes, seriesGroupMarkers, seriesRetriedFlushes, seriesAddressChanges} {
		assert.Equal(t, []string{""}, labelValues(s, cfg), seriesInfo[s].name)
	}
}

// README "Metrics": sent counts "events delivered to the SIEM", and over tcp an event is delivered
// once the SIEM's host acknowledged it. A flush whose wait for that acknowledgement fails delivered
// none it knows of: its events are sent again, and counted then.
func TestEventsTheSIEMNeverAcknowledgedAreNotCountedSent(t *testing.T) {
	ln := loopback.Listen(t)
	loopback.Serve(ln, func(c net.Conn) {
		defer c.Close()
		time.Sleep(10 * time.Second) // reads nothing
	})
	props := map[string]string{"Address": ln.Addr().String(), "Protocol": "tcp", "Hostname": "kcs-node", "Write_Timeout": "200ms"}
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return props[k] }), "test")
	require.NoError(t, err)
	m := newFakeMetrics()
	in := newInstance(cfg, &fakeLog{}, m)
	defer in.Close()
	var chunk []byte
	for range 2000 {
		chunk = appendEvent(t, chunk, map[string]any{"log": strings.Repeat("x", 300)})
	}
	require.Equal(t, flbRetry, in.Flush(chunk), in.log.(*fakeLog).text())
	require.Contains(t, in.log.(*fakeLog).text(), "acknowledgement", "the kernel took the chunk; the SIEM did not")
	assert.Zero(t, m.snapshot()[`fluentbit_siem_cef_events_total{result="sent"}`])
	assertAgree(t, in, m)
}
