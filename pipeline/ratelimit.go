package pipeline

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// Ceiling is the token bucket of an integration's Max_Events_Per_Second, which the pipelines of
// its flushes in flight share. It holds one second of events, starts full, and is refilled at
// the start of each run by the wall-clock time since the last one (monotonic, so a clock step
// changes nothing); within a run only what it held at the start is taken, so a run's outcome
// depends on its chunk and its start alone.
type Ceiling struct {
	mu        sync.Mutex
	perSecond float64
	tokens    float64
	last      time.Time
}

// NewCeiling is the integration's bucket, nil when it has no ceiling.
func NewCeiling(cfg *config.Config) *Ceiling {
	if cfg.MaxEventsPerSecond == 0 {
		return nil
	}
	n := float64(cfg.MaxEventsPerSecond)
	return &Ceiling{perSecond: n, tokens: n}
}

// refill adds the tokens of the time since the last refill.
func (c *Ceiling) refill(now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := now.Sub(c.last); !c.last.IsZero() && d > 0 {
		c.tokens = min(c.perSecond, c.tokens+d.Seconds()*c.perSecond)
	}
	c.last = now
}

// take takes a token, and reports false when there is none.
func (c *Ceiling) take() bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// heldBack counts the events a run held back since its last summary.
type heldBack struct {
	byType     [7]int // per product.RuntimePrefixes
	total      int
	start, end int64 // the earliest and latest of their times, milliseconds since the epoch
	last       time.Time
}

// hold counts n events of ev's type, the first at start and the last at end.
func (h *heldBack) hold(ev *product.Event, n int, start, end int64) {
	if h.total == 0 {
		h.start, h.end = start, end
	}
	h.byType[slices.Index(product.RuntimePrefixes, ev.Type.Prefix)] += n
	h.total += n
	h.start, h.end = min(h.start, start), max(h.end, end)
	h.last = ev.Time
}

var rateCeilingClassID = []byte(product.RateCeilingClassID)

// summary makes ev the event that says what was held back: class ID SIEMCEF-001, severity 5,
// cnt, start, end, and msg naming the types and their counts ("PM=120 NT=3"), in msg's buffer.
// It empties h.
func (h *heldBack) summary(ev *product.Event, msg []byte) []byte {
	msg = msg[:0]
	for i, n := range h.byType {
		if n > 0 {
			if len(msg) > 0 {
				msg = append(msg, ' ')
			}
			msg = append(msg, product.RuntimePrefixes[i]...)
			msg = append(msg, '=')
			msg = strconv.AppendInt(msg, int64(n), 10)
		}
	}
	ev.Reset()
	ev.Type, ev.ClassID, ev.Severity, ev.Time = product.RateCeilingType, rateCeilingClassID, 5, h.last
	ev.Values[product.KeyCnt] = record.Int(int64(h.total))
	ev.Values[product.KeyStart] = record.Int(h.start)
	ev.Values[product.KeyEnd] = record.Int(h.end)
	ev.Values[product.KeyMsg] = record.String(msg)
	*h = heldBack{}
	return msg
}
