package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// floodChunk is n process events and, every fifth, a network event, then the category events.
func floodChunk(t testing.TB, n int, category ...map[string]any) []byte {
	t.Helper()
	var records []map[string]any
	for i := range n {
		r := processEvent()
		if i%5 == 4 {
			r = map[string]any{"event_id": "NT-001", "status": "Audit", "dst_ip": "10.0.0.2", "dst_port": 443}
		}
		r["command"] = "cmd " + strconv.Itoa(i)
		records = append(records, r)
	}
	return chunkOf(t, time.Millisecond, append(records, category...)...)
}

// Over Max_Events_Per_Second, runtime events are held back; one summary, which the strict decoder
// takes, says how many and of which types before the next event sent (here a category event,
// which is never held back), and the counts add up: sent + held back = received.
func TestRateCeilingSummaryBeforeTheNextEventSent(t *testing.T) {
	adm := map[string]any{"event_id": "ADM-001", "status": "Success", "user": "alice"}
	chunk := floodChunk(t, 250, adm)
	p := New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "100"}))
	lines, st := runLines(t, p, chunk)

	assert.Equal(t, Stats{Emitted: 101, RateLimited: 150, Summaries: 1}, st)
	assert.Equal(t, 251, st.Emitted+st.RateLimited)
	require.Len(t, lines, 102)
	assert.Contains(t, lines[99], "cs4=cmd 99 ")
	// Held back: events 100 to 249, 120 process and 30 network events, at t0+100ms to t0+249ms.
	assert.Equal(t, fmt.Sprintf("<164>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|"+
		`SIEMCEF-001|Events not sent: rate ceiling|5|cnt=150 start=%d end=%d msg=PM\=120 NT\=30`, t0ms+100, t0ms+249), lines[100])
	m := decoded(t, lines[100])
	msg, _ := m.Get("msg")
	assert.Equal(t, "PM=120 NT=30", msg)
	assert.Contains(t, lines[101], "|ADM-001|")
}

// When nothing more is sent in the flush, the summary is its last message.
func TestRateCeilingSummaryAtTheEndOfTheFlush(t *testing.T) {
	p := New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "10"}))
	lines, st := runLines(t, p, floodChunk(t, 12))
	assert.Equal(t, Stats{Emitted: 10, RateLimited: 2, Summaries: 1}, st)
	require.Len(t, lines, 11)
	assert.True(t, strings.HasSuffix(lines[10], fmt.Sprintf("|SIEMCEF-001|Events not sent: rate ceiling|5|cnt=2 start=%d end=%d msg=PM\\=2", t0ms+10, t0ms+11)), lines[10])
}

// The bucket holds one second of events and is refilled by the time between flushes: half a
// second later, half of it; an idle minute later, a full second's worth and no more.
func TestRateCeilingRefillsWithTime(t *testing.T) {
	p := New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "100"}))
	now := t0
	p.now = func() time.Time { return now }
	chunk := floodChunk(t, 300)
	for _, c := range []struct {
		after time.Duration
		sent  int
	}{{0, 100}, {0, 0}, {500 * time.Millisecond, 50}, {time.Minute, 100}} {
		now = now.Add(c.after)
		_, st := runLines(t, p, chunk)
		assert.Equal(t, Stats{Emitted: c.sent, RateLimited: 300 - c.sent, Summaries: 1}, st, "after %v", c.after)
	}
}

// The lanes of an integration share its bucket: two flushes at once send a second's worth
// together.
func TestRateCeilingIsSharedByTheLanes(t *testing.T) {
	cfg := loadConfig(t, map[string]string{"Max_Events_Per_Second": "100"})
	c := NewCeiling(cfg)
	chunk := floodChunk(t, 150)
	var wg sync.WaitGroup
	stats := make([]Stats, 2)
	for i := range stats {
		p := NewLane(cfg, c)
		wg.Go(func() { _, stats[i] = runLines(t, p, chunk) })
	}
	wg.Wait()
	assert.Equal(t, 100, stats[0].Emitted+stats[1].Emitted)
	assert.Equal(t, 200, stats[0].RateLimited+stats[1].RateLimited)
}

// An aggregated event takes one token; held back, it counts every event it stands for.
func TestRateCeilingCountsAggregatedEvents(t *testing.T) {
	records := []map[string]any{processEvent(), processEvent()}
	nt := map[string]any{"event_id": "NT-001", "status": "Audit", "dst_ip": "10.0.0.2", "dst_port": 443}
	records = append(records, nt, nt, nt, processEvent())
	p := New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "1", "Aggregate": "10s"}))
	lines, st := runLines(t, p, chunkOf(t, time.Millisecond, records...))
	assert.Equal(t, Stats{Emitted: 1, Aggregated: 2, RateLimited: 3, Summaries: 1}, st)
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], fmt.Sprintf(" cnt=3 start=%d end=%d ", t0ms, t0ms+5))
	assert.Contains(t, lines[1], fmt.Sprintf("cnt=3 start=%d end=%d msg=NT\\=3", t0ms+2, t0ms+4))
}

// README, Volume control: category events are never held back "and take a token when one is left":
// two category events spend a ceiling of 2, so the runtime event after them is held back.
func TestRateCeilingCategoryEventsTakeATokenWhenOneIsLeft(t *testing.T) {
	adm := map[string]any{"event_id": "ADM-001", "status": "Success", "user": "alice"}
	p := New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "2"}))
	lines, st := runLines(t, p, chunkOf(t, time.Millisecond, adm, adm, processEvent()))
	assert.Equal(t, Stats{Emitted: 2, RateLimited: 1, Summaries: 1}, st)
	require.Len(t, lines, 3)
	assert.Contains(t, lines[2], "|SIEMCEF-001|")
}

// The summary's end is the latest time of the events held back, whatever their order in the chunk.
func TestRateCeilingSummaryEndIsTheLatestTime(t *testing.T) {
	var chunk []byte
	for i, at := range []time.Duration{0, 5 * time.Second, 3 * time.Second} {
		r := processEvent()
		r["command"] = fmt.Sprint("cmd ", i)
		var err error
		chunk, err = fbchunk.AppendEvent(chunk, t0.Add(at), r)
		require.NoError(t, err)
	}
	p := New(loadConfig(t, map[string]string{"Max_Events_Per_Second": "1"}))
	lines, st := runLines(t, p, chunk)
	assert.Equal(t, Stats{Emitted: 1, RateLimited: 2, Summaries: 1}, st)
	require.Len(t, lines, 2)
	assert.True(t, strings.HasSuffix(lines[1], fmt.Sprintf("|cnt=2 start=%d end=%d msg=PM\\=2", t0ms+3000, t0ms+5000)), lines[1])
}

// An aggregated group whose header alone is over Max_Message_Size counts each of its events as too
// large: events in = sent + too large (docs: every event is accounted for).
func TestAggregatedEventsTooLargeAreCountedEach(t *testing.T) {
	cfg := loadConfig(t, map[string]string{"Aggregate": "10s"})
	cfg.MaxMessageSize = 60 // below what configuration accepts: no header fits (as plugin/hostile_test.go)
	p := New(cfg)
	r := processEvent()
	lines, st := runLines(t, p, chunkOf(t, time.Millisecond, r, r, r))
	assert.Empty(t, lines)
	assert.Equal(t, 3, st.TooLarge, "%+v", st)
}
