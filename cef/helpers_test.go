package cef_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/require"
)

// Shared helpers of the cef tests. Every expected output in these tests is written by hand from
// README.md ("The message", "Event types", "Record fields and extension keys") and
// /work/shared/cef-rules.md; nothing is produced by running the code.

// smallHeader gives the short CEF prefix testHdr.
var smallHeader = cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20}

// testHdr is the CEF header of an event made by newEvent: unknown type (severity 5 by the README),
// class ID X-1, the record's own name N.
const testHdr = "CEF:0|V|P|1|X-1|N|5|"

// newEvent makes an event of an unknown type (every key is written for it) with no values.
func newEvent() *cef.Event {
	ev := new(cef.Event)
	ev.Reset()
	ev.ClassID = []byte("X-1")
	ev.Name = []byte("N")
	ev.Severity = 5
	ev.Time = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	return ev
}

// msgEvent is newEvent with msg set.
func msgEvent(v cef.Value) *cef.Event {
	ev := newEvent()
	ev.Values[cef.KeyMsg] = v
	return ev
}

func str(s string) cef.Value { return cef.String([]byte(s)) }

func uintV(u uint64) cef.Value   { return cef.Value{Kind: cef.KindUint, Uint: u} }
func floatV(f float64) cef.Value { return cef.Value{Kind: cef.KindFloat, Float: f} }
func boolV(b bool) cef.Value {
	v := cef.Value{Kind: cef.KindBool}
	if b {
		v.Int = 1
	}
	return v
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

// keyOrder is the order of the README table "Record fields and extension keys".
var keyOrder = []string{
	"source", "src", "c6a2", "reason", "fname", "suser", "dpid", "spid", "flexString1", "flexString2",
	"request", "fileHash", "act", "spt", "dst", "c6a3", "dpt", "dproc", "duid", "filePermission",
	"oldFilePath", "filePath", "deviceDirection", "cn1", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7",
	"outcome", "cnt", "start", "end", "msg",
}

// fullValues sets every key of the README table to a plausible value; fullExt is what the encoder
// must write for them, in the README's order, each label after its key.
func fullValues(ev *cef.Event) {
	v := &ev.Values
	v[cef.KeySource] = str("pod-1")
	v[cef.KeySrc] = str("10.0.0.1")
	v[cef.KeyC6a2] = str("2001:db8::1")
	v[cef.KeyReason] = str("denied")
	v[cef.KeyFname] = str("nginx:1.25")
	v[cef.KeySuser] = str("alice")
	v[cef.KeyDpid] = cef.Int(100)
	v[cef.KeySpid] = cef.Int(1)
	v[cef.KeyFlexString1] = cef.Int(0)
	v[cef.KeyFlexString2] = str("abc123")
	v[cef.KeyRequest] = str("docker.io/nginx:1.25")
	v[cef.KeyFileHash] = str("sha256:ff")
	v[cef.KeyAct] = str("exec")
	v[cef.KeySpt] = cef.Int(40000)
	v[cef.KeyDst] = str("10.0.0.2")
	v[cef.KeyC6a3] = str("2001:db8::2")
	v[cef.KeyDpt] = cef.Int(443)
	v[cef.KeyDproc] = str("/bin/sh")
	v[cef.KeyDuid] = cef.Int(0)
	v[cef.KeyFilePermission] = str("0644")
	v[cef.KeyOldFilePath] = str("/tmp/a")
	v[cef.KeyFilePath] = str("/tmp/b")
	v[cef.KeyDeviceDirection] = cef.Int(1)
	v[cef.KeyCn1] = cef.Int(101)
	v[cef.KeyCs1] = str("prod")
	v[cef.KeyCs2] = str("node-1")
	v[cef.KeyCs3] = str("default")
	v[cef.KeyCs4] = str("sh -c id")
	v[cef.KeyCs5] = str("pod-1")
	v[cef.KeyCs6] = str("app")
	v[cef.KeyCs7] = str("192.168.1.1")
	v[cef.KeyOutcome] = str("Error")
	v[cef.KeyCnt] = cef.Int(3)
	v[cef.KeyStart] = cef.Int(1771409248000)
	v[cef.KeyEnd] = cef.Int(1771409250500)
	v[cef.KeyMsg] = str("hello world")
}

// fullPairs is every key of fullValues with its written value (labels included), in order.
var fullPairs = []cef.Pair{
	{"source", "pod-1"},
	{"src", "10.0.0.1"},
	{"c6a2", "2001:db8::1"}, {"c6a2Label", "Source IPv6 address"},
	{"reason", "denied"},
	{"fname", "nginx:1.25"},
	{"suser", "alice"},
	{"dpid", "100"},
	{"spid", "1"},
	{"flexString1", "0"}, {"flexString1Label", "EGID"},
	{"flexString2", "abc123"}, {"flexString2Label", "Container ID"},
	{"request", "docker.io/nginx:1.25"},
	{"fileHash", "sha256:ff"},
	{"act", "exec"},
	{"spt", "40000"},
	{"dst", "10.0.0.2"},
	{"c6a3", "2001:db8::2"}, {"c6a3Label", "Destination IPv6 address"},
	{"dpt", "443"},
	{"dproc", "/bin/sh"},
	{"duid", "0"},
	{"filePermission", "0644"},
	{"oldFilePath", "/tmp/a"},
	{"filePath", "/tmp/b"},
	{"deviceDirection", "1"},
	{"cn1", "101"}, {"cn1Label", "New PID"},
	{"cs1", "prod"}, {"cs1Label", "Cluster name"},
	{"cs2", "node-1"}, {"cs2Label", "Node name"},
	{"cs3", "default"}, {"cs3Label", "Namespace"},
	{"cs4", "sh -c id"}, {"cs4Label", "Command"},
	{"cs5", "pod-1"}, {"cs5Label", "Pod name"},
	{"cs6", "app"}, {"cs6Label", "Container name"},
	{"cs7", "192.168.1.1"}, {"cs7Label", "Node IP"},
	{"outcome", "Error"},
	{"cnt", "3"},
	{"start", "1771409248000"},
	{"end", "1771409250500"},
	{"msg", "hello world"},
}

// keyLimit is a key's limit in characters (cef-rules.md), as stringKeyLimits lists it; the typed
// keys, which hold short values in these tests, have none here.
func keyLimit(k cef.Key) int {
	for _, l := range stringKeyLimits {
		if l.key == k {
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
