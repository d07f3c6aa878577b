package cef

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef/ceftest"
)

// fuzzDefaultName is the DefaultName of the fuzzed events.
const fuzzDefaultName = "Default name"

// textField is a Text field of key, with its label ("" for none) and limit.
func textField(key, label, v string) Field {
	max, _ := KeyLimit(key)
	return Field{Key: NewKey(key, label, max), Value: []byte(v)}
}

// longhand is k with its texts written piece by piece, as a key too long for the stores of a short
// one is.
func longhand(k *Key) *Key {
	l := *k
	l.shortMax = 0
	return &l
}

// FuzzEncodeParse: for any event, the encoded line passes the strict decoder and gives back the
// event's header and values after the documented replacements.
func FuzzEncodeParse(f *testing.F) {
	f.Add("PM-002", "", "alpine", "sh -c id", "root", int64(1846367), 7, "Audit")
	f.Add("ADM-001", "Administration", "a=b c=d", "x\ncs1=y", `back\`, int64(-1), 3, "Error")
	f.Add("ZZ 9|x", "na|me\\", "\x00\x01\xff", strings.Repeat("€", 1100), " = ", int64(0), 11, "blocked")
	f.Add("", "\r\n", "CEF:0|a|b|c|d|e|1|", "\u0085\u00a0", "\t", int64(1<<62), -1, "")
	f.Add("é-1", "abc\u0085", strings.Repeat("a", 1022)+" b", "x cs1=y", "\xff\\", int64(5), 5, "Enforce")
	f.Fuzz(func(t *testing.T, classID, name, msg, cs1, suser string, pid int64, severity int, outcome string) {
		ev := Event{
			Time:        time.Unix(1771409248, 0),
			ClassID:     []byte(classID),
			Name:        []byte(name),
			DefaultName: fuzzDefaultName,
			Severity:    min(max(severity, 0), 10),
			Ext: []Field{
				textField("suser", "", suser),
				{Key: NewKey("dpid", "", 1023), Value: strconv.AppendInt(nil, pid, 10), Kind: Number},
				textField("cs1", "Cluster name", cs1), textField("outcome", "", outcome), textField("msg", "", msg),
			},
		}
		enc := NewEncoder(Header{Vendor: "V|=\\", Product: "P", Version: "1", Hostname: "h", Facility: 1})
		line := string(enc.Append(nil, &ev))
		_, m, err := ParseSyslog(line)
		if err != nil {
			t.Fatalf("strict decoder rejects %q: %v", line, err)
		}
		checkNoLineBreaks(t, line)
		if m.Vendor != "V|=\\" || m.Severity != ev.Severity {
			t.Fatalf("header: vendor %q severity %d in %q", m.Vendor, m.Severity, line)
		}
		wantClass := "UNKNOWN"
		if classID != "" {
			var b []byte // every character outside the set is one '_', an invalid byte too
			for i := 0; i < len(classID) && len(b) < 1023; {
				_, size := utf8.DecodeRuneInString(classID[i:])
				c := classID[i]
				if size == 1 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.:-", c) >= 0) {
					b = append(b, c)
				} else {
					b = append(b, '_')
				}
				i += size
			}
			wantClass = string(b)
		}
		if m.ClassID != wantClass {
			t.Fatalf("class ID %q, want %q", m.ClassID, wantClass)
		}
		wantName := strings.ReplaceAll(strings.ReplaceAll(ceftest.Decoded(name, 512), "\r", " "), "\n", " ")
		if wantName == "" {
			wantName = fuzzDefaultName
		}
		if m.Name != wantName {
			t.Fatalf("name %q, want %q", m.Name, wantName)
		}
		for key, v := range map[string]string{"msg": msg, "cs1": cs1, "suser": suser, "outcome": outcome} {
			max := map[string]int{"msg": 1023, "cs1": 4000, "suser": 1023, "outcome": 63}[key]
			want := ceftest.Decoded(v, max)
			got, has := m.Get(key)
			switch {
			case want == "":
				if has {
					t.Fatalf("%s=%q sent, want it left out (%q)", key, got, line)
				}
			case got != want:
				t.Fatalf("%s=%q, want %q", key, got, want)
			}
		}
	})
}

// FuzzAppendFit: for any event and any message size, the shortened message fits, passes the strict
// decoder, keeps a start of each value, of the Name and of the Class ID, and breaks no line; it is
// refused only when even its header cut to a character or so cannot fit.
func FuzzAppendFit(f *testing.F) {
	f.Add("PM-002", "", "sh -c id", "alpine", "é=|€", uint8(200), uint16(480))
	f.Add("ADM-001", strings.Repeat("n|", 300), "a=b c=d", "x\ncs1=y", "\u202e\u2028", uint8(255), uint16(8096))
	f.Add(strings.Repeat("Z", 1100), "\u200bname", "\xff\\", "🙂 b", " = ", uint8(7), uint16(300))
	f.Add("FM-001", "na\u00adme", "", "a\u2029b", "\t", uint8(0), uint16(100))
	f.Fuzz(func(t *testing.T, classID, name, msg, cs1, cs4 string, repeat uint8, size uint16) {
		ev := Event{Time: time.Unix(1771409248, 0), ClassID: []byte(classID), Name: []byte(name), DefaultName: fuzzDefaultName, Severity: 5}
		in := map[string]string{"source": msg + cs1, "request": cs4 + msg, "cs1": cs1, "cs4": cs4, "msg": msg}
		ev.Ext = []Field{{Key: NewKey("dpid", "", 1023), Value: []byte("42"), Kind: Number}}
		labels := map[string]string{"cs1": "Cluster name", "cs4": "Command"}
		for _, key := range []string{"source", "request", "cs1", "cs4", "msg"} {
			in[key] = strings.Repeat(in[key], int(repeat))
			ev.Ext = append(ev.Ext, textField(key, labels[key], in[key]))
		}
		longhands := ev // the same fields, their keys' texts written piece by piece
		longhands.Ext = make([]Field, len(ev.Ext))
		for i, fd := range ev.Ext {
			longhands.Ext[i] = fd
			longhands.Ext[i].Key = longhand(fd.Key)
		}
		for _, format := range []SyslogFormat{RFC3164, RFC5424} {
			enc := NewEncoder(Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 1, Format: format})
			whole := enc.Append(nil, &ev)
			out, shortened, ok := enc.AppendFit([]byte("x"), &ev, int(size))
			checkTheOtherRoad(t, enc, &ev, int(size), string(whole), string(out), shortened, ok)
			if l, _, _ := enc.AppendFit([]byte("x"), &longhands, int(size)); string(l) != string(out) {
				t.Fatalf("their texts written piece by piece, the fields give %q, not %q", l, out)
			}
			line := string(out[1:])
			switch {
			case !ok:
				// The shortest form: numbers are never cut, nor what stands for a blank Name (the
				// DefaultName) or an empty Class ID (UNKNOWN).
				short := Event{Time: ev.Time, ClassID: []byte("X"), Name: []byte("N"), DefaultName: ev.DefaultName, Severity: 5, Ext: ev.Ext[:1]}
				if ceftest.Decoded(name, 512) == "" {
					short.Name = nil
				}
				if classID == "" {
					short.ClassID = nil
				}
				if out := enc.Append(nil, &short); len(out) <= int(size)-utf8.UTFMax {
					t.Fatalf("refused at %d bytes though %q fits", size, out)
				}
				if line != "" {
					t.Fatalf("refused, yet appended %q", line)
				}
				continue
			case len(line) > int(size):
				t.Fatalf("%d bytes, more than %d: %q", len(line), size, line)
			case !shortened && line != string(whole):
				t.Fatalf("not shortened, yet %q is not %q", line, whole)
			case len(whole) <= int(size) && line != string(whole):
				t.Fatalf("%q fits in %d bytes, yet %q was sent", whole, size, line)
			}
			_, m, err := ParseSyslog(line)
			if err != nil {
				t.Fatalf("strict decoder rejects %q: %v", line, err)
			}
			checkNoLineBreaks(t, line)
			wantName := strings.ReplaceAll(strings.ReplaceAll(ceftest.Decoded(name, 512), "\r", " "), "\n", " ")
			if !strings.HasPrefix(wantName, m.Name) && m.Name != ev.DefaultName {
				t.Fatalf("name %q, not a start of %q", m.Name, wantName)
			}
			for key, v := range in {
				got, _ := m.Get(key)
				if max, _ := KeyLimit(key); !strings.HasPrefix(ceftest.Decoded(v, max), got) {
					t.Fatalf("%s=%q, not a start of %q", key, got, ceftest.Decoded(v, max))
				}
			}
		}
	})
}

// checkTheOtherRoad: AppendWith, the event's fields written by the keys' writers, writes the message
// whole when it fits its size, and refuses it, with nothing appended, when it does not; then
// AppendShortened writes what AppendFit does.
func checkTheOtherRoad(t *testing.T, enc *Encoder, ev *Event, size int, whole, fit string, shortened, ok bool) {
	t.Helper()
	direct, fits := enc.AppendWith([]byte("x"), ev, KeyWriters(ev.Ext), size)
	switch {
	case fits != (len(whole) <= size):
		t.Fatalf("AppendWith: %d bytes fit in %d: %v", len(whole), size, fits)
	case fits && string(direct) != "x"+whole:
		t.Fatalf("AppendWith wrote %q, not %q", direct, "x"+whole)
	case fits:
		return
	case string(direct) != "x":
		t.Fatalf("AppendWith refused the message, yet appended %q", direct[1:])
	}
	out, sh, k := enc.AppendShortened([]byte("x"), ev, size)
	if string(out) != fit || sh != shortened || k != ok {
		t.Fatalf("AppendShortened: %q (%v %v), AppendFit: %q (%v %v)", out, sh, k, fit, shortened, ok)
	}
}

// KeyWriters writes fields as an Extension, each with its key's writer for its kind, as Append
// writes them (exported for the package's outside tests).
type KeyWriters []Field

func (x KeyWriters) AppendPairs(dst []byte) ([]byte, bool) {
	for i := range x {
		switch f := &x[i]; f.Kind {
		case Text, Address:
			dst = f.Key.AppendText(dst, f.Value)
		case Whole:
			dst = f.Key.AppendWhole(dst, f.Num)
		default:
			dst = f.Key.AppendNumber(dst, f.Value)
		}
	}
	return dst, true
}

// checkNoLineBreaks: no character a receiver could take for the end of a line, nor one that hides
// or reorders text, is left in a message.
func checkNoLineBreaks(t *testing.T, line string) {
	t.Helper()
	if i := strings.IndexFunc(line, func(r rune) bool { return r == '\r' || r == '\n' || r == 0 || hidden(r) }); i >= 0 {
		t.Fatalf("%q at %d in %q", []rune(line[i:])[0], i, line)
	}
}

// hidden: U+2028, U+2029 and the format characters (Unicode category Cf), which the encoder writes
// as spaces.
func hidden(r rune) bool { return r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) }
