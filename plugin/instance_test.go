package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLog stands in for Fluent Bit's logger and keeps every line.
type fakeLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *fakeLog) Enabled(level int) bool { return true }
func (l *fakeLog) Log(level int, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, msg)
}

func (l *fakeLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func testConfig(t testing.TB, address, protocol string) *config.Config {
	t.Helper()
	props := map[string]string{"Address": address, "Protocol": protocol, "Hostname": "kcs-node", "Write_Timeout": "2s"}
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return props[k] }), "test")
	require.NoError(t, err)
	return cfg
}

var fixtureStart = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)

func fixtureChunk(t testing.TB) ([]byte, int) {
	f, err := os.Open("../test/fixtures/events.jsonl")
	require.NoError(t, err)
	defer f.Close()
	chunk, n, err := fbchunk.FromJSONLines(f, fixtureStart, time.Second)
	require.NoError(t, err)
	return chunk, n
}

// lineReceiver collects the lines of every TCP connection it accepts.
func lineReceiver(t testing.TB) (string, <-chan string) {
	lines := make(chan string, 100000)
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			lines <- sc.Text()
		}
	})
	return addr, lines
}

func collect(t *testing.T, lines <-chan string, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		select {
		case l := <-lines:
			got = append(got, l)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d of %d lines", len(got), n)
		}
	}
	return got
}

func TestFlushDeliversEveryEventOverTCP(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	defer in.Close()
	chunk, n := fixtureChunk(t)
	require.Equal(t, flbOK, in.Flush(chunk))
	got := collect(t, lines, n)
	for i, l := range got {
		_, m, err := cef.ParseSyslog(l)
		require.NoError(t, err, "line %d: %s", i, l)
		assert.NotEmpty(t, m.ClassID)
	}
	assert.True(t, strings.HasPrefix(got[0], "<163>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|PM-002|Process management|7|"), got[0])
	assert.Equal(t, uint64(n), in.stats[statSent])
}

func TestFlushReturnsRetryWhenTheSIEMIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	defer in.Close()
	chunk, _ := fixtureChunk(t)
	assert.Equal(t, flbRetry, in.Flush(chunk))
	assert.Contains(t, log.text(), "delivery failed, returning FLB_RETRY (Fluent Bit retries the chunk unless its Retry_Limit is used up): connect "+addr+" (tcp)")
	assert.Contains(t, log.text(), "connection refused")
}

func TestFlushOfADamagedChunkDeliversWhatCameBeforeAndIsNotOK(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	defer in.Close()
	var chunk []byte
	var err error
	for i := range 3 {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "ADM-001", "user": "u" + string(rune('0'+i))})
		require.NoError(t, err)
	}
	cut := len(chunk) - 4 // the third event loses its tail
	assert.Equal(t, flbError, in.Flush(chunk[:cut]))
	got := collect(t, lines, 2)
	assert.Contains(t, got[0], "suser=u0")
	assert.Contains(t, got[1], "suser=u1")
	assert.Contains(t, log.text(), "malformed chunk at byte")
	assert.Contains(t, log.text(), "the 2 events before it were delivered")
	select {
	case l := <-lines:
		t.Fatalf("an event from the damaged part was sent: %s", l)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestFlushSkipsAndLogsAnEventWhoseBodyIsNotAMap(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	defer in.Close()
	chunk, err := fbchunk.AppendEvent(nil, fixtureStart, "just a string")
	require.NoError(t, err)
	chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "API-001", "status": "Success"})
	require.NoError(t, err)
	assert.Equal(t, flbOK, in.Flush(chunk))
	assert.Contains(t, collect(t, lines, 1)[0], "|API-001|API|3|outcome=Success")
	assert.Contains(t, log.text(), "event at byte 0 skipped: its body is not a map")
	assert.Equal(t, uint64(1), in.stats[statSkipped])
}

func TestFlushOverUDPShortensToMaxMessageSize(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	log := &fakeLog{}
	cfg := testConfig(t, pc.LocalAddr().String(), "udp")
	cfg.MaxMessageSize = 2048
	in := newInstance(cfg, log, noMetrics{})
	defer in.Close()
	// The second event is far longer than a datagram may be: its longest values are cut.
	var chunk []byte
	events := []map[string]any{
		{"event_id": "PM-001", "message": "small"},
		{"event_id": "PM-001", "message": "big", "cluster": strings.Repeat("€", 4000), "command": strings.Repeat("c", 4000)},
		{"event_id": "PM-001", "message": "huge header", "event_name": strings.Repeat("N", 512), "source": strings.Repeat("s", 100)},
		{"event_id": "PM-001", "message": "small again"},
	}
	for _, ev := range events {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, ev)
		require.NoError(t, err)
	}
	assert.Equal(t, flbOK, in.Flush(chunk))
	buf := make([]byte, 65535)
	var got []string
	for range 4 {
		require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		require.NoError(t, err)
		assert.LessOrEqual(t, n, 2048, "never larger than Max_Message_Size")
		_, m, err := cef.ParseSyslog(string(buf[:n]))
		require.NoError(t, err)
		msg, _ := m.Get("msg")
		got = append(got, msg)
	}
	assert.Equal(t, []string{"small", "big", "huge header", "small again"}, got)
	assert.Equal(t, uint64(1), in.stats[statShortened])
}

func TestWarningsOfOneFlushAreBounded(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	defer in.Close()
	var chunk []byte
	var err error
	for range 12 {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "NT-001", "src_ip": "not-an-ip"})
		require.NoError(t, err)
	}
	assert.Equal(t, flbOK, in.Flush(chunk))
	assert.Len(t, collect(t, lines, 12), 12, "every event is still sent")
	assert.Equal(t, 5, strings.Count(log.text(), "field src_ip: not an IPv4 or IPv6 address; left out"))
	assert.Contains(t, log.text(), "7 more warnings in this chunk not shown")
	assert.Equal(t, uint64(12), in.stats[statFieldProblems])
}

func TestStatsAreLoggedOncePerInterval(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	cfg := testConfig(t, addr, "tcp")
	cfg.StatsInterval = time.Minute
	in := newInstance(cfg, log, noMetrics{})
	defer in.Close()
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	in.now = func() time.Time { return clock }
	in.lastStats = clock
	chunk, n := fixtureChunk(t)

	require.Equal(t, flbOK, in.Flush(chunk))
	assert.NotContains(t, log.text(), "stats:", "not before the interval")
	clock = clock.Add(61 * time.Second)
	require.Equal(t, flbOK, in.Flush(chunk))
	require.Equal(t, flbOK, in.Flush(chunk))
	collect(t, lines, 3*n)
	assert.Equal(t, 1, strings.Count(log.text(), "stats: "), log.text())
	assert.Contains(t, log.text(), fmt.Sprintf("stats: sent=%d filtered=0 shortened=0 skipped=0 too_large=0 field_problems=0 bad_times=0 rejected=0 group_markers=0 retried_flushes=0 connect_failures=0 address_changes=0", 2*n))
}

// README "Performance": "peak RSS stays near 18 MiB" (256 KiB batches). A lane's batch is
// made as large as it gets, so that filling it never copies it: a copy is garbage that stays
// resident, the plugin allocating too little for the Go heap to be collected.
func TestTheBatchIsNeverCopied(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1:514", "tcp")
	in := newInstance(cfg, &countLog{}, noMetrics{})
	l := withTransport(in, discardTransport{})
	defer in.Close()
	buf := unsafe.SliceData(l.batch.Buf)
	require.NotNil(t, buf)
	one, n := fixtureChunk(t)
	var chunk []byte
	for len(chunk) < 4*batchBytes {
		chunk = append(chunk, one...)
	}
	require.Equal(t, flbOK, in.Flush(chunk))
	assert.Greater(t, in.stats[statSent], uint64(4*n))
	assert.Equal(t, buf, unsafe.SliceData(l.batch.Buf))
}

type downTransport struct{}

func (downTransport) Send(*deliver.Batch) error {
	return &deliver.Error{Op: "connect", Addr: "siem:514", Net: "tcp", Err: errors.New("refused")}
}
func (downTransport) Confirm(time.Time) error  { return nil }
func (downTransport) Framing() deliver.Framing { return deliver.FramingNewline }
func (downTransport) Connected() string        { return "" }
func (downTransport) Close() error             { return nil }

// README "Metrics": filtered counts "events not for this integration", and the PromQL recipe of the
// events that "did not reach the SIEM" sums too_large, skipped and rejected: events, not tries. A
// chunk Fluent Bit sends three times before the SIEM takes it is counted once.
func TestARetriedChunkCountsItsEventsOnce(t *testing.T) {
	props := map[string]string{"Address": "127.0.0.1:9", "Hostname": "kcs-node", "Runtime_Events": "none"}
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return props[k] }), "test")
	require.NoError(t, err)
	chunk, _ := fixtureChunk(t)
	once := newInstance(cfg, &fakeLog{}, noMetrics{})
	withTransport(once, discardTransport{})
	require.Equal(t, flbOK, once.Flush(chunk))
	require.NotZero(t, once.stats[statFiltered])

	in := newInstance(cfg, &fakeLog{}, noMetrics{})
	l := withTransport(in, downTransport{})
	for range 2 {
		require.Equal(t, flbRetry, in.Flush(chunk))
	}
	assert.Zero(t, in.stats[statFiltered], "nothing is counted while the chunk waits for its retry")
	l.transport = discardTransport{}
	require.Equal(t, flbOK, in.Flush(chunk))
	assert.Equal(t, once.stats[statFiltered], in.stats[statFiltered])
	assert.Equal(t, uint64(2), in.stats[statRetriedFlushes], "retried_flushes counts each try")
}

// Instances are numbered as Fluent Bit names them, siem_cef.0 first, and again from 0 in a new
// configuration generation (a hot reload).
func TestInstanceIndexesStartAtZeroInEachGeneration(t *testing.T) {
	r := &registry{byCtx: map[uint64]*instance{}}
	assert.Equal(t, 0, r.nextIndex())
	assert.Equal(t, 1, r.nextIndex())
	r.newGeneration()
	assert.Equal(t, 0, r.nextIndex())
}

// Two outputs of one configuration with one Integration are told at start (their log lines and
// metrics would be one); a hot reload's new configuration may take the names again.
func TestAnIntegrationNameIsClaimedOncePerGeneration(t *testing.T) {
	r := &registry{byCtx: map[uint64]*instance{}}
	assert.False(t, r.claim("soc"))
	assert.False(t, r.claim("ir"))
	assert.True(t, r.claim("soc"), "a second output named soc")
	r.newGeneration()
	assert.False(t, r.claim("soc"), "the reloaded configuration's soc")
}

// README "Bounded time": "a SIEM must take at least 1 MiB per Write_Timeout" for a flush to get
// through, counted in the bytes the flush writes: small records make lines 3 to 6 times their
// msgpack size, so a budget counted in the chunk's bytes cut a steady SIEM above that rate short.
func TestASteadySIEMAboveTheMinimumRateGetsAChunkOfSmallRecords(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	const perWriteTimeout = 12 << 20 / 10 // 1.2 MiB
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(64 << 10) // no large receive buffer that takes the chunk at once
		buf := make([]byte, 64<<10)
		start, got := time.Now(), 0
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			got += n
			time.Sleep(time.Until(start.Add(time.Duration(float64(got) / perWriteTimeout * float64(writeTimeout)))))
		}
	})
	props := map[string]string{"Address": addr, "Protocol": "tcp", "Hostname": "kcs-node", "Write_Timeout": writeTimeout.String(), "Connect_Timeout": "50ms"}
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return props[k] }), "test")
	require.NoError(t, err)
	in := newInstance(cfg, &fakeLog{}, noMetrics{})
	defer in.Close()
	var chunk []byte
	for len(chunk) < 1<<20-100 { // 1 MiB of msgpack, more than 5 MiB of lines
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"log": "x"})
		require.NoError(t, err)
	}
	assert.Equal(t, flbOK, in.Flush(chunk), in.log.(*fakeLog).text())
}

// A SIEM that closes the connection after each flush it acknowledged (a receiver that cannot read
// the framing does so, and what it was sent is lost) is told in the log at each reconnection: the
// flush itself cannot tell.
func TestAReconnectionToASIEMThatClosedTheConnectionIsLogged(t *testing.T) {
	chunk, n := fixtureChunk(t)
	lines := make(chan string, 2*n)
	closeNow := make(chan struct{})
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(c)
		for i := 0; i < n && sc.Scan(); i++ {
			lines <- sc.Text()
		}
		<-closeNow // between flushes: one that closes during a flush fails it
	})
	t.Cleanup(func() { close(closeNow) })
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	defer in.Close()
	require.Equal(t, flbOK, in.Flush(chunk))
	collect(t, lines, n)
	assert.NotContains(t, log.text(), "had closed the connection")
	closeNow <- struct{}{}
	time.Sleep(50 * time.Millisecond) // the receiver's close reaches this host
	require.Equal(t, flbOK, in.Flush(chunk))
	collect(t, lines, n)
	assert.Contains(t, log.text(), addr+" had closed the connection since the last flush; reconnected (a restart or an idle time-out does that)")
	assert.NotContains(t, log.text(), "after each of the last")

	// closed after every flush: from the third in a row, a warning that points at Framing
	for range 2 {
		closeNow <- struct{}{}
		time.Sleep(50 * time.Millisecond)
		require.Equal(t, flbOK, in.Flush(chunk))
		collect(t, lines, n)
	}
	assert.Contains(t, log.text(), addr+" had closed the connection after each of the last 3 flushes; reconnected: a SIEM that closes after every flush may be refusing this Framing or Protocol")
}
