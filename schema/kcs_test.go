package schema

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var defaultHeader = cef.Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20}

// mapJSON runs one JSON record through the chunk format, the decoder and the mapping.
func mapJSON(t *testing.T, js string) (*cef.Event, []Problem) {
	t.Helper()
	chunk, n, err := record.FromJSONLines(strings.NewReader(js), time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	dec := record.NewDecoder()
	dec.Reset(chunk)
	var rec record.Event
	ok, err := dec.Next(&rec)
	require.NoError(t, err)
	require.True(t, ok)
	ev := new(cef.Event)
	problems := KCS(&rec, ev, nil)
	return ev, problems
}

func TestSeedExampleByteForByte(t *testing.T) {
	js, err := os.ReadFile("../test/fixtures/seed-example.json")
	require.NoError(t, err)
	want, err := os.ReadFile("../test/fixtures/seed-example.cef")
	require.NoError(t, err)
	ev, problems := mapJSON(t, string(js))
	assert.Empty(t, problems)
	got := cef.NewEncoder(defaultHeader).AppendCEF(nil, ev)
	assert.Equal(t, string(bytes.TrimRight(want, "\n")), string(got))
}

func TestSyslogHeader(t *testing.T) {
	ev, _ := mapJSON(t, `{"event_id":"API-002","status":"Error","user":"svc"}`)
	got := string(cef.NewEncoder(defaultHeader).Append(nil, ev))
	// API error: severity 8 → syslog error (3); local4 (20) × 8 + 3 = 163.
	assert.Equal(t, "<163>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|API-002|API|8|suser=svc outcome=Error", got)
}

func TestSeedExampleDecodesStrictly(t *testing.T) {
	js, err := os.ReadFile("../test/fixtures/seed-example.json")
	require.NoError(t, err)
	ev, _ := mapJSON(t, string(js))
	sl, m, err := cef.ParseSyslog(string(cef.NewEncoder(defaultHeader).Append(nil, ev)))
	require.NoError(t, err)
	assert.Equal(t, cef.Syslog{Priority: 163, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"}, sl)
	assert.Equal(t, "PM-002", m.ClassID)
	assert.Equal(t, []cef.Pair{
		{"dpid", "1846367"}, {"spid", "1845879"},
		{"flexString2", "0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f"}, {"flexString2Label", "Container ID"},
		{"cs6", "alpine"}, {"cs6Label", "Container name"}, {"outcome", "Success"},
	}, m.Extension)
}
