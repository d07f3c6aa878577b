package cef_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/require"
)

// Shared helpers of the cef tests. Every expected output in these tests is written by hand from
// README.md ("The message", "Event types", "Record fields and extension keys") and
// docs/cef-and-syslog.md; nothing is produced by running the code.

// smallHeader gives the short CEF prefix testHdr.
var smallHeader = cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20}

// testHdr is the CEF header of an event made by newEvent: unknown type (severity 5 by the README),
// class ID X-1, the record's own name N.
const testHdr = "CEF:0|V|P|1|X-1|N|5|"

// newEvent makes an event of an unknown type (every key is written for it) with no values.
func newEvent() *product.Event {
	ev := new(product.Event)
	ev.Reset()
	ev.ClassID = []byte("X-1")
	ev.Name = []byte("N")
	ev.Severity = 5
	ev.Time = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	return ev
}

// msgEvent is newEvent with msg set.
func msgEvent(v record.Value) *product.Event {
	ev := newEvent()
	ev.Values[product.KeyMsg] = v
	return ev
}

func str(s string) record.Value { return record.String([]byte(s)) }

// cefOf encodes the CEF part of an event with smallHeader.
func cefOf(ev *product.Event) string {
	return string(cef.NewEncoder(smallHeader).AppendCEF(nil, ev))
}

// extOf encodes an event made by newEvent and returns its extension alone.
func extOf(t *testing.T, ev *product.Event) string {
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
func fullValues(ev *product.Event) {
	v := &ev.Values
	v[product.KeySource] = str("pod-1")
	v[product.KeySrc] = str("10.0.0.1")
	v[product.KeyC6a2] = str("2001:db8::1")
	v[product.KeyReason] = str("denied")
	v[product.KeyFname] = str("nginx:1.25")
	v[product.KeySuser] = str("alice")
	v[product.KeyDpid] = record.Int(100)
	v[product.KeySpid] = record.Int(1)
	v[product.KeyFlexString1] = record.Int(0)
	v[product.KeyFlexString2] = str("abc123")
	v[product.KeyRequest] = str("docker.io/nginx:1.25")
	v[product.KeyFileHash] = str("sha256:ff")
	v[product.KeyAct] = str("exec")
	v[product.KeySpt] = record.Int(40000)
	v[product.KeyDst] = str("10.0.0.2")
	v[product.KeyC6a3] = str("2001:db8::2")
	v[product.KeyDpt] = record.Int(443)
	v[product.KeyDproc] = str("/bin/sh")
	v[product.KeyDuid] = record.Int(0)
	v[product.KeyFilePermission] = str("0644")
	v[product.KeyOldFilePath] = str("/tmp/a")
	v[product.KeyFilePath] = str("/tmp/b")
	v[product.KeyDeviceDirection] = record.Int(1)
	v[product.KeyCn1] = record.Int(101)
	v[product.KeyCs1] = str("prod")
	v[product.KeyCs2] = str("node-1")
	v[product.KeyCs3] = str("default")
	v[product.KeyCs4] = str("sh -c id")
	v[product.KeyCs5] = str("pod-1")
	v[product.KeyCs6] = str("app")
	v[product.KeyCs7] = str("192.168.1.1")
	v[product.KeyOutcome] = str("Error")
	v[product.KeyCnt] = record.Int(3)
	v[product.KeyStart] = record.Int(1771409248000)
	v[product.KeyEnd] = record.Int(1771409250500)
	v[product.KeyMsg] = str("hello world")
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

// keyLimit is a key's limit in characters (docs/cef-and-syslog.md), as stringKeyLimits lists it; the typed
// keys, which hold short values in these tests, have none here.
func keyLimit(k product.Key) int {
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
