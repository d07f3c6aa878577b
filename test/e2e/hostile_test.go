package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/cef/ceftest"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileValues are what a record can carry to break a CEF line or forge a key or an event.
var hostileValues = []string{
	"a=b", "=leading", `x\=y`, "a|b", `back\slash`, `trailing\`,
	"carriage\rreturn", "line\nfeed", "x cs1=forged", "msg=x src=6.6.6.6",
	"ok\nCEF:0|Evil|Evil|1|EVIL-1|Forged|10|src=6.6.6.6",
	"nul\x00byte", "controls\x01\x1f\x7f here", "tab\tinside",
	"bad\xff\xfeutf8", "truncated \xe2\x82", "  padded  ", "\u0085nel\u0085", "\u00a0nbsp\u00a0",
	"€uro 日本 🙂", "   ", "\x00\x01", strings.Repeat("A", 1<<20), strings.Repeat("€", 5000), strings.Repeat("=", 3000), strings.Repeat("ab ", 2000),
}

type hostileCase struct {
	record map[string]any
	// keys maps each CEF key the event may carry to the limit of its value; labels are checked apart.
	keys map[string]int
}

func hostileCases() []hostileCase {
	var cases []hostileCase
	for i, h := range hostileValues {
		cases = append(cases,
			hostileCase{
				record: map[string]any{"event_id": fmt.Sprintf("PM-%03d", i), "source": h, "cluster": h, "path": h, "command": h, "message": h, "bad key": h, "status": "Audit"},
				keys:   map[string]int{"source": 1023, "cs1": 4000, "filePath": 1023, "cs4": 4000, "msg": 1023, "outcome": 63},
			},
			hostileCase{
				record: map[string]any{"event_id": fmt.Sprintf("ADM-%03d", i), "user": h, "reason": h, "message": h, "artifact": h, "status": "Error"},
				keys:   map[string]int{"suser": 1023, "reason": 1023, "msg": 1023, "fname": 1023, "outcome": 63},
			})
	}
	return cases
}

// TestHostileValuesOverTCPAndUDP: each record gives exactly one event, which the strict decoder
// accepts, with no key the record did not map, and values that decode back to the input after the
// documented replacements.
func TestHostileValuesOverTCPAndUDP(t *testing.T) {
	cases := hostileCases()
	var chunk []byte
	for _, c := range cases {
		var err error
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, c.record)
		require.NoError(t, err)
	}
	path := writeChunk(t, chunk)
	tcp, udp := tcpReceiver(t), udpReceiver(t)
	run := runHost(t, fmt.Sprintf("register\ninstance t Address=%s Max_Message_Size=1048576\ninstance u Address=%s Protocol=udp Max_Message_Size=65507\nflush t %s\nflush u %s\nexit t\nexit u\n",
		tcp.Addr, udp.Addr, path, path))
	assert.Equal(t, "flush t rc=1", run.results[3])
	assert.Equal(t, "flush u rc=1", run.results[4])

	byClass := map[string]hostileCase{}
	for _, c := range cases {
		byClass[c.record["event_id"].(string)] = c
	}
	for name, r := range map[string]*receiver{"tcp": tcp, "udp": udp} {
		lines := r.Lines(len(cases))
		require.Len(t, lines, len(cases), "%s: one event per record, no forged event", name)
		seen := map[string]bool{}
		for _, l := range lines {
			_, m, err := cef.ParseSyslog(l)
			require.NoError(t, err, "%s: %q", name, l)
			c, ok := byClass[m.ClassID]
			require.True(t, ok, "%s: an event nobody sent: %s", name, m.ClassID)
			require.False(t, seen[m.ClassID], "%s: %s twice", name, m.ClassID)
			seen[m.ClassID] = true
			h := c.record["message"].(string)
			for _, p := range m.Extension {
				if strings.HasSuffix(p.Key, "Label") {
					continue
				}
				max, ok := c.keys[p.Key]
				require.True(t, ok, "%s %s: key %s was not mapped by the record", name, m.ClassID, p.Key)
				if p.Key == "outcome" {
					continue
				}
				assert.Equal(t, ceftest.Decoded(h, max), p.Value, "%s %s: %s of %.60q", name, m.ClassID, p.Key, h)
			}
			for key, max := range c.keys {
				if _, has := m.Get(key); !has && key != "outcome" {
					assert.Empty(t, ceftest.Decoded(h, max), "%s %s: %s missing", name, m.ClassID, key)
				}
			}
		}
	}
}
