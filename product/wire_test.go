package product_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/cef/ceftest"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a product.Event becomes on the wire (Event.Wire, then the cef encoder). Every expected output
// is written by hand from README.md ("The message", "Event types", "Record fields and extension
// keys"), docs/events.md and docs/cef-and-syslog.md; nothing is produced by running the code.

var kcsHeader = cef.Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20}

// wire is ev as the encoder takes it.
func wire(ev *product.Event) *cef.Event {
	w := new(cef.Event)
	ev.Wire(w, nil)
	return w
}

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
	return string(cef.NewEncoder(smallHeader).AppendCEF(nil, wire(ev)))
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
var fullPairs = func() (ps []cef.Pair) {
	for _, p := range ceftest.EveryKey {
		ps = append(ps, cef.Pair(p))
	}
	return ps
}()

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

// docs/events.md §2 / README "The message": the product's example line, byte for byte, inside its syslog
// header.
func TestProductExampleLine(t *testing.T) {
	ev := new(product.Event)
	ev.Reset()
	ev.Time = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	ev.ClassID = []byte("PM-002")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Severity = 7
	ev.Outcome = product.OutcomeSuccess
	ev.Values[product.KeyDpid] = record.Int(1846367)
	ev.Values[product.KeySpid] = record.Int(1845879)
	ev.Values[product.KeyFlexString2] = str("0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f")
	ev.Values[product.KeyCs6] = str("alpine")
	ev.Values[product.KeyOutcome] = str("Success")

	want := "<163>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|PM-002|Process management|7|" +
		"dpid=1846367 spid=1845879 flexString2=0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f " +
		"flexString2Label=Container ID cs6=alpine cs6Label=Container name outcome=Success"
	enc := cef.NewEncoder(kcsHeader)
	assert.Equal(t, want, string(enc.Append(nil, wire(ev))))
	assert.Equal(t, strings.TrimPrefix(want, "<163>Feb 18 10:07:28 kcs-node "), string(enc.AppendCEF(nil, wire(ev))))

	// Append appends: what dst held stays in front.
	assert.Equal(t, "prev\n"+want, string(enc.Append([]byte("prev\n"), wire(ev))))
}

// README "Values": integers in decimal; a float with no fraction as an integer, any other float in the
// shortest decimal form; booleans true/false; nil left out.
func TestValueKinds(t *testing.T) {
	cases := []struct {
		name string
		v    record.Value
		want string
	}{
		{"int", record.Int(42), "msg=42"},
		{"zero", record.Int(0), "msg=0"},
		{"negative int", record.Int(-7), "msg=-7"},
		{"min int64", record.Int(math.MinInt64), "msg=-9223372036854775808"},
		{"max uint64", record.Uint(math.MaxUint64), "msg=18446744073709551615"},
		{"float without fraction", record.Float(3), "msg=3"},
		{"negative float without fraction", record.Float(-2), "msg=-2"},
		{"float zero", record.Float(0), "msg=0"},
		{"negative zero", record.Float(math.Copysign(0, -1)), "msg=0"},
		{"large float without fraction", record.Float(1e21), "msg=1000000000000000000000"},
		{"float 2.5", record.Float(2.5), "msg=2.5"},
		{"float 0.1", record.Float(0.1), "msg=0.1"},
		{"float -1.25", record.Float(-1.25), "msg=-1.25"},
		{"float 123456.789", record.Float(123456.789), "msg=123456.789"},
		{"small float in decimal form", record.Float(1e-7), "msg=0.0000001"},
		{"true", record.Bool(true), "msg=true"},
		{"false", record.Bool(false), "msg=false"},
		{"nil", record.Value{}, ""},
		{"string", str("s"), "msg=s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, extOf(t, msgEvent(c.v)))
		})
	}
}

// README: keys in the table's order, each label right after its key; an unknown type gets every key.
func TestKeyOrderAndLabels(t *testing.T) {
	ev := newEvent()
	fullValues(ev)
	ext := extOf(t, ev)
	assert.Equal(t, joinPairs(fullPairs), ext)

	m := parseOK(t, testHdr+ext)
	assert.Equal(t, fullPairs, m.Extension)

	// The keys alone, labels left aside, are the README table in order.
	var keys []string
	for _, p := range m.Extension {
		if !strings.HasSuffix(p.Key, "Label") {
			keys = append(keys, p.Key)
		}
	}
	assert.Equal(t, keyOrder, keys)
}

// The order does not depend on which keys are present: the values are set here in reverse order.
func TestKeyOrderIndependentOfSetting(t *testing.T) {
	ev := newEvent()
	ev.Values[product.KeyMsg] = str("m")
	ev.Values[product.KeyOutcome] = str("Success")
	ev.Values[product.KeyCs6] = str("alpine")
	ev.Values[product.KeyFlexString2] = str("cid")
	ev.Values[product.KeySource] = str("pod")
	assert.Equal(t, "source=pod flexString2=cid flexString2Label=Container ID cs6=alpine cs6Label=Container name outcome=Success msg=m", extOf(t, ev))
}

// README: cs4 is labelled `Command`, or `New owner` when it carries a file event's new owner.
func TestCs4Label(t *testing.T) {
	for _, prefix := range []string{"FM", "FFM", "FFTP", "PM"} {
		ev := newEvent()
		ev.Type = product.LookupType([]byte(prefix + "-001"))
		ev.Values[product.KeyCs4] = str("root")
		ev.Cs4IsOwner = false
		assert.Equal(t, "cs4=root cs4Label=Command", extOf(t, ev), prefix)
		ev.Cs4IsOwner = true
		assert.Equal(t, "cs4=root cs4Label=New owner", extOf(t, ev), prefix)
	}
	for _, prefix := range []string{"FM", "FFM", "FFTP"} {
		assert.True(t, product.LookupType([]byte(prefix+"-001")).IsFileType(), prefix)
	}
	for _, prefix := range []string{"PM", "NT", "FPM", "FNT", "ADM"} {
		assert.False(t, product.LookupType([]byte(prefix+"-001")).IsFileType(), prefix)
	}
	assert.False(t, product.UnknownType.IsFileType())
}

// One cef.Event reused for events of other types, values and labels carries nothing of the one
// before: each is written as through a fresh one.
func TestWireReused(t *testing.T) {
	// owner: every key, cs4 the new owner; numbers: an unknown type (every key sent), numbers where
	// owner has text; admin: not runtime, most keys not sent.
	owner := newEvent()
	owner.Type = product.LookupType([]byte("FM-001"))
	fullValues(owner)
	owner.Cs4IsOwner = true
	owner.Values[product.KeyMsg] = str(" a=b ") // trimmed and escaped, unlike a number
	numbers := newEvent()
	fullValues(numbers)
	numbers.Values[product.KeyCs4] = record.Int(7)
	numbers.Values[product.KeyMsg] = record.Int(8)
	numbers.Values[product.KeyOutcome] = record.Float(1e300) // longer than outcome's limit: left out
	admin := newEvent()                                      // not runtime: most keys not sent
	admin.Type = product.LookupType([]byte("ADM-001"))
	fullValues(admin)
	admin.Outcome = product.OutcomeError
	enc := cef.NewEncoder(smallHeader)
	var w cef.Event
	var nums []byte
	for _, ev := range []*product.Event{owner, numbers, admin, owner, newEvent(), numbers, owner} {
		nums = ev.Wire(&w, nums)
		assert.Equal(t, cefOf(ev), string(enc.AppendCEF(nil, &w)))
	}
}

// Wire's TextLen is the length of the text values it hands over (Text and Address), which AppendFit
// takes rather than adding them up: numbers, whole or not, and values not sent are not counted.
func TestWireTextLen(t *testing.T) {
	numbers := newEvent()
	fullValues(numbers)
	numbers.Values[product.KeyCs4] = record.Int(-7)
	numbers.Values[product.KeyMsg] = record.Int(8)
	admin := newEvent() // not runtime: most keys not sent
	admin.Type = product.LookupType([]byte("ADM-001"))
	fullValues(admin)
	var w cef.Event
	var nums []byte
	for _, ev := range []*product.Event{numbers, admin, newEvent(), numbers} {
		nums = ev.Wire(&w, nums)
		text := 0
		for _, f := range w.Ext {
			if f.Kind == cef.Text || f.Kind == cef.Address {
				text += len(f.Value)
			}
		}
		assert.Equal(t, text, w.TextLen)
	}
}

var (
	runtimePrefixes = []string{"PM", "FM", "NT", "FPM", "FNT", "FFM", "FFTP"}
	otherPrefixes   = []string{"ADM", "CVE", "MLW", "SD", "MS", "NCMP", "CMP", "CI", "PLC", "BNCH", "AG", "SJ", "RT", "API"}
	fnamePrefixes   = []string{"CI", "SJ", "ADM", "CVE", "MLW", "SD", "MS", "CMP", "PLC", "NCMP"}
	runtimeOnlyKeys = []string{"dpid", "spid", "flexString1", "flexString2", "request", "fileHash", "act", "spt",
		"dst", "c6a3", "dpt", "dproc", "duid", "filePermission", "oldFilePath", "filePath", "deviceDirection",
		"cn1", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7", "cnt", "start", "end"}
)

// README "sent with" column: source, src, c6a2, outcome, msg for all; reason for non-runtime types
// with an error status; fname for the listed types; suser for non-runtime types; the rest for runtime
// types only. An unknown type gets every key its record has.
func TestSentWith(t *testing.T) {
	type tc struct {
		prefix  string
		outcome product.Outcome
		status  string
	}
	var cases []tc
	for _, p := range append(append([]string{}, runtimePrefixes...), otherPrefixes...) {
		cases = append(cases, tc{p, product.OutcomeError, "Error"}, tc{p, product.OutcomeSuccess, "Success"},
			tc{p, product.OutcomeAudit, "Audit"}, tc{p, product.OutcomeEnforce, "Enforce"}, tc{p, product.OutcomeOther, "Other"})
	}
	for _, c := range cases {
		t.Run(c.prefix+"/"+c.status, func(t *testing.T) {
			runtime := slices.Contains(runtimePrefixes, c.prefix)
			want := map[string]bool{"source": true, "src": true, "c6a2": true, "outcome": true, "msg": true}
			if runtime {
				for _, k := range runtimeOnlyKeys {
					want[k] = true
				}
			} else {
				want["suser"] = true
				if c.outcome == product.OutcomeError {
					want["reason"] = true
				}
				if slices.Contains(fnamePrefixes, c.prefix) {
					want["fname"] = true
				}
			}
			var wantPairs []cef.Pair
			for _, p := range fullPairs {
				if want[strings.TrimSuffix(p.Key, "Label")] {
					wantPairs = append(wantPairs, p)
				}
			}
			wantPairs[slices.IndexFunc(wantPairs, func(p cef.Pair) bool { return p.Key == "outcome" })].Value = c.status

			ev := newEvent()
			ev.ClassID = []byte(c.prefix + "-001")
			ev.Type = product.LookupType(ev.ClassID)
			require.Equal(t, c.prefix, ev.Type.Prefix)
			ev.Name = nil
			ev.Outcome = c.outcome
			fullValues(ev)
			ev.Values[product.KeyOutcome] = str(c.status)
			line := cefOf(ev)
			wantLine := "CEF:0|V|P|1|" + c.prefix + "-001|" + ev.Type.Name + "|5|" + joinPairs(wantPairs)
			assert.Equal(t, wantLine, line)
			for _, k := range keyOrder {
				assert.Equal(t, want[k], ev.Sends(keyByName(k)), "Sends(%s)", k)
			}
		})
	}
	// Unknown type: every key, reason included whatever the status.
	for _, o := range []product.Outcome{product.OutcomeSuccess, product.OutcomeError, product.OutcomeOther} {
		ev := newEvent()
		ev.Outcome = o
		fullValues(ev)
		assert.Equal(t, testHdr+joinPairs(fullPairs), cefOf(ev))
		for _, k := range keyOrder {
			assert.True(t, ev.Sends(keyByName(k)), k)
		}
	}
}

func keyByName(name string) product.Key {
	for k := product.Key(0); k < product.NumKeys; k++ {
		if k.Name() == name {
			return k
		}
	}
	panic("no key " + name)
}

// Key.Name gives the README's key names, in the README's order.
func TestKeyNames(t *testing.T) {
	require.Equal(t, len(keyOrder), int(product.NumKeys))
	for i, name := range keyOrder {
		assert.Equal(t, name, product.Key(i).Name())
	}
}

// Turning a full runtime event (every key) into its wire form and encoding it, into reused
// buffers, allocates nothing.
func TestWireAndAppendAllocateNothing(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := allocEvent()
	var w cef.Event
	nums := ev.Wire(&w, nil)
	dst := make([]byte, 0, 16<<10)
	dst = enc.Append(dst[:0], &w)
	// the event is what the test means it to be
	_, m, err := cef.ParseSyslog(string(dst))
	require.NoError(t, err)
	_, hasCs7 := m.Get("cs7")
	_, hasMsg := m.Get("msg")
	require.True(t, hasCs7 && hasMsg)
	allocs := testing.AllocsPerRun(1000, func() {
		nums = ev.Wire(&w, nums)
		dst = enc.Append(dst[:0], &w)
	})
	assert.Equal(t, 0.0, allocs)
}

// allocEvent is a runtime event with every key it can carry, values that need escaping, replacing and
// cutting, and a time outside UTC.
func allocEvent() *product.Event {
	ev := new(product.Event)
	ev.Reset()
	ev.Time = time.Date(2026, 2, 8, 10, 7, 28, 0, time.FixedZone("X", 3*3600))
	ev.ClassID = []byte("FM-003")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Name = []byte("File | management\n")
	ev.Severity = 7
	ev.Outcome = product.OutcomeAudit
	ev.Cs4IsOwner = true
	fullValues(ev)
	ev.Values[product.KeyDpid] = record.Uint(1 << 40)
	ev.Values[product.KeyCn1] = record.Float(12345)
	ev.Values[product.KeyFilePath] = str("/tmp/a=b\\c\nd\te\xff 日本")
	ev.Values[product.KeyCs1] = str(strings.Repeat("x=", 3000))
	ev.Values[product.KeyOutcome] = str("Audit")
	ev.Values[product.KeyMsg] = record.Float(0.25)
	return ev
}

func TestSyslogFormats(t *testing.T) {
	ev := newEvent()
	ev.ClassID = []byte("API-002")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Severity = 8
	ev.Time = time.Date(2026, 2, 8, 10, 7, 28, 123456789, time.FixedZone("CET", 3600))
	ev.Values[product.KeySuser] = str("svc")
	ev.Name = nil // the type's name
	h := cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "kcs-node", Facility: 20}

	h.Format = cef.RFC3164
	assert.Equal(t, "<163>Feb  8 09:07:28 kcs-node CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, wire(ev))))
	h.Format = cef.RFC5424
	assert.Equal(t, "<163>1 2026-02-08T09:07:28.123Z kcs-node siem_cef - API-002 - CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, wire(ev))))
	h.Format = cef.NoSyslog
	assert.Equal(t, "CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, wire(ev))))

	h.Format = cef.RFC5424
	ev.ClassID = nil
	assert.Contains(t, string(cef.NewEncoder(h).Append(nil, wire(ev))), " kcs-node siem_cef - - - CEF:0|V|P|1|UNKNOWN|")
	ev.ClassID = []byte(strings.Repeat("A", 40))
	assert.Contains(t, string(cef.NewEncoder(h).Append(nil, wire(ev))), " siem_cef - "+strings.Repeat("A", 32)+" - CEF:")
}

// The rate ceiling's summary carries cnt, start, end and msg alone, with its own class ID and Name;
// the strict decoder takes it.
func TestRateCeilingSummary(t *testing.T) {
	ev := newEvent()
	ev.ClassID = []byte(product.RateCeilingClassID)
	ev.Type = product.RateCeilingType
	ev.Name = nil
	ev.Severity = 5
	fullValues(ev)
	ev.Values[product.KeyMsg] = str("PM=120 NT=3")
	line := cefOf(ev)
	assert.Equal(t, `CEF:0|V|P|1|SIEMCEF-001|Events not sent: rate ceiling|5|cnt=3 start=1771409248000 end=1771409250500 msg=PM\=120 NT\=3`, line)
	m := parseOK(t, line)
	got, _ := m.Get("msg")
	assert.Equal(t, "PM=120 NT=3", got)
	_, known := product.TypeByPrefix("SIEMCEF")
	assert.False(t, known, "a record's event_id never makes a summary")
}

// Every key, and the label key of every labelled one, has its limit in the wire's table.
func TestKeyLimits(t *testing.T) {
	for k := product.Key(0); k < product.NumKeys; k++ {
		max, ok := cef.KeyLimit(k.Name())
		assert.True(t, ok && max > 0 && k.Max() == max, k.Name())
		if k.Label() != "" {
			_, ok := cef.KeyLimit(k.Name() + "Label")
			assert.True(t, ok, k.Name()+"Label")
		}
	}
}

// Round trip: what a product event becomes, the strict decoder takes, and it reads back the values after
// the documented replacements (README "The message").
func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	type want struct {
		syslog cef.Syslog
		msg    cef.Message
	}
	cases := []struct {
		name  string
		build func(ev *product.Event)
		want  want
	}{
		{
			name: "product example",
			build: func(ev *product.Event) {
				ev.ClassID = []byte("PM-002")
				ev.Type = product.LookupType(ev.ClassID)
				ev.Severity = 7
				ev.Values[product.KeyDpid] = record.Int(1846367)
				ev.Values[product.KeySpid] = record.Int(1845879)
				ev.Values[product.KeyFlexString2] = str("0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f")
				ev.Values[product.KeyCs6] = str("alpine")
				ev.Values[product.KeyOutcome] = str("Success")
			},
			want: want{
				cef.Syslog{Priority: 163, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"},
				cef.Message{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
					ClassID: "PM-002", Name: "Process management", Severity: 7,
					Extension: []cef.Pair{{Key: "dpid", Value: "1846367"}, {Key: "spid", Value: "1845879"},
						{Key: "flexString2", Value: "0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f"},
						{Key: "flexString2Label", Value: "Container ID"}, {Key: "cs6", Value: "alpine"}, {Key: "cs6Label", Value: "Container name"},
						{Key: "outcome", Value: "Success"}}},
			},
		},
		{
			name: "administration error with hostile values",
			build: func(ev *product.Event) {
				ev.ClassID = []byte("ADM-001")
				ev.Type = product.LookupType(ev.ClassID)
				ev.Severity = 6
				ev.Outcome = product.OutcomeError
				ev.Name = []byte("User|added\\x")
				ev.Values[product.KeySource] = str("  pod-1\t")
				ev.Values[product.KeySrc] = str("10.1.2.3")
				ev.Values[product.KeyReason] = str("bad=value\r\nline2")
				ev.Values[product.KeyFname] = str("img|tag")
				ev.Values[product.KeySuser] = str("admin suser=root")
				ev.Values[product.KeyDpid] = record.Int(5) // runtime key: not sent for ADM
				ev.Values[product.KeyOutcome] = str("Error")
				ev.Values[product.KeyMsg] = str("User 1 added user 2\x00")
			},
			want: want{
				cef.Syslog{Priority: 164, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"},
				cef.Message{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
					ClassID: "ADM-001", Name: `User|added\x`, Severity: 6,
					Extension: []cef.Pair{{Key: "source", Value: "pod-1"}, {Key: "src", Value: "10.1.2.3"}, {Key: "reason", Value: "bad=value\r\nline2"},
						{Key: "fname", Value: "img|tag"}, {Key: "suser", Value: "admin suser=root"}, {Key: "outcome", Value: "Error"},
						{Key: "msg", Value: "User 1 added user 2"}}},
			},
		},
		{
			name: "unknown type, nasty message",
			build: func(ev *product.Event) {
				ev.ClassID = []byte("NEW 1/2")
				ev.Severity = 5
				ev.Values[product.KeyMsg] = str("a\\b=c\nd\re|f\tg\x7fh\xffi 日本 🙂 \\")
				ev.Values[product.KeyReason] = record.Int(-3)
			},
			want: want{
				cef.Syslog{Priority: 164, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"},
				cef.Message{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
					ClassID: "NEW_1_2", Name: "Unknown event", Severity: 5,
					Extension: []cef.Pair{{Key: "reason", Value: "-3"}, {Key: "msg", Value: "a\\b=c\nd\re|f g h\uFFFDi 日本 🙂 \\"}}},
			},
		},
		{
			name: "file event, new owner, IPv6 and floats",
			build: func(ev *product.Event) {
				ev.ClassID = []byte("FFM-002")
				ev.Type = product.LookupType(ev.ClassID)
				ev.Severity = 8
				ev.Outcome = product.OutcomeEnforce
				ev.Cs4IsOwner = true
				ev.Values[product.KeyC6a2] = str("2001:db8::1")
				ev.Values[product.KeyC6a3] = str("2001:db8::2")
				ev.Values[product.KeyAct] = str("chown")
				ev.Values[product.KeyFilePath] = str("/etc/pass wd")
				ev.Values[product.KeyDeviceDirection] = record.Float(0)
				ev.Values[product.KeyCs4] = str("root")
				ev.Values[product.KeySuser] = str("x") // not for runtime
				ev.Values[product.KeyOutcome] = str("Enforce")
				ev.Values[product.KeyMsg] = record.Float(2.5)
			},
			want: want{
				cef.Syslog{Priority: 163, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"},
				cef.Message{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
					ClassID: "FFM-002", Name: "File policy violation", Severity: 8,
					Extension: []cef.Pair{{Key: "c6a2", Value: "2001:db8::1"}, {Key: "c6a2Label", Value: "Source IPv6 address"},
						{Key: "act", Value: "chown"}, {Key: "c6a3", Value: "2001:db8::2"}, {Key: "c6a3Label", Value: "Destination IPv6 address"},
						{Key: "filePath", Value: "/etc/pass wd"}, {Key: "deviceDirection", Value: "0"},
						{Key: "cs4", Value: "root"}, {Key: "cs4Label", Value: "New owner"}, {Key: "outcome", Value: "Enforce"}, {Key: "msg", Value: "2.5"}}},
			},
		},
		{
			name: "no extension at all",
			build: func(ev *product.Event) {
				ev.ClassID = nil
				ev.Severity = 10
			},
			want: want{
				cef.Syslog{Priority: 162, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"},
				cef.Message{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
					ClassID: "UNKNOWN", Name: "Unknown event", Severity: 10},
			},
		},
		{
			name: "long values cut",
			build: func(ev *product.Event) {
				ev.ClassID = []byte("PM-001")
				ev.Type = product.LookupType(ev.ClassID)
				ev.Severity = 3
				ev.Values[product.KeyCs1] = str(strings.Repeat("é=", 3000))
				ev.Values[product.KeyAct] = str(strings.Repeat("\\", 100))
			},
			want: want{
				cef.Syslog{Priority: 166, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"},
				cef.Message{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
					ClassID: "PM-001", Name: "Process management", Severity: 3,
					Extension: []cef.Pair{{Key: "act", Value: strings.Repeat("\\", 63)},
						{Key: "cs1", Value: strings.Repeat("é=", 2000)}, {Key: "cs1Label", Value: "Cluster name"}}},
			},
		},
	}
	enc := cef.NewEncoder(kcsHeader)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := new(product.Event)
			ev.Reset()
			ev.Time = at
			c.build(ev)
			line := string(enc.Append(nil, wire(ev)))
			s, m, err := cef.ParseSyslog(line)
			require.NoError(t, err, line)
			assert.Equal(t, c.want.syslog, s)
			assert.Equal(t, &c.want.msg, m)
		})
	}
}

// fitLine is ev's message as Wire and AppendFit write it: what Writer is to write by its own road.
func fitLine(enc *cef.Encoder, ev *product.Event, size int) (line string, shortened, ok bool) {
	var w cef.Event
	ev.Wire(&w, nil)
	out, shortened, ok := enc.AppendFit([]byte("prev\n"), &w, size)
	return string(out), shortened, ok
}

// writerEvents are events of each road through Writer: every key with values to escape, cut and
// replace and cs4 the new owner (allocEvent); numbers where text is usual, one too long to send;
// a type that sends few keys; no values; the rate ceiling's summary.
func writerEvents() []*product.Event {
	numbers := newEvent()
	fullValues(numbers)
	numbers.Values[product.KeyCs4] = record.Int(-7)
	numbers.Values[product.KeyMsg] = record.Bool(true)
	numbers.Values[product.KeyDpid] = record.Uint(1 << 40)
	numbers.Values[product.KeyOutcome] = record.Float(1e300)
	admin := newEvent()
	admin.Type = product.LookupType([]byte("ADM-001"))
	fullValues(admin)
	admin.Outcome = product.OutcomeError
	summary := newEvent()
	summary.ClassID, summary.Type, summary.Name = []byte(product.RateCeilingClassID), product.RateCeilingType, nil
	fullValues(summary)
	return []*product.Event{allocEvent(), numbers, admin, newEvent(), summary}
}

// Writer writes, for every event and size, what Wire and AppendFit write: the message as it is when
// it fits, shortened the same way when it does not (its size just below, at and above the whole
// message's, and far below), or nothing. One Writer serves every event, as the pipeline's does.
func TestWriterWritesWhatWireAndAppendFitWrite(t *testing.T) {
	for _, format := range []cef.SyslogFormat{cef.RFC3164, cef.RFC5424, cef.NoSyslog} {
		h := kcsHeader
		h.Format = format
		enc := cef.NewEncoder(h)
		for _, ev := range writerEvents() {
			whole := len(enc.Append(nil, wire(ev)))
			for _, size := range []int{whole - 1, whole, whole + 1, whole / 2, 120, 8096} {
				want, wantShort, wantOK := fitLine(enc, ev, size)
				w := product.NewWriter(enc, size)
				for range 2 { // the second time through buffers the first left
					line, shortened, ok := w.Append([]byte("prev\n"), ev)
					require.Equal(t, want, string(line), "%s at %d bytes", ev.ClassID, size)
					require.Equal(t, []bool{wantShort, wantOK}, []bool{shortened, ok})
				}
			}
		}
	}
}

// A message one byte over its size goes the other road, and comes out shortened.
func TestWriterShortensAMessageOverItsSize(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := newEvent()
	ev.Values[product.KeyMsg] = str("hello world")
	whole := "<164>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|X-1|N|5|msg=hello world"
	w := product.NewWriter(enc, len(whole)-1)
	line, shortened, ok := w.Append(nil, ev)
	assert.True(t, strings.HasPrefix(whole, string(line)) && len(line) < len(whole), "%q is not a start of the message", line)
	assert.Contains(t, string(line), "msg=hello w")
	assert.True(t, shortened && ok)
	w = product.NewWriter(enc, len(whole))
	line, shortened, ok = w.Append(nil, ev)
	assert.Equal(t, whole, string(line))
	assert.True(t, !shortened && ok)
}

// Writing an event through a reused Writer allocates nothing, whichever road it takes.
func TestWriterAllocatesNothing(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	evs := writerEvents()
	for _, size := range []int{300, 8096} {
		w := product.NewWriter(enc, size)
		dst := make([]byte, 0, 16<<10)
		for _, ev := range evs {
			dst, _, _ = w.Append(dst[:0], ev)
		}
		allocs := testing.AllocsPerRun(100, func() {
			for _, ev := range evs {
				dst, _, _ = w.Append(dst[:0], ev)
			}
		})
		assert.Equal(t, 0.0, allocs, "at %d bytes", size)
	}
}

// FuzzWriter: for any values of keys of each kind (text, an address, whole numbers and others),
// any type and any size, Writer writes what Wire and AppendFit write.
func FuzzWriter(f *testing.F) {
	f.Add("PM-002", "sh -c id", "hello world", "10.0.0.1", int64(1846367), 0.0, false, uint16(480))
	f.Add("FM-001", "alice", " a=b\\ ", "::1", int64(-1), 1.5, true, uint16(8096))
	f.Add("ADM-001", strings.Repeat("é=|€", 300), "\x00\xff", "not an address", int64(1<<40), math.Inf(1), false, uint16(300))
	f.Add("", "", "\u2028", strings.Repeat("1", 50), int64(7), 1e300, true, uint16(100))
	f.Fuzz(func(t *testing.T, classID, cs4, msg, src string, pid int64, cn1 float64, owner bool, size uint16) {
		ev := newEvent()
		ev.ClassID = []byte(classID)
		ev.Type = product.LookupType(ev.ClassID)
		ev.Outcome = product.OutcomeError
		ev.Cs4IsOwner = owner
		fullValues(ev)
		v := &ev.Values
		v[product.KeyCs4], v[product.KeyMsg], v[product.KeySrc] = str(cs4), str(msg), str(src)
		v[product.KeyDpid], v[product.KeySpid], v[product.KeyCn1] = record.Int(pid), record.Uint(uint64(pid)), record.Float(cn1)
		v[product.KeyCs1] = str(strings.Repeat(msg, 40))
		for _, format := range []cef.SyslogFormat{cef.RFC3164, cef.RFC5424} {
			h := kcsHeader
			h.Format = format
			enc := cef.NewEncoder(h)
			want, wantShort, wantOK := fitLine(enc, ev, int(size))
			line, shortened, ok := product.NewWriter(enc, int(size)).Append([]byte("prev\n"), ev)
			if string(line) != want || shortened != wantShort || ok != wantOK {
				t.Fatalf("at %d bytes: %q (%v %v), Wire and AppendFit: %q (%v %v)", size, line, shortened, ok, want, wantShort, wantOK)
			}
		}
	})
}
