// Package pipeline turns one chunk into the CEF messages of one integration: chunk bytes → decoded
// record → mapped CEF event → filter → encoded line. The plugin sends the lines; `siem-cef render`
// prints them.
package pipeline

import (
	"fmt"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/filter"
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
	}
}

var syslogFormats = map[config.SyslogFormat]cef.SyslogFormat{
	config.RFC3164: cef.RFC3164, config.RFC5424: cef.RFC5424, config.NoSyslog: cef.NoSyslog,
}

// Stats count what one run did with the events of its chunk.
type Stats struct {
	Emitted  int // encoded and handed to emit
	Filtered int // not for this integration
	Skipped  int // not a log event (a body that is not a map, a wrong shape)
	Problems int // values left out or replaced; their events were still emitted
}

// Run reads every event of the chunk and hands each message, without framing, to emit; the slice is
// valid until emit returns. Run stops at the first error emit returns, and returns it. A damaged
// chunk ends the run with a *record.ChunkError after the events before the damage were emitted.
// warn receives each skipped event and each problem, with its byte offset.
func (p *Pipeline) Run(chunk []byte, emit func(msg []byte) error, warn func(msg string)) (Stats, error) {
	var st Stats
	p.dec.Reset(chunk)
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
			warn(fmt.Sprintf("event at byte %d (%s): %s", p.rec.Offset, p.ev.ClassID, pr))
		}
		if !p.filter.Allows(&p.ev) {
			st.Filtered++
			continue
		}
		p.line = p.enc.Append(p.line[:0], &p.ev)
		if err := emit(p.line); err != nil {
			return st, err
		}
		st.Emitted++
	}
}
