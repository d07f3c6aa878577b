package cef_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var kcsHeader = cef.Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20}

// The fields are written in the order given, each label right after its key, and parse back as
// they were; a number is written as it is, whatever its key's limit.
func TestFieldsInOrderWithLabels(t *testing.T) {
	ev := newEvent()
	ev.Ext = fieldsOf(fullPairs)
	ext := extOf(t, ev)
	assert.Equal(t, joinPairs(fullPairs), ext)
	assert.Equal(t, fullPairs, parseOK(t, testHdr+ext).Extension)

	ev.Ext = []cef.Field{text("msg", "m"), number("cnt", 1, "12345"), labelled("cs1", "Cluster name", "prod")}
	assert.Equal(t, "msg=m cnt=12345 cs1=prod cs1Label=Cluster name", extOf(t, ev))
}

// A Whole number is written in decimal from Num, whatever Value holds, and left out with its key
// when it has more digits than its key's limit (a cut number is another number); AppendFit never
// cuts it.
func TestWholeNumbers(t *testing.T) {
	ev := newEvent()
	ev.Ext = []cef.Field{
		{Key: cef.NewKey("dpid", "", 1023), Num: 0, Kind: cef.Whole},
		{Key: cef.NewKey("spid", "", 1023), Value: []byte("stale"), Num: 18446744073709551615, Kind: cef.Whole},
		{Key: cef.NewKey("deviceDirection", "", 1), Num: 10, Kind: cef.Whole},
		{Key: cef.NewKey("cnt", "", 9), Num: 100000000, Kind: cef.Whole},
		text("msg", "a long message"),
	}
	assert.Equal(t, "dpid=0 spid=18446744073709551615 cnt=100000000 msg=a long message", extOf(t, ev))
	assert.Equal(t, "42", string(cef.AppendValue(nil, &cef.Field{Key: cef.NewKey("cnt", "", 2), Num: 42, Kind: cef.Whole})))

	enc := cef.NewEncoder(cef.Header{Format: cef.NoSyslog})
	fit, shortened, ok := enc.AppendFit(nil, ev, len(enc.Append(nil, ev))-5)
	require.True(t, ok)
	assert.True(t, shortened)
	assert.True(t, strings.HasSuffix(string(fit), "dpid=0 spid=18446744073709551615 cnt=100000000 msg=a long me"), string(fit))
}

// A Whole number keeps every digit its key's limit allows, and no more, at the edges of the limits
// a word of digits serves (up to eight) and of one that it does not (none).
func TestWholeNumbersAtTheirLimits(t *testing.T) {
	for _, c := range []struct {
		max  int
		num  uint64
		want string
	}{
		{1, 0, "n=0"}, {1, 9, "n=9"}, {1, 10, ""},
		{2, 99, "n=99"}, {2, 100, ""},
		{8, 99999999, "n=99999999"}, {8, 100000000, ""},
		{0, 0, ""},
	} {
		ev := newEvent()
		ev.Ext = []cef.Field{{Key: cef.NewKey("n", "", c.max), Num: c.num, Kind: cef.Whole}}
		assert.Equal(t, c.want, extOf(t, ev), "%d with %d digits at most", c.num, c.max)
	}
}

// README: an event without a Name of its own (or with a blank one) carries its DefaultName; the
// RFC 5424 MSGID is the Class ID, at most 32 characters, or - without one, when the CEF header says
// UNKNOWN.
func TestSyslogFormats(t *testing.T) {
	ev := newEvent()
	ev.ClassID = []byte("API-002")
	ev.Name, ev.DefaultName = nil, "API"
	ev.Severity = 8
	ev.Time = time.Date(2026, 2, 8, 10, 7, 28, 123456789, time.FixedZone("CET", 3600))
	ev.Ext = []cef.Field{text("suser", "svc")}
	h := cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "kcs-node", Facility: 20}

	h.Format = cef.RFC3164
	assert.Equal(t, "<163>Feb  8 09:07:28 kcs-node CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))
	h.Format = cef.RFC5424
	assert.Equal(t, "<163>1 2026-02-08T09:07:28.123Z kcs-node siem_cef - API-002 - CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))
	h.Format = cef.NoSyslog
	assert.Equal(t, "CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))
	ev.Name = []byte(" \t ")
	assert.Equal(t, "CEF:0|V|P|1|API-002|API|8|suser=svc", string(cef.NewEncoder(h).Append(nil, ev)))

	h.Format = cef.RFC5424
	ev.ClassID = nil
	assert.Contains(t, string(cef.NewEncoder(h).Append(nil, ev)), " kcs-node siem_cef - - - CEF:0|V|P|1|UNKNOWN|")
	ev.ClassID = []byte(strings.Repeat("A", 40))
	assert.Contains(t, string(cef.NewEncoder(h).Append(nil, ev)), " siem_cef - "+strings.Repeat("A", 32)+" - CEF:")
	// A Class ID holding "CEF:" puts none in the header: parsers that start at the first "CEF:" of
	// the line would begin there. The CEF header's Class ID keeps its ':'.
	ev.ClassID = []byte("CEF:0|x")
	line := string(cef.NewEncoder(h).Append(nil, ev))
	assert.Contains(t, line, " siem_cef - CEF_0_x - CEF:0|V|P|1|CEF:0_x|", line)
	assert.Equal(t, 1, strings.Count(line, "CEF:0|"), line)
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

// One encoder writes each event's own time, to the millisecond in RFC 5424, whatever time the event
// before it had: in the same second, the next, one before, the same instant in another zone.
func TestStampOfEachEvent(t *testing.T) {
	times := []struct {
		time    time.Time
		rfc3164 string
		rfc5424 string
	}{
		{time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), "Feb 18 10:07:28", "2026-02-18T10:07:28.000Z"},
		{time.Date(2026, 2, 18, 10, 7, 28, 999999999, time.UTC), "Feb 18 10:07:28", "2026-02-18T10:07:28.999Z"},
		{time.Date(2026, 2, 18, 10, 7, 29, 5000000, time.UTC), "Feb 18 10:07:29", "2026-02-18T10:07:29.005Z"},
		{time.Date(2026, 2, 18, 13, 7, 29, 5000000, time.FixedZone("X", 3*3600)), "Feb 18 10:07:29", "2026-02-18T10:07:29.005Z"},
		{time.Date(2026, 2, 18, 10, 7, 27, 50000000, time.UTC), "Feb 18 10:07:27", "2026-02-18T10:07:27.050Z"},
		{time.Date(1969, 12, 31, 23, 59, 59, 100000000, time.UTC), "Dec 31 23:59:59", "1969-12-31T23:59:59.100Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "Jan  1 00:00:00", "0001-01-01T00:00:00.000Z"},
		{time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC), "Feb 18 10:07:28", "2026-02-18T10:07:28.000Z"},
	}
	enc3164 := cef.NewEncoder(cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20})
	enc5424 := cef.NewEncoder(cef.Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 20, Format: cef.RFC5424})
	ev := newEvent()
	for _, c := range times {
		ev.Time = c.time
		assert.Equal(t, "<164>"+c.rfc3164+" h "+testHdr, string(enc3164.Append(nil, ev)))
		assert.Equal(t, "<164>1 "+c.rfc5424+" h siem_cef - X-1 - "+testHdr, string(enc5424.Append(nil, ev)))
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

// Encoding an event of every key into a reused buffer allocates nothing.
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

// allocEvent is an event of every key, values that need escaping, replacing and cutting, and a time
// outside UTC.
func allocEvent() *cef.Event {
	ev := newEvent()
	ev.Time = time.Date(2026, 2, 8, 10, 7, 28, 0, time.FixedZone("X", 3*3600))
	ev.ClassID = []byte("FM-003")
	ev.Name = []byte("File | management\n")
	ev.Severity = 7
	ev.Ext = fieldsOf(fullPairs)
	for i, f := range ev.Ext {
		switch f.Key.Name() {
		case "filePath":
			ev.Ext[i].Value = []byte("/tmp/a=b\\c\nd\te\xff 日本")
		case "cs1":
			ev.Ext[i].Value = []byte(strings.Repeat("x=", 3000))
		}
	}
	return ev
}

// BenchmarkEncode: processEvent.
func BenchmarkEncode(b *testing.B) {
	enc := cef.NewEncoder(kcsHeader)
	ev := processEvent()
	dst := enc.Append(nil, ev)
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = enc.Append(dst[:0], ev)
	}
}

func TestEveryFormatParsesBack(t *testing.T) {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
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

// README: CEF 0–3 → syslog 6, 4–6 → 4, 7–8 → 3, 9–10 → 2.
func TestSyslogSeverity(t *testing.T) {
	want := []int{6, 6, 6, 6, 4, 4, 4, 3, 3, 2, 2}
	for sev, w := range want {
		assert.Equal(t, w, cef.SyslogSeverity(sev), "CEF severity %d", sev)
	}
}

// A key writes its label pair whole at every length: up to the 32 bytes written by one store, and
// past them.
func TestKeyLabelLengths(t *testing.T) {
	for _, label := range []string{"L", strings.Repeat("b", 21), strings.Repeat("c", 22), strings.Repeat("d", 23), "Destination IPv6 address"} {
		f := labelled("cs1", label, "v")
		ev := newEvent()
		ev.Ext = []cef.Field{f, f}
		assert.Equal(t, "cs1=v cs1Label="+label+" cs1=v cs1Label="+label, extOf(t, ev))
	}
}
