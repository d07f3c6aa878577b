package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kcs-siem/siem-cef/config"
)

// The plugin's counters in Fluent Bit's Prometheus endpoint (README, Metrics). Each instance
// registers them in its own cmetrics context (cmt.go) as fluentbit_siem_cef_<name>, with the label
// name = its Integration. They count what the stats line counts, at the same place: instance.add
// and instance.connectFailed update both.

// series is one counter of an instance's cmetrics context.
type series int

const (
	seriesEvents series = iota
	seriesFieldProblems
	seriesBadTimes
	seriesGroupMarkers
	seriesRetriedFlushes
	seriesConnectFailures
	seriesAddressChanges
	numSeries
)

// seriesInfo names each series (after fluentbit_siem_cef_), its label besides name ("" for none)
// and its help text. The help must never vary between instances: Fluent Bit's endpoint merges the
// instances' counters of the same name and help into one.
var seriesInfo = [numSeries]struct{ name, label, help string }{
	seriesEvents:          {"events_total", "result", "Events by what became of them: sent; filtered out (not for this integration); shortened to Max_Message_Size (and sent); too_large to shorten (not sent); skipped (damaged); rejected for good by the SIEM (RELP 5xx); aggregated into another event's cnt (Aggregate); rate_limited, held back by Max_Events_Per_Second."},
	seriesFieldProblems:   {"field_problems_total", "", "Values left out of events because they were invalid."},
	seriesBadTimes:        {"bad_times_total", "", "Events sent with the time of their flush because their own time was outside years 1-9999."},
	seriesGroupMarkers:    {"group_markers_total", "", "Group markers of OpenTelemetry inputs and processors, skipped (they are not events)."},
	seriesRetriedFlushes:  {"retried_flushes_total", "", "Flushes that asked Fluent Bit to retry their chunk: delivery failed, or the flush panicked."},
	seriesConnectFailures: {"connect_failures_total", "address", "Connections to this address of the SIEM that could not be made, or that broke before they served a flush (TCP, TLS and RELP)."},
	seriesAddressChanges:  {"address_changes_total", "", "Connections made to another address of the SIEM than the connection before (failover, and back)."},
}

// results are the values of events_total's label result; volumeResults those of the volume
// control, which exist only where it is configured (counted).
var (
	results       = []string{"sent", "filtered", "shortened", "too_large", "skipped", "rejected"}
	volumeResults = []counter{statAggregated, statRateLimited}
)

// labelValues are the values of a series' second label ("" alone when it has none), each a series
// of its own that exists from the start at 0, so that a dashboard sees it before the first event.
func labelValues(s series, cfg *config.Config) []string {
	switch s {
	case seriesEvents:
		out := slices.Clone(results)
		for _, c := range volumeResults {
			if counted(c, cfg) {
				out = append(out, counters[c].label)
			}
		}
		return out
	case seriesConnectFailures:
		return cfg.Endpoints()
	}
	return []string{""}
}

// metrics takes the increments of an instance's counters: label is the value of the series' second
// label, "" when it has none. cmtMetrics adds them to Fluent Bit's; tests record them.
type metrics interface {
	Add(s series, label string, n uint64)
	// Close lets go of what the metrics hold; Fluent Bit frees the counters with the instance.
	Close()
}

// noMetrics is the metrics of a Fluent Bit that has none: the counters are in the stats line only.
type noMetrics struct{}

func (noMetrics) Add(series, string, uint64) {}
func (noMetrics) Close()                     {}

// counter is one number of the stats line.
type counter int

const (
	statSent counter = iota
	statFiltered
	statShortened
	statSkipped
	statTooLarge
	statAggregated
	statRateLimited
	statFieldProblems
	statBadTimes
	statRejected
	statGroupMarkers
	statRetriedFlushes
	statConnectFailures
	statAddressChanges
	numCounters
)

// counters name each number of the stats line and say which series counts it, with which label.
// Connect failures are counted per address (instance.connectFailed), so their label is the address.
var counters = [numCounters]struct {
	name   string
	series series
	label  string
}{
	statSent:            {"sent", seriesEvents, "sent"},
	statFiltered:        {"filtered", seriesEvents, "filtered"},
	statShortened:       {"shortened", seriesEvents, "shortened"},
	statSkipped:         {"skipped", seriesEvents, "skipped"},
	statTooLarge:        {"too_large", seriesEvents, "too_large"},
	statAggregated:      {"aggregated", seriesEvents, "aggregated"},
	statRateLimited:     {"rate_limited", seriesEvents, "rate_limited"},
	statFieldProblems:   {"field_problems", seriesFieldProblems, ""},
	statBadTimes:        {"bad_times", seriesBadTimes, ""},
	statRejected:        {"rejected", seriesEvents, "rejected"},
	statGroupMarkers:    {"group_markers", seriesGroupMarkers, ""},
	statRetriedFlushes:  {"retried_flushes", seriesRetriedFlushes, ""},
	statConnectFailures: {"connect_failures", seriesConnectFailures, ""},
	statAddressChanges:  {"address_changes", seriesAddressChanges, ""},
}

// stats count what happened to the events of every flush since start, as the stats line shows them.
type stats [numCounters]uint64

// counted reports whether the configuration counts c: the volume control's counters exist only
// where it is set, so that the stats line and the series of an instance without it are as before.
func counted(c counter, cfg *config.Config) bool {
	switch c {
	case statAggregated:
		return cfg.Aggregate > 0
	case statRateLimited:
		return cfg.MaxEventsPerSecond > 0
	}
	return true
}

// line is the counters as the stats line shows them, those the configuration counts.
func (s stats) line(cfg *config.Config) string {
	var b strings.Builder
	for c, n := range s {
		if !counted(counter(c), cfg) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(counters[c].name)
		b.WriteByte('=')
		b.WriteString(strconv.FormatUint(n, 10))
	}
	return b.String()
}

// add counts d in the stats line and in the metrics; in.mu is held. d has no connect failures:
// connectFailed counts them, with their address.
func (in *instance) add(d stats) {
	for c, n := range d {
		if n > 0 {
			in.stats[c] += n
			in.metrics.Add(counters[c].series, counters[c].label, n)
		}
	}
}

// connectFailed counts a connection to address that could not be made; deliver calls it from the
// Send of a flush.
func (in *instance) connectFailed(address string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stats[statConnectFailures]++
	in.metrics.Add(seriesConnectFailures, address, 1)
}
