package cef_test

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/cef/ceftest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fitEvent() *cef.Event {
	ev := newEvent()
	ev.ClassID = []byte("PM-001")
	ev.Severity = 7
	ev.Ext = []cef.Field{
		number("dpid", 1023, "42"),
		labelled("cs1", "Cluster name", strings.Repeat("=", 500)), // 1,000 bytes once escaped
		labelled("cs4", "Command", strings.Repeat("€", 3000)),     // 9,000 bytes
		text("msg", strings.Repeat("m", 1000)),
	}
	return ev
}

func TestAppendFitLeavesAShortMessageAlone(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := fitEvent()
	want := enc.Append(nil, ev)
	got, shortened, ok := enc.AppendFit(nil, ev, len(want))
	assertWhole(t, want, got, shortened, ok)
}

// assertWhole holds a fitter's answer for a message that fits whole at its size: the message as
// Append writes it, not shortened.
func assertWhole(t *testing.T, whole, got []byte, shortened, ok bool) {
	t.Helper()
	require.True(t, ok)
	assert.False(t, shortened)
	assert.Equal(t, string(whole), string(got))
}

func TestAppendFitCutsTheLongestValuesFirst(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	for _, size := range []int{8192, 4096, 2048, 1200, 600, 480} {
		ev := fitEvent()
		got, shortened, ok := enc.AppendFit([]byte("prefix"), ev, size)
		require.True(t, ok, "size %d", size)
		assert.True(t, shortened)
		msg := got[len("prefix"):]
		assert.LessOrEqual(t, len(msg), size, "never larger than the limit")
		assert.Greater(t, len(msg), size-40, "size %d: cut no more than needed (%d bytes)", size, len(msg))
		assert.True(t, utf8.Valid(msg))
		_, m, err := cef.ParseSyslog(string(msg))
		require.NoError(t, err, "size %d: %s", size, msg)
		dpid, _ := m.Get("dpid")
		assert.Equal(t, "42", dpid, "numbers are never cut")
		cs4, _ := m.Get("cs4")
		msgV, _ := m.Get("msg")
		cs1, _ := m.Get("cs1")
		assert.Equal(t, strings.Repeat("€", utf8.RuneCountInString(cs4)), cs4, "whole characters")
		assert.Equal(t, strings.Repeat("=", len(cs1)), cs1, "whole escapes")
		// the longest (cs4) went first: it is never left shorter than a value it was longer than
		if size >= 4096 {
			assert.Equal(t, strings.Repeat("m", 1000), msgV, "size %d: msg untouched while cs4 was longer", size)
		}
	}
	// and the event is not changed for the next integration
	ev := fitEvent()
	enc.AppendFit(nil, ev, 600)
	assert.Equal(t, string(enc.Append(nil, fitEvent())), string(enc.Append(nil, ev)))
}

func TestAppendFitGivesUpWhenTheHeaderAloneIsTooLong(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	got, _, ok := enc.AppendFit([]byte("x"), fitEvent(), 60)
	assert.False(t, ok)
	assert.Equal(t, "x", string(got), "nothing appended")
}

// hostileUnits are what the hostile records repeat: ASCII, characters that need escaping or are
// several bytes long (issue 11), characters written as a space, invalid bytes, four-byte characters.
var hostileUnits = []string{"a", "é=|€", "a\u200bb\u202e", "\xff\\x", "🙂 b"}

// Issue 11: the worst records, shortened to the smallest and the usual Max_Message_Size, fit, are
// accepted by the strict decoder, and keep of each value a start, the longest values cut first and
// evenly: no value written is much wider than one that was cut.
func TestAppendFitHostileRecords(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	for _, unit := range hostileUnits {
		for name, ev := range map[string]*cef.Event{"19 keys": hostileEvent(unit), "every key": everyKeyEvent(unit)} {
			for _, size := range []int{480, 1000, 8096} {
				out, shortened, ok := enc.AppendFit(nil, ev, size)
				require.True(t, ok, "%s %q %d", name, unit, size)
				assert.True(t, shortened)
				assert.LessOrEqual(t, len(out), size)
				assert.Greater(t, len(out), size-40, "%s %q %d: cut no more than rounding needs", name, unit, size)
				_, m, err := cef.ParseSyslog(string(out))
				require.NoError(t, err, "%s %q %d: %q", name, unit, size, out)
				widest, narrowestCut := 0, math.MaxInt
				for _, f := range ev.Ext {
					got, has := m.Get(f.Key.Name())
					if f.Kind == cef.Number || !has {
						continue
					}
					whole := ceftest.Decoded(string(f.Value), keyLimit(f.Key.Name()))
					assert.True(t, strings.HasPrefix(whole, got), "%s %q %d: %s=%q is a start of the value", name, unit, size, f.Key.Name(), got)
					width := len(escapedValue(got))
					widest = max(widest, width)
					if got != whole {
						narrowestCut = min(narrowestCut, width)
					}
				}
				assert.LessOrEqual(t, widest, narrowestCut+2*utf8.UTFMax, "%s %q %d: the longest values cut first, evenly", name, unit, size)
			}
		}
	}
}

// Issue 11: a record's long Name and Class ID (event_name, event_id) are shortened too, the longer
// first, once every value is cut away, so that no event is dropped only because its header is long.
func TestAppendFitShortensTheHeader(t *testing.T) {
	for _, format := range []cef.SyslogFormat{cef.RFC3164, cef.RFC5424, cef.NoSyslog} {
		h := kcsHeader
		h.Format = format
		enc := cef.NewEncoder(h)
		for _, c := range []struct{ name, classID string }{
			{strings.Repeat("日|", 300), strings.Repeat("PM-", 400)}, // 512 characters of 4.5 bytes, 1,023 of one
			{strings.Repeat("n", 2000), "PM-002"},
			{"Name", strings.Repeat("A", 2000)},
		} {
			ev := fitEvent()
			ev.Name, ev.ClassID = []byte(c.name), []byte(c.classID)
			out, shortened, ok := enc.AppendFit(nil, ev, 480)
			require.True(t, ok, "format %d, %.20q", format, c.name)
			assert.True(t, shortened)
			assert.LessOrEqual(t, len(out), 480)
			assert.Greater(t, len(out), 480-8, "cut no more than needed")
			_, m, err := cef.ParseSyslog(string(out))
			require.NoError(t, err, "%q", out)
			assert.True(t, strings.HasPrefix(c.name, m.Name), "Name %q is a start of the record's", m.Name)
			assert.True(t, strings.HasPrefix(c.classID, m.ClassID), "Class ID %q is a start of the record's", m.ClassID)
			assert.Equal(t, []cef.Pair{{Key: "dpid", Value: "42"}}, m.Extension, "string values are cut away before the header is cut, numbers stay")
			// Evenly from the longer: neither is cut while the other is longer (in bytes written).
			nameWidth, classIDWidth := len(strings.ReplaceAll(m.Name, "|", `\|`)), len(m.ClassID)
			if m.Name != c.name && m.ClassID != c.classID {
				assert.InDelta(t, nameWidth, classIDWidth, 4, "Name %d bytes, Class ID %d", nameWidth, classIDWidth)
			}
		}
	}
}

// TestAppendFitKeepsAddressesWhole: an address cut to fit is another address or none, which the strict
// decoder refuses ("10.42"); shortening keeps addresses whole, like numbers.
func TestAppendFitKeepsAddressesWhole(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	for _, size := range []int{480, 1000} {
		ev := newEvent()
		ev.ClassID = []byte("NT-001")
		ev.Ext = fieldsOf([]cef.Pair{
			{Key: "source", Value: strings.Repeat("x", 900)},
			{Key: "src", Value: "192.168.100.200"},
			{Key: "c6a2", Value: "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"}, {Key: "c6a2Label", Value: "Source IPv6 address"},
			{Key: "dst", Value: "10.42.255.254"},
			{Key: "c6a3", Value: "fd00::1"}, {Key: "c6a3Label", Value: "Destination IPv6 address"},
		})
		for _, key := range []string{"cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "msg"} {
			ev.Ext = append(ev.Ext, text(key, strings.Repeat("x", 900)))
		}
		got, shortened, ok := enc.AppendFit(nil, ev, size)
		require.True(t, ok)
		assert.True(t, shortened)
		_, m, err := cef.ParseSyslog(string(got))
		require.NoError(t, err, "size %d", size)
		for key, want := range map[string]string{"src": "192.168.100.200", "dst": "10.42.255.254", "c6a2": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "c6a3": "fd00::1"} {
			v, _ := m.Get(key)
			assert.Equal(t, want, v, "size %d: %s", size, key)
		}
	}
}

// TestAppendFitKeepsValuesTheKeyLimitsMakeFit: values longer in the record than the message may be
// (5 x 15,000 bytes) fit once cut to their keys' limits (33 KB); they are sent so, not left out.
func TestAppendFitKeepsValuesTheKeyLimitsMakeFit(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := newEvent()
	ev.ClassID = []byte("PM-023")
	for _, key := range []string{"source", "filePath", "cs1", "cs4", "msg"} {
		ev.Ext = append(ev.Ext, text(key, strings.Repeat("€", 5000)))
	}
	whole := enc.Append(nil, ev)
	require.Less(t, len(whole), 65507)
	got, shortened, ok := enc.AppendFit(nil, ev, 65507)
	assertWhole(t, whole, got, shortened, ok)
}

// A value cut to its limit is written whole without the blanks the cut leaves at its end (trimCut):
// the fitter counts it so, and a message that fits whole is not shortened. Each value is longer than
// the message, so that AppendFit does not try it whole first.
func TestAppendFitTrimsTheBlanksACutToTheLimitLeaves(t *testing.T) {
	for _, c := range []struct {
		name, key, value, written string
	}{
		// source keeps 1,023 characters: blanks from the seventh on, however many
		{"blanks running past the limit", "source", "host-a" + strings.Repeat("\x1c", 4000) + "tail", "host-a"},
		// request keeps 1,023 characters, the last a U+2028, with "tail"s after it (found by FuzzAppendFit)
		{"a blank at the limit", "request", strings.Repeat("r", 1020) + "ab" + strings.Repeat("\u2028\u2028 tail", 2000),
			strings.Repeat("r", 1020) + "ab"},
	} {
		t.Run(c.name, func(t *testing.T) {
			enc := cef.NewEncoder(kcsHeader)
			ev := newEvent()
			ev.ClassID = []byte("PM-001")
			ev.Ext = []cef.Field{number("dpid", 1023, "42"), text(c.key, c.value), labelled("cs4", "Command", strings.Repeat("c", 100))}
			whole := enc.Append(nil, ev)
			require.Contains(t, string(whole), "|dpid=42 "+c.key+"="+c.written+" cs4=")
			got, shortened, ok := enc.AppendFit(nil, ev, len(whole))
			assertWhole(t, whole, got, shortened, ok)
		})
	}
}

// The first pair's space is written over the header's last '|': a message of text values alone
// that fits whole at its size comes out of the fitter whole too, not a character short.
func TestAppendShortenedCountsTheFirstPairsSpaceOnce(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := newEvent()
	ev.ClassID = []byte("ADM-001")
	ev.Ext = []cef.Field{text("source", "kcs-middleware"), text("msg", strings.Repeat("m", 200))}
	whole := enc.Append(nil, ev)
	got, shortened, ok := enc.AppendShortened(nil, ev, len(whole))
	assertWhole(t, whole, got, shortened, ok)
}

// givingUp is an Extension that writes a pair, then gives the message up.
type givingUp struct{}

func (givingUp) AppendPairs(dst []byte) ([]byte, bool) { return append(dst, " msg=x"...), false }

// AppendWith writes the header and the Extension's pairs, the first after the '|', as Append writes
// the event's fields; it refuses, appending nothing, a message over its size or one the Extension
// gives up.
func TestAppendWith(t *testing.T) {
	enc := cef.NewEncoder(smallHeader)
	ev := newEvent()
	ev.Ext = nil
	fields := cef.KeyWriters{text("src", "10.0.0.1"), text("cs1", "a=b"), {Key: cef.NewKey("dpid", "", 1023), Num: 42, Kind: cef.Whole}, number("cn1", 1023, "-1")}
	fields[0].Kind = cef.Address
	line := "<164>Feb 18 10:07:28 h " + testHdr + `src=10.0.0.1 cs1=a\=b cs1Label=Cluster name dpid=42 cn1=-1`
	out, ok := enc.AppendWith([]byte("prev\n"), ev, fields, len(line))
	assert.True(t, ok)
	assert.Equal(t, "prev\n"+line, string(out))
	out, ok = enc.AppendWith([]byte("prev\n"), ev, fields, len(line)-1)
	assert.False(t, ok)
	assert.Equal(t, "prev\n", string(out))
	out, ok = enc.AppendWith([]byte("prev\n"), ev, givingUp{}, 8096)
	assert.False(t, ok)
	assert.Equal(t, "prev\n", string(out))
	out, ok = enc.AppendWith(nil, ev, cef.KeyWriters{}, 8096) // no pairs: the header's '|' ends it
	assert.True(t, ok)
	assert.Equal(t, "<164>Feb 18 10:07:28 h "+testHdr, string(out))
}
