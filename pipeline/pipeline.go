// Package pipeline turns one chunk into the CEF messages of one integration: chunk bytes → decoded
// record → mapped CEF event → filter → aggregation and rate ceiling (when configured) → encoded
// line, shortened to Max_Message_Size. The plugin frames and sends the lines; `siem-cef render`
// prints them.
package pipeline

import (
	"fmt"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/internal/logtext"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/schema"
)

// Pipeline holds the reusable state of one integration's pipeline: once warm, a run allocates
// nothing per event. It is not safe for concurrent runs.
type Pipeline struct {
	dec      *record.Decoder
	rec      record.Event
	ev       product.Event
	mapper   schema.Mapper
	filter   *filter.Filter
	out      *product.Writer // each message at most maxSize bytes
	problems []schema.Problem
	line     []byte
	maxSize  int // Max_Message_Size
	// now is the time an event whose own time cannot be written is sent with, read once a run.
	now     func() time.Time
	runTime time.Time
	// agg is nil without Aggregate; ceiling nil without Max_Events_Per_Second.
	agg     *aggregator
	ceiling *Ceiling
	held    heldBack
	summary product.Event
	sumMsg  []byte
	// warnLimit is how many warnings a run hands to warn, all when 0 (LimitWarnings).
	warnLimit int
}

// LimitWarnings makes each run hand at most n warnings to warn, and only count the others in
// Stats.Warnings, never writing them: a chunk of bad records costs no more than a chunk of good ones
// for what its caller would not log.
func (p *Pipeline) LimitWarnings(n int) { p.warnLimit = n }

// wants counts a warning and reports whether the run hands it to warn.
func (p *Pipeline) wants(st *Stats) bool {
	st.Warnings++
	return p.warnLimit == 0 || st.Warnings <= p.warnLimit
}

// New builds the pipeline of an integration, with a rate ceiling of its own.
func New(cfg *config.Config) *Pipeline { return NewLane(cfg, NewCeiling(cfg)) }

// NewLane builds one of the pipelines of an integration that run at once (the plugin's lanes):
// they share the integration's rate ceiling c.
func NewLane(cfg *config.Config, c *Ceiling) *Pipeline {
	m := cfg.Mapping
	p := &Pipeline{
		dec:     record.NewDecoder().WithMergeLogKey(m.MergeLogKey).WithKeys(schema.Keys()),
		mapper:  schema.Mapper{Severity: m.Severity, Schema: m.Schema, Assign: m.Assign},
		filter:  filter.New(cfg.Selection),
		out:     product.NewWriter(cef.NewEncoder(cfg.Header), cfg.MaxMessageSize),
		maxSize: cfg.MaxMessageSize,
		now:     time.Now,
		ceiling: c,
	}
	if cfg.Aggregate > 0 {
		p.agg = newAggregator(cfg.Aggregate)
	}
	return p
}

// Stats count what one run did with the events of its chunk.
type Stats struct {
	Emitted   int // encoded and handed to emit
	Shortened int // emitted shortened to Max_Message_Size
	TooLarge  int // not emitted: even the shortest form is longer than Max_Message_Size
	Filtered  int // not for this integration
	Skipped   int // not a log event (a body that is not a map, a wrong shape)
	Problems  int // values left out or replaced, events carried too large to read: in events not filtered out
	BadTimes  int // emitted with the time of the run: their own was outside years 1-9999
	Markers   int // group markers of OpenTelemetry inputs, not events
	// Aggregated are not emitted themselves: an emitted event counts them in its cnt.
	Aggregated int
	// Unaggregated are emitted one by one: their run had maxAggregates different events before them.
	Unaggregated int
	// RateLimited are not emitted: the rate ceiling held them back. Summaries are the events emitted
	// to say so; Emitted does not count them.
	RateLimited int
	Summaries   int
	// Warnings are the run's warnings, handed to warn or, past the pipeline's limit, only counted.
	Warnings int
}

// Run reads every event of the chunk and hands each message, without framing and at most
// Max_Message_Size long, to emit; the slice is valid until emit returns. Run stops at the first
// error emit returns, and returns it. A damaged chunk ends the run with a *record.ChunkError after
// the events before the damage were emitted. warn receives each skipped event, each problem and
// each time replaced, with its byte offset. Nothing of the chunk outlives the run.
//
// With Aggregate, the same runtime events go out as one, the first, in its place; with
// Max_Events_Per_Second, runtime events over the ceiling are held back, and a summary event goes
// out before the next event sent, or at the end of the run.
func (p *Pipeline) Run(chunk []byte, emit func(msg []byte) error, warn func(msg string)) (st Stats, err error) {
	p.runTime = p.now()
	p.ceiling.refill(p.runTime)
	defer func() {
		st.Markers = p.dec.Markers()
		p.letGo()
	}()
	if p.agg != nil {
		p.collect(chunk)
	}
	p.dec.Reset(chunk)
	for {
		ok, err := p.dec.Next(&p.rec)
		if !ok {
			if serr := p.emitSummary(emit, &st); serr != nil {
				return st, serr
			}
			return st, err
		}
		if err != nil { // a *record.RecordError: this event was stepped over
			if st.Skipped++; p.wants(&st) {
				warn(err.Error())
			}
			continue
		}
		p.problems = p.mapper.Map(&p.rec, &p.ev, p.problems[:0])
		if !p.filter.Allows(&p.ev) { // by type, category and agent group, not the event ID
			st.Filtered++
			continue
		}
		p.reportProblems(&st, warn)
		if !p.fixTime() {
			if st.BadTimes++; p.wants(&st) {
				warn(p.eventWarning("its time is outside years 1-9999; sent with the time of the flush"))
			}
		}
		n, start, end, later := p.aggregate(&st, warn)
		if later {
			continue // counted in its group's first event
		}
		// Only runtime events are held back: the few others (an agent's alert, a policy change) must
		// not drown in a flood. They take a token when there is one.
		if !p.ceiling.take() && p.ev.Type.Runtime {
			p.held.hold(&p.ev, n, start, end)
			st.RateLimited += n
			continue
		}
		if err := p.emitSummary(emit, &st); err != nil {
			return st, err
		}
		if err := p.emitEvent(n, emit, warn, &st); err != nil {
			return st, err
		}
	}
}

// reportProblems counts and warns of what the mapping of an event for this integration could not
// use (an event filtered out is another integration's to report), and sends an event ID of the
// plugin's own namespace as UNKNOWN.
func (p *Pipeline) reportProblems(st *Stats, warn func(string)) {
	for _, pr := range p.problems {
		if st.Problems++; p.wants(st) {
			warn(p.eventWarning(pr.String()))
		}
	}
	if product.OwnClassID(p.ev.ClassID) {
		if st.Problems++; p.wants(st) {
			warn(p.eventWarning("its event ID is in the plugin's own namespace; sent as UNKNOWN"))
		}
		p.ev.ClassID = nil
	}
	if p.rec.EmbedTooLarge {
		if st.Problems++; p.wants(st) {
			warn(p.eventWarning("the event carried in it is too large to read (over 1 MiB of JSON or 1024 keys); mapped as the record it is"))
		}
	}
}

// aggregate finds how many events the event at hand stands for, from start to end (milliseconds
// since the epoch), and gives it cnt, start and end when they are more than one (Aggregate); later
// is true for an event its group's first stands for.
func (p *Pipeline) aggregate(st *Stats, warn func(string)) (n int, start, end int64, later bool) {
	n, start, end = 1, p.ev.Time.UnixMilli(), p.ev.Time.UnixMilli()
	if p.agg == nil || !p.ev.Type.Runtime {
		return n, start, end, false
	}
	switch g := p.agg.group(&p.ev); {
	case g == nil:
		if st.Unaggregated++; st.Unaggregated == 1 && p.wants(st) {
			warn(p.agg.full())
		}
	case g.first != p.rec.Offset:
		return 0, 0, 0, true
	case g.count > 1:
		n, start, end = g.count, g.start, g.end
		p.ev.Values[product.KeyCnt] = record.Int(int64(n))
		p.ev.Values[product.KeyStart] = record.Int(start)
		p.ev.Values[product.KeyEnd] = record.Int(end)
	}
	return n, start, end, false
}

// collect reads the chunk ahead of the run and counts each runtime event that the run will send
// in its group (Aggregate). It reports nothing: the run does.
func (p *Pipeline) collect(chunk []byte) {
	p.agg.reset()
	p.dec.Reset(chunk)
	for {
		ok, err := p.dec.Next(&p.rec)
		if !ok {
			return
		}
		if err != nil {
			continue
		}
		p.problems = p.mapper.Map(&p.rec, &p.ev, p.problems[:0])
		if p.ev.Type.Runtime && p.filter.Allows(&p.ev) {
			p.fixTime()
			p.agg.add(&p.ev, p.rec.Offset)
		}
	}
}

// fixTime gives an event whose own time no syslog header can carry the time of the run, and
// reports false when it did.
func (p *Pipeline) fixTime() bool {
	if writable(p.ev.Time) {
		return true
	}
	p.ev.Time = p.runTime
	return false
}

// emitEvent fits the event, which stands for n events, to Max_Message_Size and emits it; one that
// cannot fit is counted too large, with the n events.
func (p *Pipeline) emitEvent(n int, emit func([]byte) error, warn func(string), st *Stats) error {
	// Fitting costs what the size allows, not what the record holds: a record of long values is
	// never encoded whole.
	var shortened, fits bool
	if p.line, shortened, fits = p.out.Append(p.line[:0], &p.ev); !fits {
		if st.TooLarge += n; p.wants(st) {
			warn(p.eventWarning(fmt.Sprintf("its header alone is longer than the %d bytes of Max_Message_Size; not sent", p.maxSize)))
		}
		return nil
	}
	if shortened {
		st.Shortened++
	}
	if err := emit(p.line); err != nil {
		return err
	}
	st.Emitted++
	st.Aggregated += n - 1
	return nil
}

// emitSummary emits the summary of the events held back since the last one, if any. The summary
// is exempt from the ceiling: there is at most one for each event sent, and one at the end of the
// run. When not even it fits Max_Message_Size, Stats.RateLimited alone tells.
func (p *Pipeline) emitSummary(emit func([]byte) error, st *Stats) error {
	if p.held.total == 0 {
		return nil
	}
	p.sumMsg = p.held.summary(&p.summary, p.sumMsg)
	var fits bool
	if p.line, _, fits = p.out.Append(p.line[:0], &p.summary); !fits {
		return nil
	}
	if err := emit(p.line); err != nil {
		return err
	}
	st.Summaries++
	return nil
}

// writable reports whether a syslog time stamp can carry t: RFC 5424 has four digits for the year,
// and rsyslog rejects a message whose time it cannot read.
func writable(t time.Time) bool {
	s := t.Unix() // compared with the years' bounds, without working out the date of each event
	return s >= firstWritable && s <= lastWritable
}

// firstWritable and lastWritable are the first and the last second of years 1 to 9999, UTC.
var firstWritable, lastWritable = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
	time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()

// eventWarning names the event being mapped; its class ID is the record's text, quoted.
func (p *Pipeline) eventWarning(reason string) string {
	return fmt.Sprintf("event at byte %d (%s): %s", p.rec.Offset, logtext.Quote(p.ev.ClassID), reason)
}

// letGo drops every reference into the chunk (the record's, the mapper's, the mapped event's and its
// wire form's) and the buffers a large record grew, so that nothing of a run outlives it (the line
// buffer is kept: the keys' limits bound a line to about 100 KiB).
func (p *Pipeline) letGo() {
	p.dec.Release(&p.rec)
	// Mapping the emptied record leaves nothing of the last one in the mapper's working copy.
	p.problems = p.mapper.Map(&p.rec, &p.ev, p.problems[:0])
	p.ev.Reset()
	p.out.Release()
	p.held = heldBack{}
	if p.agg != nil {
		p.agg.reset()
	}
}
