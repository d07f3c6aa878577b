package cef

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef/ceftest"
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
		ev := Event{
			Time:     time.Unix(1771409248, 0),
			ClassID:  []byte(classID),
			Name:     []byte(name),
			Type:     LookupType([]byte(classID)),
			Severity: clampSeverity(float64(severity)),
		}
		ev.Outcome = ClassifyOutcome([]byte(outcome))
		ev.Values[KeyMsg] = String([]byte(msg))
		ev.Values[KeyCs1] = String([]byte(cs1))
		ev.Values[KeySuser] = String([]byte(suser))
		ev.Values[KeyOutcome] = String([]byte(outcome))
		ev.Values[KeyDpid] = Int(pid)
		enc := NewEncoder(Header{Vendor: "V|=\\", Product: "P", Version: "1", Hostname: "h", Facility: 1})
		line := string(enc.Append(nil, &ev))
		_, m, err := ParseSyslog(line)
		if err != nil {
			t.Fatalf("strict decoder rejects %q: %v", line, err)
		}
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

func keyByName(name string) Key {
	for k := Key(0); k < NumKeys; k++ {
		if k.Name() == name {
			return k
		}
	}
	panic(name)
}
