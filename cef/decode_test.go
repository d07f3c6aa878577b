package cef_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Whatever a record holds, the encoder writes a message the strict decoder accepts, with no raw
// control character and valid UTF-8 (docs/cef-and-syslog.md).
func TestEncoderOutputAlwaysParses(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "Z", "0", " ", "  ", "=", "\\", "|", "\n", "\r", "\t", "\x00", "\x7f", "\xff", "\x80",
		"\xc3", "é", "日", "🙂", "\u0085", "\u009f", "\u00a0", "\u2003", "\u3000", "cs1=", " x=", "CEF:0|", "\\n", "\\="}
	gen := func(max int) string {
		var b strings.Builder
		for n := r.IntN(max); n > 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	enc := cef.NewEncoder(cef.Header{Vendor: "Ven|dor\\", Product: "Pro\nduct", Version: "1=2", Hostname: "h", Facility: 20})
	failures := 0
	for i := 0; i < 5000 && failures < 3; i++ {
		ev := newEvent()
		ev.ClassID = []byte(gen(8))
		ev.Name = []byte(gen(8))
		for _, key := range []string{"source", "reason", "fname", "suser", "act", "cs1", "cs4", "outcome", "msg"} {
			n := 12
			if key == "act" && i%50 == 0 {
				n = 200 // longer than act's 63
			}
			ev.Ext = append(ev.Ext, text(key, gen(n)))
		}
		line := string(enc.Append(nil, ev))
		assert.True(t, utf8.ValidString(line))
		if _, _, err := cef.ParseSyslog(line); err != nil {
			failures++
			t.Errorf("the strict decoder rejects %q: %v", line, err)
		}
	}
}

// docs/cef-and-syslog.md: what strict parsers reject, the strict decoder rejects.
func TestParseRejects(t *testing.T) {
	const h = "CEF:0|V|P|1|PM-002|Name|7|"
	cases := []struct{ name, line string }{
		{"missing trailing pipe after severity", "CEF:0|V|P|1|PM-002|Name|7"},
		{"missing pipe, extension glued", "CEF:0|V|P|1|PM-002|Name|7msg=a"},
		{"too few header fields", "CEF:0|V|P|1|"},
		{"not CEF:0", "CEF:1|V|P|1|PM-002|Name|7|"},
		{"no CEF prefix", "V|P|1|PM-002|Name|7|"},
		{"\\= in the header", `CEF:0|V\=x|P|1|PM-002|Name|7|`},
		{"\\n in the header", `CEF:0|V|P|1|PM-002|Na\nme|7|`},
		{"lone backslash at the end of a header field", `CEF:0|V|P|1|PM-002|Name\`},
		{"tab in the header", "CEF:0|V|P|1|PM-002|Na\tme|7|"},
		{"class ID with a space", "CEF:0|V|P|1|PM 002|Name|7|"},
		{"class ID with a non-ASCII letter", "CEF:0|V|P|1|PM-é|Name|7|"},
		{"severity 11", "CEF:0|V|P|1|PM-002|Name|11|"},
		{"severity -1", "CEF:0|V|P|1|PM-002|Name|-1|"},
		{"severity High", "CEF:0|V|P|1|PM-002|Name|High|"},
		{"severity 07", "CEF:0|V|P|1|PM-002|Name|07|"},
		{"severity 7.0", "CEF:0|V|P|1|PM-002|Name|7.0|"},
		{"empty severity", "CEF:0|V|P|1|PM-002|Name||"},
		{"\\t in a value", h + `msg=a\tb`},
		{"\\| in a value", h + `msg=a\|b`},
		{"\\u0041 in a value", h + `msg=\u0041`},
		{"lone trailing backslash", h + `msg=abc\`},
		{"backslash-space", h + `msg=a\ b outcome=x`},
		{"unescaped = in a value", h + `msg=a=b`},
		{"unescaped = after an escaped one", h + `msg=a\==b`},
		{"duplicated key", h + `src=1.2.3.4 src=1.2.3.5`},
		{"duplicated key apart", h + `msg=a outcome=b msg=c`},
		{"cs1 without its label", h + `cs1=prod`},
		{"cs6 without its label", h + `cs6=alpine outcome=Success`},
		{"cs7 without its label", h + `cs7=10.0.0.1`},
		{"label without its key", h + `cs1Label=Cluster name`},
		{"flexString2 without its label", h + `flexString2=abc`},
		{"cn1 without its label", h + `cn1=5`},
		{"c6a2 without its label", h + `c6a2=2001:db8::1`},
		{"raw LF in a value", h + "msg=a\nb"},
		{"raw CR in a value", h + "msg=a\rb"},
		{"raw LF at the end", h + "msg=a\n"},
		{"raw TAB in a value", h + "msg=a\tb"},
		{"raw NUL in a value", h + "msg=a\x00b"},
		{"raw DEL in a value", h + "msg=a\x7fb"},
		{"invalid UTF-8 in a value", h + "msg=a\xffb"},
		{"invalid UTF-8 in the header", "CEF:0|V\xff|P|1|PM-002|Name|7|"},
		{"IPv6 in src", h + `src=2001:db8::1`},
		{"host name in src", h + `src=siem.example.com`},
		{"bad IPv4 in src", h + `src=1.2.3.256`},
		{"IPv6 in dst", h + `dst=::1`},
		{"IPv4 in c6a2", h + `c6a2=1.2.3.4 c6a2Label=Source IPv6 address`},
		{"port out of range", h + `dpt=65536`},
		{"non-integer pid", h + `dpid=12a`},
		{"deviceDirection 2", h + `deviceDirection=2`},
		{"cnt of 0", h + `cnt=0`},
		{"cnt not a number", h + `cnt=many`},
		{"start as a date", h + `start=Feb 18 2026 10:07:28`},
		{"end with a fraction", h + `end=1771409248000.5`},
		{"empty value at the end", h + `msg=`},
		{"empty value in the middle", h + `msg= outcome=Success`},
		{"trailing space in a value", h + `msg=abc `},
		{"trailing space before the next key", h + `msg=abc  outcome=Success`},
		{"leading space in a value", h + `msg= abc`},
		{"no key", h + `=abc`},
		{"key with a bad character", h + `my_key=abc`},
		{"text without key", h + `hello`},
		{"msg of 1024 characters", h + "msg=" + strings.Repeat("a", 1024)},
		{"msg of 1024 multibyte characters", h + "msg=" + strings.Repeat("é", 1024)},
		{"cs1 of 4001 characters", h + "cs1=" + strings.Repeat("a", 4001) + " cs1Label=Cluster name"},
		{"act of 64 characters", h + "act=" + strings.Repeat("a", 64)},
		{"outcome of 64 characters", h + "outcome=" + strings.Repeat("a", 64)},
		{"fileHash of 256 characters", h + "fileHash=" + strings.Repeat("f", 256)},
		{"flexString1Label of 129 characters", h + "flexString1=1 flexString1Label=" + strings.Repeat("L", 129)},
		{"vendor of 64 characters", "CEF:0|" + strings.Repeat("v", 64) + "|P|1|PM-002|Name|7|"},
		{"product of 64 characters", "CEF:0|V|" + strings.Repeat("p", 64) + "|1|PM-002|Name|7|"},
		{"version of 32 characters", "CEF:0|V|P|" + strings.Repeat("1", 32) + "|PM-002|Name|7|"},
		{"class ID of 1024 characters", "CEF:0|V|P|1|" + strings.Repeat("A", 1024) + "|Name|7|"},
		{"name of 513 characters", "CEF:0|V|P|1|PM-002|" + strings.Repeat("n", 513) + "|7|"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := cef.Parse(c.line)
			assert.Error(t, err, "accepted %q", c.line)
		})
	}
}

// docs/cef-and-syslog.md: every csN, cnN, c6aN and flexStringN has its label key, not only the ones this
// product writes.
func TestParseRejectsOtherKeysWithoutLabel(t *testing.T) {
	const h = "CEF:0|V|P|1|PM-002|Name|7|"
	for _, ext := range []string{`cn2=5`, `cn3=5`, `c6a1=2001:db8::1`, `c6a4=2001:db8::1`, `flexString3=x`} {
		_, err := cef.Parse(h + ext)
		assert.Error(t, err, "accepted %q", ext)
	}
}

func TestParseAccepts(t *testing.T) {
	const h = "CEF:0|V|P|1|PM-002|Name|7|"
	cases := []struct {
		name, line string
		want       []cef.Pair
	}{
		{"empty extension", h, nil},
		{"every escape", h + `msg=a\\b\=c\nd\re|f`, []cef.Pair{{"msg", "a\\b=c\nd\re|f"}}},
		{"spaces inside a value", h + `msg=a b  c outcome=x`, []cef.Pair{{"msg", "a b  c"}, {"outcome", "x"}}},
		{"escaped backslash before a key", h + `msg=a\\ outcome=x`, []cef.Pair{{"msg", `a\`}, {"outcome", "x"}}},
		{"unknown key kept", h + `foo=bar`, []cef.Pair{{"foo", "bar"}}},
		{"label pairs", h + `cs1=prod cs1Label=Cluster name`, []cef.Pair{{"cs1", "prod"}, {"cs1Label", "Cluster name"}}},
		{"label before its key", h + `cs1Label=Cluster name cs1=prod`, []cef.Pair{{"cs1Label", "Cluster name"}, {"cs1", "prod"}}},
		{"typed keys", h + `src=10.0.0.1 spt=0 dst=255.255.255.255 dpt=65535 dpid=1 deviceDirection=1`,
			[]cef.Pair{{"src", "10.0.0.1"}, {"spt", "0"}, {"dst", "255.255.255.255"}, {"dpt", "65535"}, {"dpid", "1"}, {"deviceDirection", "1"}}},
		{"counted event", h + `cnt=10000 start=1771409248000 end=1771409257999`,
			[]cef.Pair{{"cnt", "10000"}, {"start", "1771409248000"}, {"end", "1771409257999"}}},
		{"msg of 1023 characters", h + "msg=" + strings.Repeat("é", 1023), []cef.Pair{{"msg", strings.Repeat("é", 1023)}}},
		{"cs1 of 4000 characters", h + "cs1=" + strings.Repeat("a", 4000) + " cs1Label=L",
			[]cef.Pair{{"cs1", strings.Repeat("a", 4000)}, {"cs1Label", "L"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := parseOK(t, c.line)
			assert.Equal(t, c.want, m.Extension)
		})
	}
	m := parseOK(t, `CEF:0|Ve\|n\\d=r|P|1.0|a.b:c_d-E|Na\|me|0|`)
	assert.Equal(t, &cef.Message{Vendor: `Ve|n\d=r`, Product: "P", Version: "1.0", ClassID: "a.b:c_d-E", Name: "Na|me", Severity: 0}, m)
	v, ok := m.Get("msg")
	assert.False(t, ok)
	assert.Equal(t, "", v)
}

// README: `<PRI>Mmm dd hh:mm:ss host ` with the day padded by a space and no program tag before CEF.
func TestParseSyslog(t *testing.T) {
	const c = "CEF:0|V|P|1|X-1|N|7|msg=a b"
	good := []struct {
		line string
		want cef.Syslog
	}{
		{"<163>Feb 18 10:07:28 kcs-node " + c, cef.Syslog{Priority: 163, Stamp: "Feb 18 10:07:28", Hostname: "kcs-node"}},
		{"<0>Feb  8 00:00:00 h " + c, cef.Syslog{Priority: 0, Stamp: "Feb  8 00:00:00", Hostname: "h"}},
		{"<191>Dec 31 23:59:59 10.0.0.1 " + c, cef.Syslog{Priority: 191, Stamp: "Dec 31 23:59:59", Hostname: "10.0.0.1"}},
		{"<13>Jan  1 01:02:03 host.example.com " + c, cef.Syslog{Priority: 13, Stamp: "Jan  1 01:02:03", Hostname: "host.example.com"}},
	}
	for _, g := range good {
		s, m, err := cef.ParseSyslog(g.line)
		require.NoError(t, err, g.line)
		assert.Equal(t, g.want, s)
		require.NotNil(t, m)
		v, _ := m.Get("msg")
		assert.Equal(t, "a b", v)
	}

	bad := []struct{ name, line string }{
		{"no PRI", "Feb 18 10:07:28 h " + c},
		{"empty PRI", "<>Feb 18 10:07:28 h " + c},
		{"PRI 192", "<192>Feb 18 10:07:28 h " + c},
		{"PRI with a leading zero", "<013>Feb 18 10:07:28 h " + c},
		{"PRI not a number", "<1a>Feb 18 10:07:28 h " + c},
		{"PRI negative", "<-1>Feb 18 10:07:28 h " + c},
		{"PRI unclosed", "<163Feb 18 10:07:28 h " + c},
		{"day not padded", "<163>Feb 8 10:07:28 h " + c},
		{"day zero-padded", "<163>Feb 08 10:07:28 h " + c},
		{"day 0", "<163>Feb  0 10:07:28 h " + c},
		{"day 32", "<163>Feb 32 10:07:28 h " + c},
		{"unknown month", "<163>Foo 18 10:07:28 h " + c},
		{"lower-case month", "<163>feb 18 10:07:28 h " + c},
		{"month straddling two names", "<163>anF 18 10:07:28 h " + c},
		{"hour 25", "<163>Feb 18 25:07:28 h " + c},
		{"minute 60", "<163>Feb 18 10:60:28 h " + c},
		{"second 61", "<163>Feb 18 10:07:61 h " + c},
		{"dashes in the time", "<163>Feb 18 10-07-28 h " + c},
		{"RFC 3339 stamp", "<163>2026-02-18T10:07:28Z h " + c},
		{"stamp cut short", "<163>Feb 18 10:07 h " + c},
		{"no host", "<163>Feb 18 10:07:28 " + c},
		{"two spaces before host", "<163>Feb 18 10:07:28  h " + c},
		{"program tag", "<163>Feb 18 10:07:28 h app: " + c},
		{"program tag with pid", "<163>Feb 18 10:07:28 h app[12]: " + c},
		{"host with ESC", "<163>Feb 18 10:07:28 h\x1b[2J " + c},
		{"host with a tab", "<163>Feb 18 10:07:28 h\tx " + c},
		{"host with NUL", "<163>Feb 18 10:07:28 h\x00 " + c},
		{"host with DEL", "<163>Feb 18 10:07:28 h\x7f " + c},
		{"host with a C1 control", "<163>Feb 18 10:07:28 h\u009b2J " + c},
		{"host with U+2028", "<163>Feb 18 10:07:28 h\u2028x " + c},
		{"host not ASCII", "<163>Feb 18 10:07:28 nöde " + c},
		{"host invalid UTF-8", "<163>Feb 18 10:07:28 h\xff " + c},
		{"host of 256 characters", "<163>Feb 18 10:07:28 " + strings.Repeat("h", 256) + " " + c},
		{"bad CEF after a good header", "<163>Feb 18 10:07:28 h CEF:0|V|P|1|X-1|N|7"},
		{"short line", "<1>"},
		{"empty", ""},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, _, err := cef.ParseSyslog(b.line)
			assert.Error(t, err, "accepted %q", b.line)
		})
	}
}

// RFC 5424 §6: HOSTNAME, APP-NAME, PROCID and MSGID are 1 to 255, 48, 128 and 32 printable US-ASCII
// characters without spaces.
func TestParseSyslog5424(t *testing.T) {
	const c = "CEF:0|V|P|1|X-1|N|7|msg=a b"
	header := func(host, app, procID, msgID string) string {
		return "<163>1 2026-02-18T10:07:28.000Z " + host + " " + app + " " + procID + " " + msgID + " - " + c
	}
	s, m, err := cef.ParseSyslog(header("kcs-node", "siem_cef", "-", "PM-002"))
	require.NoError(t, err)
	assert.Equal(t, cef.Syslog{Priority: 163, Version: 1, Stamp: "2026-02-18T10:07:28.000Z", Hostname: "kcs-node", AppName: "siem_cef", MsgID: "PM-002"}, s)
	require.NotNil(t, m)
	_, _, err = cef.ParseSyslog(header(strings.Repeat("h", 255), strings.Repeat("a", 48), strings.Repeat("p", 128), strings.Repeat("m", 32)))
	assert.NoError(t, err, "each field at its longest")

	bad := []struct{ name, line string }{
		{"host with ESC", header("h\x1b[2J", "a", "-", "-")},
		{"host of 256 characters", header(strings.Repeat("h", 256), "a", "-", "-")},
		{"host not ASCII", header("nöde", "a", "-", "-")},
		{"APP-NAME with DEL", header("h", "a\x7f", "-", "-")},
		{"APP-NAME of 49 characters", header("h", strings.Repeat("a", 49), "-", "-")},
		{"PROCID of 129 characters", header("h", "a", strings.Repeat("p", 129), "-")},
		{"MSGID with a C1 control", header("h", "a", "-", "m\u0085")},
		{"MSGID of 33 characters", header("h", "a", "-", strings.Repeat("m", 33))},
		{"empty host", header("", "a", "-", "-")},
		{"time stamp with DEL", "<163>1 2026-02-18T10:07:28\x7fZ h a - - - " + c},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, _, err := cef.ParseSyslog(b.line)
			assert.Error(t, err, "accepted %q", b.line)
		})
	}
}

// An error names the bad text escaped: `siem-cef listen` prints it, and a terminal must not act on it.
func TestParseSyslogErrorsEscapeTheText(t *testing.T) {
	for _, line := range []string{
		"<163>1 2026-02-18T10:07:28\x7f\x1b[2J\u009bZ h a - - - CEF:0|V|P|1|X-1|N|7|",
		"<163>1 2026-02-18T10:07:28Z h\x1b[2J\u2028\u202e a - - - CEF:0|V|P|1|X-1|N|7|",
		"<163>Feb 18 10:07:28 h\x1b[2J\u2028\u202e CEF:0|V|P|1|X-1|N|7|",
		"<163>Feb 18 1\x1b:07:28 h CEF:0|V|P|1|X-1|N|7|",
		"CEF:0|V|P|1|X\u2028|N|7|",
		"CEF:0|V|P|1|X-1|N|7\x7f|",
	} {
		_, _, err := cef.ParseSyslog(line)
		require.Error(t, err, line)
		assert.False(t, strings.ContainsFunc(err.Error(), func(r rune) bool {
			return r < ' ' || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029' || r == '\u202e'
		}), "%q", err.Error())
	}
}

// Every Hostname the configuration accepts with a syslog format, the encoder writes in a header of
// that format that the strict decoder takes back unchanged. RFC 5424 takes every printable name;
// RFC 3164 only those receivers read as the host (config's TestHostnameFitsTheSyslogFormat).
func TestConfiguredHostnamesDecode(t *testing.T) {
	var printable []byte // every printable ASCII character but the space
	for b := byte('!'); b <= '~'; b++ {
		printable = append(printable, b)
	}
	for _, host := range []string{"n", "node-1.example.com", "10.0.0.1", "2001:db8::1", string(printable), strings.Repeat("h", 255)} {
		for _, format := range []string{"rfc3164", "rfc5424"} {
			cfg, err := config.Load(config.GetterFunc(func(key string) string {
				return map[string]string{"Address": "127.0.0.1:514", "Hostname": host, "Syslog_Format": format}[key]
			}), "kcs")
			if format == "rfc3164" && strings.ContainsAny(host, ":!~") {
				require.Error(t, err, host)
				continue
			}
			require.NoError(t, err, host)
			require.Equal(t, host, cfg.Hostname)
			line := string(cef.NewEncoder(cfg.Header).Append(nil, newEvent()))
			s, _, err := cef.ParseSyslog(line)
			if assert.NoError(t, err, line) {
				assert.Equal(t, host, s.Hostname)
			}
		}
	}
}
