package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/internal/fixture"
	"github.com/kcs-siem/siem-cef/internal/heap"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var defaultHeader = cef.Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20}

// mapJSON runs one JSON record through the chunk format, the decoder and the mapping.
func mapJSON(t *testing.T, js string) (*product.Event, []Problem) {
	t.Helper()
	return mapJSONWith(t, &Mapper{}, js)
}

func mapJSONWith(t *testing.T, m *Mapper, js string) (*product.Event, []Problem) {
	t.Helper()
	chunk, n, err := fbchunk.FromJSONLines(strings.NewReader(js), time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	rec := decodeFirst(t, chunk)
	ev := new(product.Event)
	problems := m.KCS(rec, ev, nil)
	return ev, problems
}

// decodeFirst decodes the first event of a chunk with the mapping's keys, as the pipeline does.
func decodeFirst(tb testing.TB, chunk []byte) *record.Event {
	tb.Helper()
	dec := record.NewDecoder().WithKeys(Keys())
	dec.Reset(chunk)
	var rec record.Event
	ok, err := dec.Next(&rec)
	require.NoError(tb, err)
	require.True(tb, ok)
	return &rec
}

func TestSeedExampleByteForByte(t *testing.T) {
	js, err := os.ReadFile("../test/fixtures/seed-example.json")
	require.NoError(t, err)
	want, err := os.ReadFile("../test/fixtures/seed-example.cef")
	require.NoError(t, err)
	ev, problems := mapJSON(t, string(js))
	assert.Empty(t, problems)
	got := cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev))
	assert.Equal(t, string(bytes.TrimRight(want, "\n")), string(got))
}

func TestSyslogHeader(t *testing.T) {
	ev, _ := mapJSON(t, `{"event_id":"API-002","status":"Error","user":"svc"}`)
	got := string(cef.NewEncoder(defaultHeader).Append(nil, wire(ev)))
	// API error: severity 8 → syslog error (3); local4 (20) × 8 + 3 = 163.
	assert.Equal(t, "<163>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|API-002|API|8|suser=svc outcome=Error", got)
}

func TestSeedExampleDecodesStrictly(t *testing.T) {
	js, err := os.ReadFile("../test/fixtures/seed-example.json")
	require.NoError(t, err)
	ev, _ := mapJSON(t, string(js))
	sl, m, err := cef.ParseSyslog(string(cef.NewEncoder(defaultHeader).Append(nil, wire(ev))))
	require.NoError(t, err)
	assert.Equal(t, cef.Syslog{Priority: 163, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"}, sl)
	assert.Equal(t, "PM-002", m.ClassID)
	assert.Equal(t, []cef.Pair{
		{Key: "dpid", Value: "1846367"}, {Key: "spid", Value: "1845879"},
		{Key: "flexString2", Value: "0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f"}, {Key: "flexString2Label", Value: "Container ID"},
		{Key: "cs6", Value: "alpine"}, {Key: "cs6Label", Value: "Container name"}, {Key: "outcome", Value: "Success"},
	}, m.Extension)
}

// wire is a mapped event as the encoder takes it.
func wire(ev *product.Event) *cef.Event {
	w := new(cef.Event)
	ev.Wire(w, nil)
	return w
}

// cefOf maps one JSON record and returns the CEF part of its message.
func cefOf(t *testing.T, m *Mapper, js string) string {
	t.Helper()
	ev, _ := mapJSONWith(t, m, js)
	return string(cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev)))
}

const head = "CEF:0|Kaspersky|Kaspersky Container Security|2.0|"

func TestMappingByExample(t *testing.T) {
	tests := []struct {
		name, record, want string
	}{
		{"three spellings of the same fields",
			`{"event_id":"PM-001","destinationProcessId":10,"spid":9,"deviceCustomString1":"c1","cs2":"n1","namespace":"ns","eventOutcome":"Audit"}`,
			head + "PM-001|Process management|7|dpid=10 spid=9 cs1=c1 cs1Label=Cluster name cs2=n1 cs2Label=Node name cs3=ns cs3Label=Namespace outcome=Audit"},
		{"the first spelling in the record wins",
			`{"event_id":"PM-001","pid":1,"dpid":2}`,
			head + "PM-001|Process management|3|dpid=1"},
		{"the first spelling in the record wins, whichever it is",
			`{"event_id":"PM-001","dpid":2,"pid":1}`,
			head + "PM-001|Process management|3|dpid=2"},
		{"IPv6 addresses go to c6a2 and c6a3 with labels",
			`{"event_id":"NT-001","src_ip":"2001:db8::17","dst_ip":"2001:db8::1","operation":"egress"}`,
			head + "NT-001|Networking|3|c6a2=2001:db8::17 c6a2Label=Source IPv6 address act=egress c6a3=2001:db8::1 c6a3Label=Destination IPv6 address deviceDirection=1"},
		{"an IPv6 address is sent without its zone, which CEF's IPv6 address has not",
			`{"event_id":"NT-001","src_ip":"fe80::1%eth0","dst_ip":"fe80::2%a=b"}`,
			head + "NT-001|Networking|3|c6a2=fe80::1 c6a2Label=Source IPv6 address c6a3=fe80::2 c6a3Label=Destination IPv6 address"},
		{"whatever the zone: nothing of it is sent",
			`{"event_id":"NT-001","src_ip":"fe80::1%\u0000","dst_ip":"::1%\u202e` + strings.Repeat("e", 2000) + `"}`,
			head + "NT-001|Networking|3|c6a2=fe80::1 c6a2Label=Source IPv6 address c6a3=::1 c6a3Label=Destination IPv6 address"},
		{"direction from the record wins over the operation",
			`{"event_id":"NT-001","operation":"egress","direction":"inbound"}`,
			head + "NT-001|Networking|3|act=egress deviceDirection=0"},
		{"ingress operations are inbound; blocked is written Enforce",
			`{"event_id":"FNT-001","operation":"Ingress_Response","status":"blocked"}`,
			head + "FNT-001|Network policy violation|8|act=Ingress_Response deviceDirection=0 outcome=Enforce"},
		{"a file event's new owner goes to cs4 labelled New owner; Audited is written Audit",
			`{"event_id":"FFM-002","command":"chown 1:1 f","new_owner":"1:1","status":"Audited"}`,
			head + "FFM-002|File policy violation|8|cs4=1:1 cs4Label=New owner outcome=Audit"},
		{"a process event keeps the command in cs4",
			`{"event_id":"PM-001","command":"chown 1:1 f","new_owner":"1:1"}`,
			head + "PM-001|Process management|3|cs4=chown 1:1 f cs4Label=Command"},
		{"only FM, FFM and FFTP send a new owner: not a process event without a command",
			`{"event_id":"PM-001","new_owner":"0:0"}`,
			head + "PM-001|Process management|3|"},
		{"nor an event of an unknown type",
			`{"event_id":"ZZ-1","new_owner":"0:0"}`,
			head + "ZZ-1|Unknown event|5|"},
		{"a file event's new owner without a command",
			`{"event_id":"FM-001","new_owner":"0:0","status":"ENFORCED"}`,
			head + "FM-001|File management|7|cs4=0:0 cs4Label=New owner outcome=Enforce"},
		{"Success and its synonyms are sent as the record wrote them",
			`{"event_id":"API-001","status":"ok"}`,
			head + "API-001|API|3|outcome=ok"},
		{"so is a status the rules do not know",
			`{"event_id":"PM-001","status":"Allowed"}`,
			head + "PM-001|Process management|3|outcome=Allowed"},
		{"runtime keys are not sent with administration events",
			`{"event_id":"ADM-001","user":"alice","pid":5,"cluster":"c","artifact":"a","reason":"r","status":"Success"}`,
			head + "ADM-001|Administration|3|fname=a suser=alice outcome=Success"},
		{"reason with an error status; Failure is an error, written Error",
			`{"event_id":"ADM-002","reason":"r","status":"Failure"}`,
			head + "ADM-002|Administration|6|reason=r outcome=Error"},
		{"fname is not sent with AG events; error in any case is written Error",
			`{"event_id":"AG-002","artifact":"a","status":"error"}`,
			head + "AG-002|Agents|10|outcome=Error"},
		{"an unknown type is sent with every key and the record's name",
			`{"event_id":"ZZ-9","event_name":"Custom","pid":1,"user":"u","status":"Success"}`,
			head + "ZZ-9|Custom|5|suser=u dpid=1 outcome=Success"},
		{"no event ID at all",
			`{"message":"hello"}`,
			head + "UNKNOWN|Unknown event|5|msg=hello"},
		{"the record's severity wins, as a name",
			`{"event_id":"API-001","severity":"very-high","status":"Success"}`,
			head + "API-001|API|10|outcome=Success"},
		{"a float severity is rounded and clamped",
			`{"event_id":"API-001","severity":12.6}`,
			head + "API-001|API|10|"},
		{"numbers, booleans and nested values",
			`{"event_id":"ZZ-1","pid":-3,"euid":1.5,"new_pid":7.0,"cs1":true,"message":{"b":[1,"x\"y"],"a":null}}`,
			head + `ZZ-1|Unknown event|5|dpid=-3 duid=1.5 cn1=7 cn1Label=New PID cs1=true cs1Label=Cluster name msg={"b":[1,"x\\"y"],"a":null}`}, // JSON's \ escaped for CEF; the map's keys in the record's order
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, cefOf(t, &Mapper{}, tc.record))
		})
	}
}

func TestMappingProblems(t *testing.T) {
	ev, problems := mapJSON(t, `{"event_id":"NT-001","src_ip":"not-an-ip","dst_ip":"10.0.0.300","severity":"urgent","direction":"sideways","operation":"egress"}`)
	assert.Equal(t, []Problem{
		{"severity", "not a number 0-10 or a severity name; the type's rule applies"},
		{"src_ip", "not an IPv4 or IPv6 address; left out"},
		{"dst_ip", "not an IPv4 or IPv6 address; left out"},
		{"direction", "not 0, 1, inbound or outbound; derived from the operation"},
	}, problems)
	assert.Equal(t, 3, ev.Severity)
	assert.Equal(t, record.Int(1), ev.Values[product.KeyDeviceDirection])
}

func TestSeverityOverrides(t *testing.T) {
	m := &Mapper{Severity: product.Overrides{
		{Match: "PM", Outcome: product.OutcomeAny, Severity: 4},
		{Match: "PM", Outcome: product.OutcomeEnforce, Severity: 9},
		{Match: "PM-007", Outcome: product.OutcomeAny, Severity: 1},
		{Match: "PM-007", Outcome: product.OutcomeAudit, Severity: 2},
	}}
	for record, want := range map[string]int{
		`{"event_id":"PM-001","status":"Audit"}`:                4, // prefix, any outcome
		`{"event_id":"PM-001","status":"Enforce"}`:              9, // prefix and outcome beat prefix alone
		`{"event_id":"PM-007","status":"Enforce"}`:              1, // event ID beats prefix and outcome
		`{"event_id":"PM-007","status":"audited"}`:              2, // event ID and outcome beat all
		`{"event_id":"NT-001","status":"Audit"}`:                7, // no override: the product's rule (docs/events.md §4)
		`{"event_id":"PM-001","status":"Enforce","severity":6}`: 6, // the record's own severity wins
	} {
		ev, _ := mapJSONWith(t, m, record)
		assert.Equal(t, want, ev.Severity, record)
	}
}

func TestTypedKeysTakeWholeNumbersOnly(t *testing.T) {
	ev, problems := mapJSON(t, `{"event_id":"NT-001","src_port":"https","dst_port":70000,"pid":"42","ppid":1.5,"new_pid":"-3"}`)
	assert.Equal(t, []Problem{
		{"src_port", "not a port (a whole number from 0 to 65535); left out"},
		{"dst_port", "not a port (a whole number from 0 to 65535); left out"},
		{"ppid", "not a process ID (a signed whole number of 32 bits); left out"},
	}, problems)
	assert.True(t, ev.Values[product.KeySpt].IsZero())
	assert.True(t, ev.Values[product.KeyDpt].IsZero())
	got := string(cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev)))
	assert.Equal(t, head+"NT-001|Networking|3|dpid=42 cn1=-3 cn1Label=New PID", got)
}

// A typed key given as a decimal string is taken as the number it reads: written as its digits,
// and a number, never cut to fit a message as text is (docs/cef-and-syslog.md).
func TestTypedKeysFromDecimalStringsAreNumbers(t *testing.T) {
	ev, problems := mapJSON(t, `{"event_id":"NT-001","src_port":" 0443 ","dst_port":"+80","pid":"-0","ppid":"2147483647","new_pid":"-9223372036854775808"}`)
	assert.Empty(t, problems)
	for key, want := range map[product.Key]int64{product.KeySpt: 443, product.KeyDpt: 80, product.KeyDpid: 0,
		product.KeySpid: math.MaxInt32, product.KeyCn1: math.MinInt64} {
		assert.Equal(t, record.Int(want), ev.Values[key], key.Name())
	}
}

// dpid and spid are CEF Integers, of 32 bits (cn1 is a Long): a SIEM that types them drops a larger
// one (Elastic's CEF decoder does), so it is left out, as a problem.
func TestProcessIDsPast32BitsAreLeftOut(t *testing.T) {
	ev, problems := mapJSON(t, `{"event_id":"PM-001","pid":2147483648,"ppid":"-2147483649","new_pid":9223372036854775807}`)
	assert.Equal(t, []Problem{
		{"pid", "not a process ID (a signed whole number of 32 bits); left out"},
		{"ppid", "not a process ID (a signed whole number of 32 bits); left out"},
	}, problems)
	assert.True(t, ev.Values[product.KeyDpid].IsZero())
	assert.True(t, ev.Values[product.KeySpid].IsZero())
	assert.Equal(t, record.Int(math.MaxInt64), ev.Values[product.KeyCn1])
}

// A decoder without the mapping's keys (a tool's, a test's) maps a record as the pipeline's does:
// the keys are looked up instead of read from their slots.
func TestKCSWithoutTheDecodersKeys(t *testing.T) {
	js, err := os.ReadFile("../test/fixtures/seed-example.json")
	require.NoError(t, err)
	chunk, _, err := fbchunk.FromJSONLines(bytes.NewReader(js), time.Unix(0, 0), time.Second)
	require.NoError(t, err)
	var with, without product.Event
	for _, c := range []struct {
		dec *record.Decoder
		ev  *product.Event
	}{{record.NewDecoder().WithKeys(Keys()), &with}, {record.NewDecoder(), &without}} {
		c.dec.Reset(chunk)
		var rec record.Event
		ok, err := c.dec.Next(&rec)
		require.True(t, ok)
		require.NoError(t, err)
		(&Mapper{}).KCS(&rec, c.ev, nil)
	}
	enc := cef.NewEncoder(defaultHeader)
	assert.Equal(t, string(enc.AppendCEF(nil, wire(&with))), string(enc.AppendCEF(nil, wire(&without))))
	assert.Contains(t, string(enc.AppendCEF(nil, wire(&with))), "PM-002")
}

// bigNested is a JSON array whose compact text is longer than a key can carry (16 KiB).
func bigNested(tag string) []string {
	a := make([]string, 2000)
	for i := range a {
		a[i] = tag + "-abcdefgh"
	}
	return a
}

// A map or an array is rendered only when a key of docs/events.md §6 carries it, once per field
// (for its first spelling in the record), and cut at 16 KiB: however many nested values a record
// holds, they cost the mapping at most 33 renderings of 16 KiB (the header fields take strings only).
// One under another key costs nothing, and does not take the room of the next.
// renderedFields are the fields a map or an array is rendered for: all but the header's.
var renderedFields = int(numFields) - bits.OnesCount64(headerFields)

func TestNestedValuesRenderedOnlyForTheirField(t *testing.T) {
	const maxRendered = 16 << 10
	rec := map[string]any{"event_id": "ZZ-1"}
	for i := range 100 {
		// not keys of §6, sorted first: 1.6 MiB of text, which would leave no room for cluster if
		// every nested value were rendered
		rec[fmt.Sprintf("a%03d", i)] = bigNested("x")
	}
	rec["cs1"] = bigNested("c")
	rec["cluster"] = bigNested("first") // sorted first: the spelling that wins
	rec["deviceCustomString1"] = bigNested("d")
	js, err := json.Marshal(rec)
	require.NoError(t, err)
	m := &Mapper{}
	ev, _ := mapJSONWith(t, m, string(js))
	cs1 := string(ev.Values[product.KeyCs1].Bytes)
	assert.True(t, strings.HasPrefix(cs1, `["first-abcdefgh","first-abcdefgh",`), "%.60s", cs1)
	assert.True(t, strings.HasSuffix(cs1, `…"]`), "cut at 16 KiB, still JSON: …%s", cs1[max(0, len(cs1)-20):])
	assert.Greater(t, len(cs1), maxRendered-200)
	assert.LessOrEqual(t, len(m.buf), maxRendered, "one rendering: the field's first spelling")

	// every spelling of every field nested: one rendering per field
	all := map[string]any{}
	for _, name := range kcsNames {
		all[name] = bigNested(name)
	}
	js, err = json.Marshal(all)
	require.NoError(t, err)
	mapJSONWith(t, m, string(js))
	assert.LessOrEqual(t, len(m.buf), renderedFields*maxRendered)
	assert.Greater(t, len(m.buf), (renderedFields-1)*(maxRendered-200), "every field but the header's rendered once")
}

// A record with a large nested value in every field grows the mapper's buffer to 33 renderings of
// 16 KiB; the next record lets it go, so that the mapper does not keep the largest record's size
// (the pipeline maps an emptied record at the end of each run).
func TestMapperLetsGoOfALargeBuffer(t *testing.T) {
	m := &Mapper{}
	mapJSONWith(t, m, `{"event_id":"PM-001"}`)
	base := heap.Live()
	func() {
		all := map[string]any{}
		for f := range numFields {
			all[f.Name()] = bigNested(f.Name())
		}
		js, err := json.Marshal(all)
		require.NoError(t, err)
		mapJSONWith(t, m, string(js))
		require.Greater(t, len(m.buf), (renderedFields-1)*(16<<10-200), "every field but the header's rendered")
	}()
	mapJSONWith(t, m, `{"event_id":"PM-001"}`)
	if h := heap.Live(); h > base {
		assert.LessOrEqual(t, h-base, uint64(maxKeptBuffer), "kept after the record")
	}
	runtime.KeepAlive(m)
}

// BenchmarkKCSKeys: the look-up of the keys of a KCS record (the 32 of BenchmarkPipeline's events and
// the 4 Fluent Bit's kubernetes filter adds) in the mapping's Keys, against the Go map it replaced.
func BenchmarkKCSKeys(b *testing.B) {
	keys := [][]byte{}
	for _, k := range []string{"event_id", "event_name", "status", "agent_group", "source", "cluster", "node",
		"node_ip", "namespace", "pod", "container", "container_id", "image", "image_hash", "pid", "ppid",
		"new_pid", "process", "euid", "egid", "command", "operation", "src_ip", "src_port", "dst_ip",
		"dst_port", "path", "old_path", "file_mode", "direction", "message", "kubernetes", "log", "stream", "time"} {
		keys = append(keys, []byte(k))
	}
	found := 0
	b.Run("Keys", func(b *testing.B) {
		k := Keys()
		for b.Loop() {
			for _, key := range keys {
				if k.Index(key) != record.NoSlot {
					found++
				}
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		m := map[string]Field{}
		for i, n := range kcsNames {
			m[n] = kcsSlots[i]
		}
		for b.Loop() {
			for _, key := range keys {
				if _, ok := m[string(key)]; ok {
					found++
				}
			}
		}
	})
}

// BenchmarkKCS: the mapping alone (Detect, kcs, finish) of BenchmarkPipeline's process event of 32
// keys, decoded once with the mapping's keys.
func BenchmarkKCS(b *testing.B) {
	chunk, err := fbchunk.AppendEvent(nil, time.Unix(0, 0), fixture.ProcessEvent(0))
	require.NoError(b, err)
	benchMapping(b, decodeFirst(b, chunk))
}

// The draft keeps where each field is held, in itself or in the event: a mapper that has moved (a
// copy, or one in a slice that grew) still maps into the event it is given, and a mapper that maps
// into another event writes there.
func TestMovedMapperMapsWhereItIs(t *testing.T) {
	chunk, n, err := fbchunk.FromJSONLines(strings.NewReader(`{"event_id":"PM-001","src_ip":"10.0.0.1","pid":7,"cluster":"c"}`),
		time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	rec := decodeFirst(t, chunk)
	first, ev := &Mapper{}, new(product.Event)
	first.KCS(rec, ev, nil)
	moved := *first
	for _, m := range []*Mapper{&moved, first} {
		for _, into := range []*product.Event{ev, new(product.Event)} {
			m.KCS(rec, into, nil)
			assert.Equal(t, "PM-001", string(into.ClassID))
			assert.Equal(t, "10.0.0.1", string(into.Values[product.KeySrc].Bytes))
			assert.Equal(t, record.Int(7), into.Values[product.KeyDpid])
			assert.Equal(t, "c", string(into.Values[product.KeyCs1].Bytes))
		}
	}
}

// isIPv4 accepts exactly what netip.ParseAddr reads as an IPv4 address.
func TestIsIPv4AsNetip(t *testing.T) {
	for _, s := range []string{"", "1.2.3.4", "0.0.0.0", "255.255.255.255", "10.42.3.17", "256.1.1.1", "1.2.3.256",
		"01.2.3.4", "1.2.3.04", "1.2.3.0", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5", "1.2.3.4x",
		"1.2.3.-4", "::ffff:1.2.3.4", "2001:db8::1", "1.2.3.4%eth0", "1234.1.1.1", "0.0.0.00", "999.1.1.1", "1.2.3.4 ",
		"100.200.250.255", "199.99.9.0", "1.2.3.2555", "1.2.3.25a", "260.1.1.1", "1.22.3.40", "1.2.3.4/8", "1.2.3.",
		"1.2.3.00", "0.1.2.3", "10.0.0.1", "01.1.1.1", "1.1.1.01", "1 .2.3.4", "１.2.3.4"} {
		checkIsIPv4(t, s)
	}
}

func FuzzIsIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "255.255.255.256", "1.2.3", "::1"} {
		f.Add(s)
	}
	f.Fuzz(checkIsIPv4)
}

func checkIsIPv4(t *testing.T, s string) {
	addr, err := netip.ParseAddr(s)
	assert.Equal(t, err == nil && addr.Is4(), isIPv4([]byte(s)), "%q", s)
}

// docs/events.md §6: the header-bound fields take strings only. A number, a map or an array under
// one of their spellings is not taken, rendered or not, and a later spelling's string is; from a
// Map.<field> path such a value counts as missing, so the Set value or the mapping's stays.
func TestHeaderFieldsTakeStringsOnly(t *testing.T) {
	ev, _ := mapJSONWith(t, &Mapper{}, `{"event_id":["PM-001"],"deviceEventClassId":"FM-001",`+
		`"event_name":{"x":"y"},"name":"Real name","category":7,"cat":"file","agent_group":{"g":1}}`)
	assert.Equal(t, "FM-001", string(ev.ClassID))
	assert.Equal(t, "Real name", string(ev.Name))
	assert.Equal(t, "file", string(ev.Category))
	assert.Empty(t, ev.AgentGroup, "a map is no agent group, and no other spelling gives one")

	m := &Mapper{Assign: []Assignment{
		{Field: FieldEventName, Path: mustPath(t, "$labels")},               // a map: missing, the mapping's stays
		{Field: FieldAgentGroup, Path: mustPath(t, "$group"), Value: "set"}, // a number: missing, the Set value
		{Field: FieldCategory, Path: mustPath(t, "$kind")},                  // a string: taken
	}}
	ev, _ = mapJSONWith(t, m, `{"event_id":"PM-001","event_name":"Mapped","labels":{"a":"b"},"group":3,"kind":"k"}`)
	assert.Equal(t, "Mapped", string(ev.Name))
	assert.Equal(t, "set", string(ev.AgentGroup))
	assert.Equal(t, "k", string(ev.Category))
}

// docs/events.md §5 leaves out an empty value, and one of blanks alone. Under a field's first
// spelling an empty string is no value, as a nil is, and a later spelling's is taken; a new owner of
// blanks alone leaves cs4 to the command; from a Map.<field> path, a string of blanks alone counts
// as missing. (Through `log`, which keeps the record's order.)
func TestBlankValuesAreNoValues(t *testing.T) {
	for text, want := range map[string]string{
		`{"event_id":"PM-001","status":"","outcome":"Audit"}`:                  "PM-001|Process management|7|outcome=Audit",
		`{"event_id":"","deviceEventClassId":"PM-001","status":"Audit"}`:       "PM-001|Process management|7|outcome=Audit",
		`{"event_id":"FM-001","new_owner":"\u2028 ","command":"chown x /f"}`:   "FM-001|File management|3|cs4=chown x /f cs4Label=Command",
		`{"event_id":"FM-001","new_owner":"","cs4":"","command":"chown x /f"}`: "FM-001|File management|3|cs4=chown x /f cs4Label=Command",
	} {
		assert.Equal(t, head+want, cefLine(t, &Mapper{}, map[string]any{"log": text}), text)
	}
	m := &Mapper{Assign: []Assignment{{Field: FieldCluster, Path: mustPath(t, "$blank"), Value: "set"}}}
	ev, _ := mapJSONWith(t, m, `{"event_id":"PM-001","blank":" \t"}`)
	assert.Equal(t, "set", string(ev.Values[product.KeyCs1].Bytes), "a blank value at the path counts as missing")
}

// Each direction word of the README maps to its number, whatever the operation says (the record's
// direction wins over the operation): outbound, out and egress are 1; inbound, in and ingress 0.
func TestEveryDirectionWordWinsOverTheOperation(t *testing.T) {
	for word, want := range map[string]string{
		"outbound": "1", "OUT": "1", "egress": "1", "1": "1",
		"inbound": "0", "In": "0", "ingress": "0", "0": "0",
	} {
		op := "egress"
		if want == "1" {
			op = "ingress"
		}
		got := cefOf(t, &Mapper{}, `{"event_id":"NT-001","operation":"`+op+`","direction":"`+word+`"}`)
		assert.Equal(t, head+"NT-001|Networking|3|act="+op+" deviceDirection="+want, got, word)
	}
}

// A zone is not sent, so one with a blank inside is no problem: the address goes without it.
func TestAnIPv6ZoneWithABlankIsDropped(t *testing.T) {
	ev, problems := mapJSON(t, `{"event_id":"NT-001","src_ip":"fe80::1%eth 0"}`)
	assert.Empty(t, problems)
	assert.Equal(t, "fe80::1", string(ev.Values[product.KeyC6a2].Bytes))
}

// A KCS record with a map under event (ECS's event.original) or log (log.level) is the event itself:
// only the Merge_Log_Key holds an event as a map (README, Where the event is in the record).
func TestAMapUnderEventOrLogIsAFieldOfTheRecord(t *testing.T) {
	for js, want := range map[string]string{
		`{"event_id":"API-002","status":"Error","user":"bob","reason":"denied","event":{"original":"GET /api"}}`: "API-002|API|8|reason=denied suser=bob outcome=Error",
		`{"event_id":"FPM-002","status":"Blocked","pid":5,"log":{"level":"info"}}`:                               "FPM-002|Process policy violation|8|dpid=5 outcome=Enforce",
	} {
		chunk, _, err := fbchunk.FromJSONLines(strings.NewReader(js), time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), time.Second)
		require.NoError(t, err)
		ev := new(product.Event)
		(&Mapper{}).Map(decodeFirst(t, chunk), ev, nil)
		line := string(cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev)))
		assert.True(t, strings.HasPrefix(line, head+want), "%s", line)
	}
}
