package cef

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef/ceftest"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// FuzzEncodeParse: for any event, the encoded line passes the strict decoder and gives back the
// event's header and values after the documented replacements.
func FuzzEncodeParse(f *testing.F) {
	f.Add("PM-002", "", "alpine", "sh -c id", "root", int64(1846367), 7, "Audit")
	f.Add("ADM-001", "Administration", "a=b c=d", "x\ncs1=y", `back\`, int64(-1), 3, "Error")
	f.Add("ZZ 9|x", "na|me\\", "\x00\x01\xff", strings.Repeat("€", 1100), " = ", int64(0), 11, "blocked")
	f.Add("", "\r\n", "CEF:0|a|b|c|d|e|1|", "\u0085\u00a0", "\t", int64(1<<62), -1, "")
	f.Add("é-1", "abc\u0085", strings.Repeat("a", 1022)+" b", "x cs1=y", "\xff\\", int64(5), 5, "Enforce")
	f.Fuzz(func(t *testing.T, classID, name, msg, cs1, suser string, pid int64, severity int, outcome string) {
		ev := product.Event{
			Time:     time.Unix(1771409248, 0),
			ClassID:  []byte(classID),
			Name:     []byte(name),
			Type:     product.LookupType([]byte(classID)),
			Severity: min(max(severity, 0), 10),
		}
		ev.Outcome = product.ClassifyOutcome([]byte(outcome))
		ev.Values[product.KeyMsg] = record.String([]byte(msg))
		ev.Values[product.KeyCs1] = record.String([]byte(cs1))
		ev.Values[product.KeySuser] = record.String([]byte(suser))
		ev.Values[product.KeyOutcome] = record.String([]byte(outcome))
		ev.Values[product.KeyDpid] = record.Int(pid)
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
			wantName = ev.Type.Name
		}
		if m.Name != wantName {
			t.Fatalf("name %q, want %q", m.Name, wantName)
		}
		for key, v := range map[string]string{"msg": msg, "cs1": cs1, "suser": suser, "outcome": outcome} {
			max := map[string]int{"msg": 1023, "cs1": 4000, "suser": 1023, "outcome": 63}[key]
			want := ceftest.Decoded(v, max)
			sent := ev.Sends(keyByName(key))
			got, has := m.Get(key)
			switch {
			case !sent || want == "":
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
		ev := product.Event{Time: time.Unix(1771409248, 0), ClassID: []byte(classID), Name: []byte(name), Severity: 5}
		ev.Type = product.LookupType(ev.ClassID)
		in := map[product.Key]string{product.KeyMsg: msg, product.KeyCs1: cs1, product.KeyCs4: cs4, product.KeySource: msg + cs1, product.KeyRequest: cs4 + msg}
		for k, v := range in {
			in[k] = strings.Repeat(v, int(repeat))
			ev.Values[k] = record.String([]byte(in[k]))
		}
		ev.Values[product.KeyDpid] = record.Int(42)
		for _, format := range []SyslogFormat{RFC3164, RFC5424} {
			enc := NewEncoder(Header{Vendor: "V", Product: "P", Version: "1", Hostname: "h", Facility: 1, Format: format})
			whole := enc.Append(nil, &ev)
			out, shortened, ok := enc.AppendFit([]byte("x"), &ev, int(size))
			line := string(out[1:])
			switch {
			case !ok:
				short := product.Event{Time: ev.Time, ClassID: []byte("X"), Name: []byte("N"), Type: ev.Type, Severity: 5}
				short.Values[product.KeyDpid] = ev.Values[product.KeyDpid] // numbers are never cut
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
			if !strings.HasPrefix(wantName, m.Name) && m.Name != ev.Type.Name {
				t.Fatalf("name %q, not a start of %q", m.Name, wantName)
			}
			for k, v := range in {
				got, _ := m.Get(k.Name())
				if want := ceftest.Decoded(v, k.Max()); !strings.HasPrefix(want, got) {
					t.Fatalf("%s=%q, not a start of %q", k.Name(), got, want)
				}
			}
		}
	})
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

func keyByName(name string) product.Key {
	for k := product.Key(0); k < product.NumKeys; k++ {
		if k.Name() == name {
			return k
		}
	}
	panic(name)
}
