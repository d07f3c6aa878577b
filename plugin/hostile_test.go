package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/internal/relptest"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// withTransport gives the instance a lane that sends through t, before any other is made.
func withTransport(in *instance, t deliver.Transport) *lane {
	l := in.newLane()
	l.transport.Close()
	l.transport = t
	in.lanes = append(in.lanes, l)
	in.idle <- l
	return l
}

// panicTransport panics in Send, as a bug anywhere below the entry point would.
type panicTransport struct{ closed bool }

func (t *panicTransport) Send(*deliver.Batch) error {
	panic("boom\n[2026/01/01 00:00:00] [ info] forged") // the panic
}
func (t *panicTransport) Confirm(time.Time) error  { return nil }
func (t *panicTransport) Framing() deliver.Framing { return deliver.FramingNewline }
func (t *panicTransport) Connected() string        { return "" }
func (t *panicTransport) Close() error             { t.closed = true; return nil }

// lineOf is the line of this test file that holds marker.
func lineOf(t *testing.T, marker string) int {
	t.Helper()
	b, err := os.ReadFile("hostile_test.go")
	require.NoError(t, err)
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(line, marker) {
			return i + 1
		}
	}
	t.Fatalf("no line ends with %q", marker)
	return 0
}

// A panic in a flush reaches no further than FLBPluginFlushCtx: one error line names the function and
// where the panic started (its text quoted), the flush answers RETRY, the lane's connection is
// closed and the lane replaced, and the next flush delivers.
func TestAPanicInAFlushIsRecoveredAndItsLaneReplaced(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	in := newInstance(testConfig(t, addr, "tcp"), log, noMetrics{})
	broken := &panicTransport{}
	l := withTransport(in, broken)
	id := instances.add(in)
	defer func() { instances.remove(id); in.Close() }()
	chunk, n := fixtureChunk(t)
	flush := func() int { return flushCtx(id, unsafe.Pointer(&chunk[0]), uint64(len(chunk))) }

	assert.Equal(t, flbRetry, flush())
	assert.Equal(t, []string{fmt.Sprintf(`FLBPluginFlushCtx recovered from a panic at plugin/hostile_test.go:%d: "boom\n[2026/01/01 00:00:00] [ info] forged"`,
		lineOf(t, "// the panic"))}, log.lines)
	assert.True(t, broken.closed)
	require.Len(t, in.lanes, 1)
	assert.NotSame(t, l, in.lanes[0])
	assert.Equal(t, uint64(1), in.stats[statRetriedFlushes])

	assert.Equal(t, flbOK, flush())
	assert.Len(t, collect(t, lines, n), n)
}

func outOfRange(s []int, i int) int {
	return s[i] // index out of range
}

// The place named is the innermost frame of the project's code, past the runtime's frames (an
// index out of range) and the libraries' (strings.Repeat's own panic).
func TestRecoverPanicNamesTheInnermostFrameOfTheProject(t *testing.T) {
	guarded := func(log logger, f func()) (rc int) {
		defer recoverPanic("FLBPluginInit", log, &rc, flbError)
		f()
		return flbOK
	}
	log := &fakeLog{}
	assert.Equal(t, flbError, guarded(log, func() { outOfRange([]int{1}, 5) }))
	assert.Equal(t, flbError, guarded(log, func() {
		_ = strings.Repeat("x", -1) // a library's panic
	}))
	assert.Equal(t, flbOK, guarded(log, func() {}))
	assert.Equal(t, []string{
		fmt.Sprintf(`FLBPluginInit recovered from a panic at plugin/hostile_test.go:%d: "runtime error: index out of range [5] with length 1"`, lineOf(t, "// index out of range")),
		fmt.Sprintf(`FLBPluginInit recovered from a panic at plugin/hostile_test.go:%d: "strings: negative Repeat count"`, lineOf(t, "// a library's panic")),
	}, log.lines)
}

// Whatever a message holds, Fluent Bit's log gets one line without control characters, invalid
// UTF-8, line separators or bidi controls.
func TestOneLineEscapesWhatCouldEndALineOrMoveTheTerminal(t *testing.T) {
	for msg, want := range map[string]string{
		"plain, é and … and \\n":         "plain, é and … and \\n",
		"a\nb\rc\td":                     `a\nb\rc\td`,
		"\x1b[2Jclear\x00\x7f":           `\x1b[2Jclear\x00\x7f`,
		"c1 \u0085\u009b":                `c1 \u0085\u009b`,
		"sep \u2028\u2029":               `sep \u2028\u2029`,
		"bidi \u202egnp.exe\u200b\ufeff": `bidi \u202egnp.exe\u200b\ufeff`,
		"bad \xff\x9b\xe2\x82":           `bad \xff\x9b\xe2\x82`,
	} {
		assert.Equal(t, want, oneLine(msg), "%q", msg)
	}
}

// forged is what a record's author writes to forge a line of Fluent Bit's log and move the
// operator's terminal.
const forged = "x\n[2026/01/01 00:00:00] [ info] [siem_cef:siem] stats: sent=0\x1b[2J\u2028\u202e"

// Every message the instance logs about a hostile record is one line, the record's text quoted.
func TestNoRecordTextReachesTheLogUnquoted(t *testing.T) {
	log := &fakeLog{}
	cfg := testConfig(t, "127.0.0.1:514", "udp")
	in := newInstance(cfg, log, noMetrics{})
	withTransport(in, discardTransport{})
	defer in.Close()
	var chunk []byte
	var err error
	for _, key := range []string{"src_ip", "dst_ip", "pid", "ppid", "dst_port", "src_port", "direction", "severity"} {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": forged, key: forged})
		require.NoError(t, err)
	}
	require.Equal(t, flbOK, in.Flush(chunk))
	// Below what configuration accepts: no message fits, and each is logged as too large.
	small := *cfg
	small.MaxMessageSize = 60
	tooSmall := newInstance(&small, log, noMetrics{})
	withTransport(tooSmall, discardTransport{})
	defer tooSmall.Close()
	require.Equal(t, flbOK, tooSmall.Flush(chunk))

	require.GreaterOrEqual(t, len(log.lines), 10)
	assert.Contains(t, log.text(), `("x\n[2026/01/01 00:00:00] [ info] [siem_cef:siem] stats: sent=0\x1b[2J\u2028\u202e")`)
	assert.Contains(t, log.text(), `stats: sent=0\x1b[2J\u2028\u202e"): its header alone is longer than the 60 bytes of Max_Message_Size; not sent`)
	for _, line := range log.lines {
		assert.Equal(t, -1, strings.IndexFunc(line, unsafeInLog), "%q", line)
	}
}

// discardTransport delivers everything, nowhere.
type discardTransport struct{}

func (discardTransport) Send(*deliver.Batch) error { return nil }
func (discardTransport) Confirm(time.Time) error   { return nil }
func (discardTransport) Framing() deliver.Framing  { return deliver.FramingNewline }
func (discardTransport) Connected() string         { return "" }
func (discardTransport) Close() error              { return nil }

// A message that cannot be shortened is logged within the per-flush limit, as warnings are.
func TestMessagesThatCannotBeShortenedAreLoggedWithinTheLimit(t *testing.T) {
	log := &fakeLog{}
	cfg := testConfig(t, "127.0.0.1:514", "udp")
	cfg.MaxMessageSize = 60 // below what configuration accepts: no message fits
	in := newInstance(cfg, log, noMetrics{})
	withTransport(in, discardTransport{})
	defer in.Close()
	var chunk []byte
	var err error
	for range 12 {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "PM-001"})
		require.NoError(t, err)
	}
	assert.Equal(t, flbOK, in.Flush(chunk))
	assert.Equal(t, 5, strings.Count(log.text(), `("PM-001"): its header alone is longer than the 60 bytes of Max_Message_Size; not sent`), log.text())
	assert.Contains(t, log.text(), "7 more warnings in this chunk not shown")
	assert.Equal(t, uint64(12), in.stats[statTooLarge])
}

// recordingTransport keeps the deadline and the size of each batch it is given, and the deadline of
// each Confirm.
type recordingTransport struct {
	deadlines, confirms []time.Time
	sizes               []int
}

func (r *recordingTransport) Send(b *deliver.Batch) error {
	r.deadlines = append(r.deadlines, b.Deadline)
	r.sizes = append(r.sizes, len(b.Buf))
	return nil
}
func (r *recordingTransport) Confirm(deadline time.Time) error {
	r.confirms = append(r.confirms, deadline)
	return nil
}
func (r *recordingTransport) Framing() deliver.Framing { return deliver.FramingNewline }
func (r *recordingTransport) Connected() string        { return "" }
func (r *recordingTransport) Close() error             { return nil }

// README "Bounded time": the flush's deadline is its start plus Connect_Timeout × addresses + (2 +
// the MiB it has written, rounded up) × Write_Timeout. Each send has the deadline of what the flush
// will have written with it (it was one deadline for the chunk's size, before the budget counted the
// bytes on the wire), and the wait for the SIEM to confirm them has the last.
func TestAFlushsDeadlineFollowsTheBytesItWrites(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1:514,127.0.0.2:514", "tcp")
	in := newInstance(cfg, &fakeLog{}, noMetrics{})
	rec := &recordingTransport{}
	withTransport(in, rec)
	defer in.Close()
	var chunk []byte
	var err error
	for range 6 * batchBytes / 1000 { // more than one MiB: msg carries 1,023 characters
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "PM-001", "message": strings.Repeat("m", 4000)})
		require.NoError(t, err)
	}
	before := time.Now()
	require.Equal(t, flbOK, in.Flush(chunk))
	after := time.Now()
	require.Greater(t, len(rec.deadlines), 4)
	require.Equal(t, rec.confirms, rec.deadlines[len(rec.deadlines)-1:], "one Confirm, at the end of the flush, with the last deadline")
	written := 0
	for i, d := range rec.deadlines {
		written += rec.sizes[i]
		mib := (written + 1<<20 - 1) >> 20
		budget := time.Duration(2)*cfg.ConnectTimeout + time.Duration(2+mib)*cfg.WriteTimeout
		assert.False(t, d.Before(before.Add(budget)) || d.After(after.Add(budget)), "send %d, %d bytes written: %v not in [%v, %v]", i, written, d, before.Add(budget), after.Add(budget))
	}
	assert.Greater(t, written, 1<<20, "the deadline grew past the first MiB")
}

// relpServer answers 500 to every message that contains refuse, 200 to the others.
func relpServer(t *testing.T, refuse string) string {
	return loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			txnr, cmd, data, err := relptest.ReadFrame(r)
			if err != nil || relptest.Reply(c, txnr, cmd, !strings.Contains(string(data), refuse)) != nil || cmd == "close" {
				return
			}
		}
	})
}

// Events the SIEM refuses for good are counted apart from the sent ones, with one warning, and the
// flush is OK: sending them again would change nothing.
func TestEventsTheSIEMRefusesAreCountedAndNotRetried(t *testing.T) {
	log := &fakeLog{}
	cfg := testConfig(t, relpServer(t, "msg=refuse"), "relp")
	cfg.StatsInterval = time.Nanosecond
	in := newInstance(cfg, log, noMetrics{})
	defer in.Close()
	var chunk []byte
	var err error
	for i := range 12 {
		msg := "fine"
		if i%4 == 0 {
			msg = "refuse"
		}
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "PM-001", "message": msg})
		require.NoError(t, err)
	}
	assert.Equal(t, flbOK, in.Flush(chunk))
	assert.Equal(t, uint64(9), in.stats[statSent])
	assert.Equal(t, uint64(3), in.stats[statRejected])
	assert.Contains(t, log.text(), "the SIEM refused 3 events for good (RELP status 5xx); they are not sent again")
	assert.Contains(t, log.text(), "stats: sent=9 filtered=0 shortened=0 skipped=0 too_large=0 field_problems=0 bad_times=0 rejected=3 group_markers=0 retried_flushes=0 connect_failures=0 address_changes=0")
}

// An event whose time no syslog time stamp can carry is sent with the time of the flush, and
// counted.
func TestAnEventWithAnImpossibleTimeIsSentAndCounted(t *testing.T) {
	addr, lines := lineReceiver(t)
	log := &fakeLog{}
	cfg := testConfig(t, addr, "tcp")
	cfg.Format = cef.RFC5424
	cfg.StatsInterval = time.Nanosecond
	in := newInstance(cfg, log, noMetrics{})
	defer in.Close()
	body, err := msgpack.Marshal(map[string]any{"event_id": "PM-001"})
	require.NoError(t, err)
	stamp := binary.BigEndian.AppendUint64([]byte{0x92, 0x92, 0xcb}, math.Float64bits(math.NaN()))
	chunk := append(append(stamp, 0x80), body...)

	before := time.Now().UTC().Truncate(time.Millisecond)
	require.Equal(t, flbOK, in.Flush(chunk))
	s, _, err := cef.ParseSyslog(collect(t, lines, 1)[0])
	require.NoError(t, err)
	sent, err := time.Parse(time.RFC3339Nano, s.Stamp)
	require.NoError(t, err)
	assert.False(t, sent.Before(before) || sent.After(time.Now()), "%v", sent)
	assert.Equal(t, uint64(1), in.stats[statBadTimes])
	assert.Contains(t, log.text(), "bad_times=1 ")
}

// A chunk of records with bad values logs five warnings and counts the rest without writing them:
// 1,000 such records cost a flush no more allocations than a handful (about 7,000 when every
// warning was written and thrown away).
func TestWarningsPastTheLimitAreNeverWritten(t *testing.T) {
	log := &fakeLog{}
	in := newInstance(testConfig(t, "127.0.0.1:514", "udp"), log, noMetrics{})
	withTransport(in, discardTransport{})
	defer in.Close()
	var chunk []byte
	var err error
	for range 1000 {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{"event_id": "NT-001", "src_port": "https", "severity": "urgent"})
		require.NoError(t, err)
	}
	require.Equal(t, flbOK, in.Flush(chunk))
	assert.Contains(t, log.text(), "1995 more warnings in this chunk not shown")
	allocs := testing.AllocsPerRun(5, func() { in.Flush(chunk) })
	assert.Less(t, allocs, 200.0)
}
