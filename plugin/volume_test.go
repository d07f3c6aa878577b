package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With Aggregate and Max_Events_Per_Second 2: five identical process events go out as one (cnt=5),
// one network event takes the second token, the two others are held back and the summary goes out
// before the category event, which is never held back. The SIEM gets 4 messages (sent=4, the
// summary one of them) for 9 events: 4 - 1 summary + 4 aggregated + 2 rate_limited. The stats line
// and the series agree.
func TestVolumeControlIsCounted(t *testing.T) {
	addr, lines := lineReceiver(t)
	cfg := testConfig(t, addr, "tcp")
	cfg.Aggregate, cfg.MaxEventsPerSecond = 10*time.Second, 2
	m := newFakeMetrics()
	log := &fakeLog{}
	in := newInstance(cfg, log, m)
	var chunk []byte
	for range 5 {
		chunk = appendEvent(t, chunk, map[string]any{"event_id": "PM-002", "status": "Success", "command": "sh -c id"})
	}
	for _, port := range []int{443, 80, 22} {
		chunk = appendEvent(t, chunk, map[string]any{"event_id": "NT-001", "status": "Audit", "dst_port": port})
	}
	chunk = appendEvent(t, chunk, map[string]any{"event_id": "ADM-001", "status": "Success", "user": "alice"})
	require.Equal(t, flbOK, in.Flush(chunk))
	got := collect(t, lines, 4)
	assert.Contains(t, got[0], "|PM-002|")
	assert.Contains(t, got[0], " cnt=5 ")
	assert.Contains(t, got[1], "dpt=443")
	assert.Contains(t, got[2], `|SIEMCEF-001|Events not sent: rate ceiling|5|cnt=2 `)
	assert.Contains(t, got[2], `msg=NT\=2`)
	assert.Contains(t, got[3], "|ADM-001|")

	assert.Equal(t, map[string]uint64{
		`fluentbit_siem_cef_events_total{result="sent"}`:         4,
		`fluentbit_siem_cef_events_total{result="aggregated"}`:   4,
		`fluentbit_siem_cef_events_total{result="rate_limited"}`: 2,
	}, m.snapshot())
	assertAgree(t, in, m)
	assert.Equal(t, []string{"sent", "filtered", "shortened", "too_large", "skipped", "rejected", "aggregated", "rate_limited"}, labelValues(seriesEvents, cfg))
	in.Close()
	assert.Contains(t, log.text(), "stopped: sent=4 filtered=0 shortened=0 skipped=0 too_large=0 aggregated=4 rate_limited=2 field_problems=0 ")
}

// Each volume counter is in the stats line and the series only where its property is set.
func TestVolumeCountersOnlyWhereSet(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1:514", "tcp")
	cfg.MaxEventsPerSecond = 100
	assert.Equal(t, []string{"sent", "filtered", "shortened", "too_large", "skipped", "rejected", "rate_limited"}, labelValues(seriesEvents, cfg))
	var s stats
	line := s.line(cfg)
	assert.Contains(t, line, " too_large=0 rate_limited=0 field_problems=0 ")
	assert.False(t, strings.Contains(line, "aggregated"), line)
}
