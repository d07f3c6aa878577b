package cef_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/cef/ceftest"
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
	label := ""
	if i := slices.IndexFunc(fullPairs, func(p cef.Pair) bool { return p.Key == key+"Label" }); i >= 0 {
		label = fullPairs[i].Value
	}
	return labelled(key, label, s)
}

// labelled is a Text field of key, which keeps its key's limit, with a label.
func labelled(key, label, s string) cef.Field {
	max, _ := cef.KeyLimit(key)
	return cef.Field{Key: cef.NewKey(key, label, max), Value: []byte(s)}
}

// number is a Number field of key, which its key's limit does not cut.
func number(key string, max int, s string) cef.Field {
	return cef.Field{Key: cef.NewKey(key, "", max), Value: []byte(s), Kind: cef.Number}
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
		if key, ok := strings.CutSuffix(p.Key, "Label"); ok && len(fs) > 0 && fs[len(fs)-1].Key.Name() == key {
			last := &fs[len(fs)-1]
			last.Key = cef.NewKey(key, p.Value, last.Key.Max())
			continue
		}
		f := labelled(p.Key, "", p.Value) // the pairs say which label
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

// fullPairs is ceftest.EveryKey as the decoder gives it back.
var fullPairs = func() (ps []cef.Pair) {
	for _, p := range ceftest.EveryKey {
		ps = append(ps, cef.Pair(p))
	}
	return ps
}()

// processEvent is a process event (PM-002) with every key such an event sends holding a short,
// plausible value.
func processEvent() *cef.Event {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Name, ev.DefaultName = nil, "Process management"
	ev.Severity = 7
	ev.Ext = slices.DeleteFunc(fieldsOf(fullPairs), func(f cef.Field) bool {
		return f.Key.Name() == "reason" || f.Key.Name() == "fname" || f.Key.Name() == "suser"
	})
	for i := range ev.Ext {
		if ev.Ext[i].Key.Name() == "outcome" {
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
