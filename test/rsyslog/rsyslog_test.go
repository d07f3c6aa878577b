package rsyslog

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxSize is the maxMessageSize the tests give rsyslog, well above their messages (rsyslog's
// default, 8096 bytes, splits a longer TCP message in two events: see
// TestLargeEventsNeedRsyslogMaxMessageSize).
var maxSize = rsyslogOptions{MaxMessageSize: "64k"}

// TestEveryEventReachesRsyslog sends the 30 fixture events over each transport that rsyslog's
// imtcp and imudp take, and checks rsyslog's output: each event once, accepted by the strict decoder,
// byte for byte the line the plugin writes. rsyslog's imtcp tells octet counting from LF framing by
// the first byte of each frame (a digit, or "<"), so one listener takes both framings.
func TestEveryEventReachesRsyslog(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props func(r *rsyslogd) string
		to    func(r *rsyslogd) *listener
	}{
		{"tcp newline", func(*rsyslogd) string { return "Protocol=tcp Framing=newline" }, func(r *rsyslogd) *listener { return r.TCP }},
		{"tcp octet-counting", func(*rsyslogd) string { return "Protocol=tcp Framing=octet-counting" }, func(r *rsyslogd) *listener { return r.TCP }},
		{"udp", func(*rsyslogd) string { return "Protocol=udp" }, func(r *rsyslogd) *listener { return r.UDP }},
		{"tls octet-counting", func(r *rsyslogd) string { return "Protocol=tls TLS_CA_File=" + r.CA.CertPEM },
			func(r *rsyslogd) *listener { return r.TLS }},
		{"tls newline", func(r *rsyslogd) string { return "Protocol=tls Framing=newline TLS_CA_File=" + r.CA.CertPEM },
			func(r *rsyslogd) *listener { return r.TLS }},
		{"mutual tls", func(r *rsyslogd) string {
			return "Protocol=tls TLS_CA_File=" + r.CA.CertPEM + " TLS_Cert_File=" + r.Client.CertFile + " TLS_Key_File=" + r.Client.KeyFile
		}, func(r *rsyslogd) *listener { return r.MutualTLS }},
		{"tls to localhost", func(r *rsyslogd) string { return "Protocol=tls TLS_Server_Name=localhost TLS_CA_File=" + r.CA.CertPEM },
			func(r *rsyslogd) *listener { return r.TLS }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRsyslog(t, maxSize)
			chunk, n := fixtureChunk(t)
			l := tc.to(r)
			send(t, l.Addr, tc.props(r), chunk)
			lines, _ := checkEvents(t, l, n, 0)
			checkGolden(t, l, lines)
		})
	}
}

// TestRFC5424ReachesRsyslog: with Syslog_Format rfc5424 rsyslog's parser reads every header field
// and its MSG is the CEF message exactly.
func TestRFC5424ReachesRsyslog(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props func(r *rsyslogd) string
		to    func(r *rsyslogd) *listener
	}{
		{"tcp", func(*rsyslogd) string { return "Protocol=tcp Framing=octet-counting" }, func(r *rsyslogd) *listener { return r.TCP }},
		{"udp", func(*rsyslogd) string { return "Protocol=udp" }, func(r *rsyslogd) *listener { return r.UDP }},
		{"tls", func(r *rsyslogd) string { return "Protocol=tls TLS_CA_File=" + r.CA.CertPEM }, func(r *rsyslogd) *listener { return r.TLS }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRsyslog(t, maxSize)
			chunk, n := fixtureChunk(t)
			l := tc.to(r)
			send(t, l.Addr, tc.props(r)+" Syslog_Format=rfc5424", chunk)
			lines, msgs := checkEvents(t, l, n, 1)
			want := map[string]parsedLine{}
			for i, line := range lines {
				s, _, err := cef.ParseSyslog(line)
				require.NoError(t, err)
				_, msg, _ := strings.Cut(line, " - CEF:")
				want[msgs[i].ClassID] = parsedLine{PRI: strconv.Itoa(s.Priority), Hostname: "kcs-node", AppName: s.AppName, MsgID: msgs[i].ClassID, Msg: "CEF:" + msg}
				assert.Equal(t, "siem_cef", s.AppName)
			}
			parsed := readParsed(t, l, n)
			require.Len(t, parsed, n)
			for _, p := range parsed {
				assert.Equal(t, want[p.MsgID], p, "rsyslog's parser reads the RFC 5424 header; MSG is the CEF message")
			}
		})
	}
}

// bigEvent is the first fixture event with values long enough for a message over 8 KiB: the command
// (cs4), the cluster (cs1) and the namespace (cs3) at or near the 4000 characters a csN keeps, with
// characters that are escaped ("=" and "\").
func bigEvent(t *testing.T) (jsonl []byte, command string) {
	t.Helper()
	b, err := os.ReadFile(fixtures + "events.jsonl")
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(b), "\n")
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(first), &ev))
	command = strings.Repeat(`a=b\c `, 666) + "end"
	ev["command"] = command
	ev["cluster"] = strings.Repeat("cluster-", 500)[:3999]
	ev["namespace"] = strings.Repeat("ns-", 1000)[:2500]
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return append(out, '\n'), command
}

// TestLargeEventsNeedRsyslogMaxMessageSize: rsyslog takes 8096 bytes by default. A longer message
// on TCP is cut there and the rest becomes an event of its own, in either framing, so a larger
// Max_Message_Size needs rsyslog's maxMessageSize above it; at the default (8096) the plugin
// shortens the event to fit, over TCP as over UDP, and it arrives whole.
func TestLargeEventsNeedRsyslogMaxMessageSize(t *testing.T) {
	jsonl, command := bigEvent(t)
	t.Run("tcp with maxMessageSize 64k", func(t *testing.T) {
		r := startRsyslog(t, maxSize)
		chunk, n := chunkOf(t, jsonl)
		for _, framing := range []string{"newline", "octet-counting"} {
			send(t, r.TCP.Addr, "Protocol=tcp Max_Message_Size=65536 Framing="+framing, chunk)
		}
		lines := waitLines(t, r.TCP.Raw, 2*n)
		require.Len(t, lines, 2)
		assert.Equal(t, lines[0], lines[1], "the same in both framings")
		assert.Greater(t, len(lines[0]), 8096)
		_, m, err := cef.ParseSyslog(lines[0])
		require.NoError(t, err)
		cs4, _ := m.Get("cs4")
		assert.Equal(t, command, cs4, "the value comes back whole, escapes and all")
	})
	for _, protocol := range []string{"tcp", "udp"} {
		t.Run(protocol+" at the defaults", func(t *testing.T) {
			r := startRsyslog(t, rsyslogOptions{})
			chunk, _ := chunkOf(t, jsonl)
			send(t, map[string]string{"tcp": r.TCP.Addr, "udp": r.UDP.Addr}[protocol], "Protocol="+protocol, chunk)
			lines := waitLines(t, map[string]string{"tcp": r.TCP.Raw, "udp": r.UDP.Raw}[protocol], 1)
			require.Len(t, lines, 1)
			assert.LessOrEqual(t, len(lines[0]), 8096)
			assert.Greater(t, len(lines[0]), 7500, "shortened to fit, not more")
			_, m, err := cef.ParseSyslog(lines[0])
			require.NoError(t, err, "the shortened datagram arrives whole: %q", lines[0])
			outcome, _ := m.Get("outcome")
			assert.Equal(t, "Success", outcome, "the last key is kept: the longest values were shortened")
			assert.NotContains(t, r.internalLog(), "oversize")
		})
	}
}
