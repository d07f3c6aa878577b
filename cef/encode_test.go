package cef_test

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var kcsHeader = cef.Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20}

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
	assert.Equal(t, want, string(enc.Append(nil, ev)))
	assert.Equal(t, strings.TrimPrefix(want, "<163>Feb 18 10:07:28 kcs-node "), string(enc.AppendCEF(nil, ev)))

	// Append appends: what dst held stays in front.
	assert.Equal(t, "prev\n"+want, string(enc.Append([]byte("prev\n"), ev)))
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

// README: the syslog header is `<PRI>Mmm dd hh:mm:ss host ` with the day padded by a space, in UTC,
// and no program tag. PRI = facility × 8 + syslog severity.
func TestSyslogHeader(t *testing.T) {
	cases := []struct {
		name     string
		time     time.Time
		facility int
		severity int
		want     string
	}{
		{"README example", time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), 20, 7, "<163>Feb 18 10:07:28 host "},
		{"space-padded day", time.Date(2026, 2, 8, 3, 4, 5, 0, time.UTC), 20, 3, "<166>Feb  8 03:04:05 host "},
		{"day 1", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 20, 5, "<164>Mar  1 00:00:00 host "},
		{"day 10", time.Date(2026, 3, 10, 23, 59, 59, 999999999, time.UTC), 20, 9, "<162>Mar 10 23:59:59 host "},
		{"kern, severity 0", time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), 0, 0, "<6>Jan 31 12:00:00 host "},
		{"user, severity 5", time.Date(2026, 12, 25, 1, 2, 3, 0, time.UTC), 1, 5, "<12>Dec 25 01:02:03 host "},
		{"local7, severity 10", time.Date(2026, 7, 4, 9, 8, 7, 0, time.UTC), 23, 10, "<186>Jul  4 09:08:07 host "},
		{"UTC+5 converted", time.Date(2026, 2, 8, 1, 2, 3, 0, time.FixedZone("X", 5*3600)), 20, 7, "<163>Feb  7 20:02:03 host "},
		{"UTC-8 across the year", time.Date(2025, 12, 31, 20, 30, 0, 0, time.FixedZone("Y", -8*3600)), 20, 7, "<163>Jan  1 04:30:00 host "},
		{"UTC+2 back to the old year", time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("Z", 2*3600)), 20, 7, "<163>Dec 31 23:00:00 host "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := cef.NewEncoder(cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "host", Facility: c.facility})
			ev := newEvent()
			ev.Time = c.time
			ev.Severity = c.severity
			got := string(enc.Append(nil, ev))
			wantCEF := "CEF:0|V|P|1|X-1|N|" + strconv.Itoa(c.severity) + "|"
			assert.Equal(t, c.want+wantCEF, got)
		})
	}
}

func TestMonthNames(t *testing.T) {
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	enc := cef.NewEncoder(cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20})
	for i, m := range months {
		ev := newEvent()
		ev.Severity = 2
		ev.Time = time.Date(2026, time.Month(i+1), 28, 13, 14, 15, 0, time.UTC)
		assert.Equal(t, "<166>"+m+" 28 13:14:15 h CEF:0|V|P|1|X-1|N|2|", string(enc.Append(nil, ev)))
	}
}

// Encoding a full runtime event (every key) into a reused buffer allocates nothing.
func TestAppendAllocatesNothing(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := allocEvent()
	dst := make([]byte, 0, 16<<10)
	dst = enc.Append(dst[:0], ev)
	// the event is what the test means it to be
	_, m, err := cef.ParseSyslog(string(dst))
	require.NoError(t, err)
	_, hasCs7 := m.Get("cs7")
	_, hasMsg := m.Get("msg")
	require.True(t, hasCs7 && hasMsg)
	allocs := testing.AllocsPerRun(1000, func() {
		dst = enc.Append(dst[:0], ev)
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

func BenchmarkEncode(b *testing.B) {
	enc := cef.NewEncoder(kcsHeader)
	ev := new(product.Event)
	ev.Reset()
	ev.Time = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	ev.ClassID = []byte("PM-002")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Severity = 7
	ev.Outcome = product.OutcomeAudit
	fullValues(ev)
	ev.Values[product.KeyOutcome] = str("Audit")
	dst := enc.Append(nil, ev)
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = enc.Append(dst[:0], ev)
	}
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
	assert.Equal(t, "<163>Feb  8 09:07:28 kcs-node CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))
	h.Format = cef.RFC5424
	assert.Equal(t, "<163>1 2026-02-08T09:07:28.123Z kcs-node siem_cef - API-002 - CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))
	h.Format = cef.NoSyslog
	assert.Equal(t, "CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))

	h.Format = cef.RFC5424
	ev.ClassID = nil
	assert.Contains(t, string(cef.NewEncoder(h).Append(nil, ev)), " kcs-node siem_cef - - - CEF:0|V|P|1|UNKNOWN|")
	ev.ClassID = []byte(strings.Repeat("A", 40))
	assert.Contains(t, string(cef.NewEncoder(h).Append(nil, ev)), " siem_cef - "+strings.Repeat("A", 32)+" - CEF:")
}

func TestEveryFormatParsesBack(t *testing.T) {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Severity = 7
	ev.Time = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	for format, want := range map[cef.SyslogFormat]cef.Syslog{
		cef.RFC3164:  {Priority: 163, Stamp: "Feb 18 10:07:28", Hostname: "h"},
		cef.RFC5424:  {Priority: 163, Version: 1, Stamp: "2026-02-18T10:07:28.000Z", Hostname: "h", AppName: "siem_cef", MsgID: "PM-002"},
		cef.NoSyslog: {Priority: -1},
	} {
		line := cef.NewEncoder(cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20, Format: format}).Append(nil, ev)
		sl, m, err := cef.ParseSyslog(string(line))
		require.NoError(t, err, string(line))
		assert.Equal(t, want, sl)
		assert.Equal(t, "PM-002", m.ClassID)
	}
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

// README: CEF 0–3 → syslog 6, 4–6 → 4, 7–8 → 3, 9–10 → 2.
func TestSyslogSeverity(t *testing.T) {
	want := []int{6, 6, 6, 6, 4, 4, 4, 3, 3, 2, 2}
	for sev, w := range want {
		assert.Equal(t, w, cef.SyslogSeverity(sev), "CEF severity %d", sev)
	}
}
