// Package pipeline turns one chunk into the CEF messages of one integration: chunk bytes → decoded
// record → mapped CEF event → filter → encoded line, shortened to Max_Message_Size. The plugin frames
// and sends the lines; `siem-cef render` prints them.
package pipeline

import (
	"fmt"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/internal/logtext"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/schema"
)

// Pipeline holds the reusable state of one integration's pipeline: once warm, a run allocates
// nothing per event. It is not safe for concurrent runs.
type Pipeline struct {
	dec      *record.Decoder
	rec      record.Event
	ev       cef.Event
	mapper   schema.Mapper
	filter   *filter.Filter
	enc      *cef.Encoder
	problems []schema.Problem
	line     []byte
	maxSize  int // Max_Message_Size
	// now is the time an event whose own time cannot be written is sent with.
	now func() time.Time
}

// New builds the pipeline of an integration.
func New(cfg *config.Config) *Pipeline {
	return &Pipeline{
		dec:    record.NewDecoder().WithMergeLogKey(cfg.MergeLogKey),
		mapper: schema.Mapper{Severity: cfg.Severity, Schema: cfg.Schema, Assign: cfg.Assign},
		filter: filter.New(cfg),
		enc: cef.NewEncoder(cef.Header{
			Vendor: cfg.Vendor, Product: cfg.Product, Version: cfg.ProductVersion,
			Hostname: cfg.Hostname, Facility: cfg.Facility, Format: syslogFormats[cfg.SyslogFormat],
		}),
		maxSize: cfg.MaxMessageSize,
		now:     time.Now,
	}
}

var syslogFormats = map[config.SyslogFormat]cef.SyslogFormat{
	config.RFC3164: cef.RFC3164, config.RFC5424: cef.RFC5424, config.NoSyslog: cef.NoSyslog,
}

// Stats count what one run did with the events of its chunk.
type Stats struct {
	Emitted   int // encoded and handed to emit
	Shortened int // emitted shortened to Max_Message_Size
	TooLarge  int // not emitted: even the shortest form is longer than Max_Message_Size
	Filtered  int // not for this integration
	Skipped   int // not a log event (a body that is not a map, a wrong shape)
	Problems  int // values left out or replaced, events carried too large to read; still emitted
	BadTimes  int // emitted with the time of the run: their own was outside years 1-9999
	Markers   int // group markers of OpenTelemetry inputs, not events
}

// Run reads every event of the chunk and hands each message, without framing and at most
// Max_Message_Size long, to emit; the slice is valid until emit returns. Run stops at the first error emit returns, and returns it. A damaged
// chunk ends the run with a *record.ChunkError after the events before the damage were emitted.
// warn receives each skipped event, each problem and each time replaced, with its byte offset.
// Nothing of the chunk outlives the run.
func (p *Pipeline) Run(chunk []byte, emit func(msg []byte) error, warn func(msg string)) (st Stats, err error) {
	p.dec.Reset(chunk)
	defer func() {
		st.Markers = p.dec.Markers()
		p.letGo()
	}()
	for {
		ok, err := p.dec.Next(&p.rec)
		if !ok {
			return st, err
		}
		if err != nil { // a *record.RecordError: this event was stepped over
			st.Skipped++
			warn(err.Error())
			continue
		}
		p.problems = p.mapper.Map(&p.rec, &p.ev, p.problems[:0])
		for _, pr := range p.problems {
			st.Problems++
			warn(p.eventWarning(pr.String()))
		}
		if p.rec.EmbedTooLarge {
			st.Problems++
			warn(p.eventWarning("the event carried in it is too large to read (over 1 MiB of JSON or 1024 keys); mapped as the record it is"))
		}
		if !p.filter.Allows(&p.ev) {
			st.Filtered++
			continue
		}
		if !writable(p.ev.Time) {
			st.BadTimes++
			warn(p.eventWarning("its time is outside years 1-9999; sent with the time of the flush"))
			p.ev.Time = p.now()
		}
		// Fitting costs what the size allows, not what the record holds: a record of long values is
		// never encoded whole.
		var shortened, fits bool
		p.line, shortened, fits = p.enc.AppendFit(p.line[:0], &p.ev, p.maxSize)
		if !fits {
			st.TooLarge++
			warn(p.eventWarning(fmt.Sprintf("its header alone is longer than the %d bytes of Max_Message_Size; not sent", p.maxSize)))
			continue
		}
		if shortened {
			st.Shortened++
		}
		if err := emit(p.line); err != nil {
			return st, err
		}
		st.Emitted++
	}
}

// writable reports whether a syslog time stamp can carry t: RFC 5424 has four digits for the year,
// and rsyslog rejects a message whose time it cannot read.
func writable(t time.Time) bool {
	year := t.UTC().Year()
	return year >= 1 && year <= 9999
}

// eventWarning names the event being mapped; its class ID is the record's text, quoted.
func (p *Pipeline) eventWarning(reason string) string {
	return fmt.Sprintf("event at byte %d (%s): %s", p.rec.Offset, logtext.Quote(p.ev.ClassID), reason)
}

// letGo drops every reference into the chunk (the record's, the mapper's, the mapped event's) and
// the buffers a large record grew, so that nothing of a run outlives it (the line buffer is kept:
// the keys' limits bound a line to about 100 KiB).
func (p *Pipeline) letGo() {
	p.dec.Release(&p.rec)
	// Mapping the emptied record leaves nothing of the last one in the mapper's working copy.
	p.problems = p.mapper.Map(&p.rec, &p.ev, p.problems[:0])
	p.ev.Reset()
}
