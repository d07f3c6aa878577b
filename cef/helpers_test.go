package cef_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/require"
)

// Shared helpers of the cef tests. Every expected output in these tests is written by hand from
// README.md ("The message", "Event types", "Record fields and extension keys") and
// docs/cef-and-syslog.md; nothing is produced by running the code.

// smallHeader gives the short CEF prefix testHdr.
var smallHeader = cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20}

// testHdr is the CEF header of an event made by newEvent: class ID X-1, Name N, severity 5.
const testHdr = "CEF:0|V|P|1|X-1|N|5|"

// newEvent makes an event with no fields: class ID X-1, Name N, severity 5.
func newEvent() *cef.Event {
	return &cef.Event{
		Time:        time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC),
		ClassID:     []byte("X-1"),
		Name:        []byte("N"),
		DefaultName: "Unknown event",
		Severity:    5,
	}
}

// text is a Text field of key, which keeps its key's limit, with the label fullPairs gives it (the
// strict decoder wants one after csN, cnN, c6aN and flexStringN).
func text(key, s string) cef.Field {
	max, _ := cef.KeyLimit(key)
	f := cef.Field{Key: key, Value: []byte(s), Max: max}
	if i := slices.IndexFunc(fullPairs, func(p cef.Pair) bool { return p.Key == key+"Label" }); i >= 0 {
		f.Label = fullPairs[i].Value
	}
	return f
}

// labelled is text with a label.
func labelled(key, label, s string) cef.Field {
	f := text(key, s)
	f.Label = label
	return f
}

// msgEvent is newEvent with one Text field msg.
func msgEvent(s string) *cef.Event {
	ev := newEvent()
	ev.Ext = append(ev.Ext, text("msg", s))
	return ev
}

// cefOf encodes the CEF part of an event with smallHeader.
func cefOf(ev *cef.Event) string {
	return string(cef.NewEncoder(smallHeader).AppendCEF(nil, ev))
}

// extOf encodes an event made by newEvent and returns its extension alone.
func extOf(t *testing.T, ev *cef.Event) string {
	t.Helper()
	line := cefOf(ev)
	require.True(t, strings.HasPrefix(line, testHdr), "header of %q", line)
	return strings.TrimPrefix(line, testHdr)
}

// parseOK decodes a line strictly and fails the test when the decoder rejects it.
func parseOK(t *testing.T, line string) *cef.Message {
	t.Helper()
	m, err := cef.Parse(line)
	require.NoError(t, err, "the strict decoder rejects %q", line)
	require.NotNil(t, m)
	return m
}

// numberKeys and addressKeys are the keys of fullPairs whose values are numbers and addresses.
var (
	numberKeys  = []string{"dpid", "spid", "flexString1", "spt", "dpt", "duid", "deviceDirection", "cn1", "cnt", "start", "end"}
	addressKeys = []string{"src", "c6a2", "dst", "c6a3"}
)

// fieldsOf makes the fields that are written as pairs: each "…Label" pair is its key's label.
func fieldsOf(pairs []cef.Pair) []cef.Field {
	var fs []cef.Field
	for _, p := range pairs {
		if key, ok := strings.CutSuffix(p.Key, "Label"); ok && len(fs) > 0 && fs[len(fs)-1].Key == key {
			fs[len(fs)-1].Label = p.Value
			continue
		}
		f := text(p.Key, p.Value)
		f.Label = "" // the pairs say
		switch {
		case slices.Contains(numberKeys, p.Key):
			f.Kind = cef.Number
		case slices.Contains(addressKeys, p.Key):
			f.Kind = cef.Address
		}
		fs = append(fs, f)
	}
	return fs
}

// fullPairs is every key the project writes with a plausible value, and its label, in the order of
// the README table "Record fields and extension keys".
var fullPairs = []cef.Pair{
	{Key: "source", Value: "pod-1"},
	{Key: "src", Value: "10.0.0.1"},
	{Key: "c6a2", Value: "2001:db8::1"}, {Key: "c6a2Label", Value: "Source IPv6 address"},
	{Key: "reason", Value: "denied"},
	{Key: "fname", Value: "nginx:1.25"},
	{Key: "suser", Value: "alice"},
	{Key: "dpid", Value: "100"},
	{Key: "spid", Value: "1"},
	{Key: "flexString1", Value: "0"}, {Key: "flexString1Label", Value: "EGID"},
	{Key: "flexString2", Value: "abc123"}, {Key: "flexString2Label", Value: "Container ID"},
	{Key: "request", Value: "docker.io/nginx:1.25"},
	{Key: "fileHash", Value: "sha256:ff"},
	{Key: "act", Value: "exec"},
	{Key: "spt", Value: "40000"},
	{Key: "dst", Value: "10.0.0.2"},
	{Key: "c6a3", Value: "2001:db8::2"}, {Key: "c6a3Label", Value: "Destination IPv6 address"},
	{Key: "dpt", Value: "443"},
	{Key: "dproc", Value: "/bin/sh"},
	{Key: "duid", Value: "0"},
	{Key: "filePermission", Value: "0644"},
	{Key: "oldFilePath", Value: "/tmp/a"},
	{Key: "filePath", Value: "/tmp/b"},
	{Key: "deviceDirection", Value: "1"},
	{Key: "cn1", Value: "101"}, {Key: "cn1Label", Value: "New PID"},
	{Key: "cs1", Value: "prod"}, {Key: "cs1Label", Value: "Cluster name"},
	{Key: "cs2", Value: "node-1"}, {Key: "cs2Label", Value: "Node name"},
	{Key: "cs3", Value: "default"}, {Key: "cs3Label", Value: "Namespace"},
	{Key: "cs4", Value: "sh -c id"}, {Key: "cs4Label", Value: "Command"},
	{Key: "cs5", Value: "pod-1"}, {Key: "cs5Label", Value: "Pod name"},
	{Key: "cs6", Value: "app"}, {Key: "cs6Label", Value: "Container name"},
	{Key: "cs7", Value: "192.168.1.1"}, {Key: "cs7Label", Value: "Node IP"},
	{Key: "outcome", Value: "Error"},
	{Key: "cnt", Value: "3"},
	{Key: "start", Value: "1771409248000"},
	{Key: "end", Value: "1771409250500"},
	{Key: "msg", Value: "hello world"},
}

// processEvent is a process event (PM-002) with every key such an event sends holding a short,
// plausible value.
func processEvent() *cef.Event {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Name, ev.DefaultName = nil, "Process management"
	ev.Severity = 7
	ev.Ext = slices.DeleteFunc(fieldsOf(fullPairs), func(f cef.Field) bool {
		return f.Key == "reason" || f.Key == "fname" || f.Key == "suser"
	})
	for i := range ev.Ext {
		if ev.Ext[i].Key == "outcome" {
			ev.Ext[i].Value = []byte("Audit")
		}
	}
	return ev
}

// keyLimit is a key's limit in characters (docs/cef-and-syslog.md), as stringKeyLimits lists it; the typed
// keys, which hold short values in these tests, have none here.
func keyLimit(key string) int {
	for _, l := range stringKeyLimits {
		if l.name == key {
			return l.limit
		}
	}
	return math.MaxInt
}

// escapedValue is a value as the README escapes it in the extension.
func escapedValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, "=", `\=`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// joinPairs writes pairs as an extension (values here need no escaping).
func joinPairs(ps []cef.Pair) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Key + "=" + p.Value)
	}
	return b.String()
}
