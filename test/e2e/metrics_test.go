package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metricLines are the series of one integration as the host prints them (Prometheus text format),
// in the order the plugin registers them, with the values given by result, field and address
// (every other series 0).
func metricLines(name string, events map[string]int, connectFailures map[string]int, addresses ...string) []string {
	var out []string
	for _, r := range []string{"sent", "filtered", "shortened", "too_large", "skipped", "rejected"} {
		out = append(out, fmt.Sprintf(`fluentbit_siem_cef_events_total{name=%q,result=%q} %d`, name, r, events[r]))
	}
	for _, s := range []string{"field_problems", "bad_times", "group_markers", "retried_flushes"} {
		out = append(out, fmt.Sprintf(`fluentbit_siem_cef_%s_total{name=%q} 0`, s, name))
	}
	for _, a := range addresses {
		out = append(out, fmt.Sprintf(`fluentbit_siem_cef_connect_failures_total{name=%q,address=%q} %d`, name, a, connectFailures[a]))
	}
	return append(out, fmt.Sprintf(`fluentbit_siem_cef_address_changes_total{name=%q} 0`, name))
}

// TestMetricsCountTheSampleEvents: two integrations in one Fluent Bit, the second with Categories
// none and a first address that is down. Every series is there at 0 from the start; after the 30
// sample events, soc sent all 30, ir sent the 13 runtime events and filtered out the 17 others,
// after one failed connection to its first address; the counters agree with the stopped: lines.
func TestMetricsCountTheSampleEvents(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	require.Equal(t, 30, n)
	soc, ir := tcpReceiver(t), tcpReceiver(t)
	down := closedPort(t)
	run := runHost(t, fmt.Sprintf(`register
instance soc Address=%s Integration=soc
instance ir Address=%s,%s Integration=ir Categories=none
metrics soc
metrics ir
flush soc %[4]s
flush ir %[4]s
metrics soc
metrics ir
exit soc
exit ir
`, soc.Addr, down, ir.Addr, chunk))
	soc.Lines(30)
	ir.Lines(13)

	var want []string
	add := func(header string, lines []string) {
		want = append(want, fmt.Sprintf("%s %d", header, len(lines)))
		want = append(want, lines...)
	}
	want = append(want, "register rc=0 name=siem_cef", "init soc rc=1", "init ir rc=1")
	add("metrics soc", metricLines("soc", nil, nil, soc.Addr))
	add("metrics ir", metricLines("ir", nil, nil, down, ir.Addr))
	want = append(want, "flush soc rc=1", "flush ir rc=1")
	add("metrics soc", metricLines("soc", map[string]int{"sent": 30}, nil, soc.Addr))
	add("metrics ir", metricLines("ir", map[string]int{"sent": 13, "filtered": 17}, map[string]int{down: 1}, down, ir.Addr))
	want = append(want, "exit soc rc=1", "exit ir rc=1")
	assert.Equal(t, want, run.results, run.log)

	assert.Contains(t, run.log, "[siem_cef:soc] stopped: sent=30 filtered=0 shortened=0 skipped=0 too_large=0 field_problems=0 bad_times=0 rejected=0 group_markers=0 retried_flushes=0 connect_failures=0 address_changes=0;")
	assert.Contains(t, run.log, "[siem_cef:ir] stopped: sent=13 filtered=17 shortened=0 skipped=0 too_large=0 field_problems=0 bad_times=0 rejected=0 group_markers=0 retried_flushes=0 connect_failures=1 address_changes=0;")
	assert.NotContains(t, run.log, "ABI violation")
	assert.NotContains(t, run.log, "metrics:", "no line about metrics where Fluent Bit has them")
}

// TestWithoutMetricsTheInstanceRunsAndSaysSo: in a Fluent Bit that exports no cmetrics, each
// instance says so in one info line and delivers as before; its context has no series.
func TestWithoutMetricsTheInstanceRunsAndSaysSo(t *testing.T) {
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	soc := tcpReceiver(t)
	results, log := bins.WithoutMetrics(t, "../..").Run(t, fmt.Sprintf(`register
instance soc Address=%s Integration=soc
flush soc %s
metrics soc
exit soc
`, soc.Addr, chunk))
	assert.Equal(t, []string{"register rc=0 name=siem_cef", "init soc rc=1", "flush soc rc=1", "metrics soc 0", "exit soc rc=1"}, results)
	assert.Len(t, soc.Lines(n), n)
	assert.Equal(t, 1, strings.Count(log, "metrics:"), log)
	assert.Contains(t, log, "[info] [siem_cef:soc] metrics: this Fluent Bit exports no cmetrics (cmt_counter_create, cmt_counter_add, flb_output_get_cmt_instance); the counters are in the stats line only\n")
	assert.Contains(t, log, "[siem_cef:soc] stopped: sent=30 ")
}
