package cef_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// README "The message", Extension: in values `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`; any other
// control character → a space; invalid UTF-8 → U+FFFD; leading and trailing whitespace trimmed; an
// empty value leaves its key out. docs/cef-and-syslog.md: never escape `|` in values.
func TestValueEscaping(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string // the extension as written
		back string // the value a strict parser reads back
	}{
		{"plain", "hello", `msg=hello`, "hello"},
		{"inner spaces kept", "a  b c", `msg=a  b c`, "a  b c"},
		{"backslash", `a\b`, `msg=a\\b`, `a\b`},
		{"equals", "a=b", `msg=a\=b`, "a=b"},
		{"LF", "a\nb", `msg=a\nb`, "a\nb"},
		{"CR", "a\rb", `msg=a\rb`, "a\rb"},
		{"CRLF", "a\r\nb", `msg=a\r\nb`, "a\r\nb"},
		{"pipe is not escaped", "a|b", `msg=a|b`, "a|b"},
		{"TAB becomes space", "a\tb", `msg=a b`, "a b"},
		{"NUL becomes space", "a\x00b", `msg=a b`, "a b"},
		{"ESC becomes space", "a\x1b[31mb", `msg=a [31mb`, "a [31mb"},
		{"0x1f becomes space", "a\x1fb", `msg=a b`, "a b"},
		{"VT and FF become spaces", "a\v\fb", `msg=a  b`, "a  b"},
		{"DEL becomes space", "a\x7fb", `msg=a b`, "a b"},
		{"C1 U+0080 becomes space", "a\u0080b", `msg=a b`, "a b"},
		{"C1 U+0085 becomes space", "a\u0085b", `msg=a b`, "a b"},
		{"C1 U+009F becomes space", "a\u009fb", `msg=a b`, "a b"},
		{"U+00A0 is not a control character", "a\u00a0b", "msg=a\u00a0b", "a\u00a0b"},
		{"non-ASCII kept", "ключ 日本 🙂", "msg=ключ 日本 🙂", "ключ 日本 🙂"},
		{"invalid byte", "a\xffb", "msg=a\uFFFDb", "a\uFFFDb"},
		{"lone continuation byte", "a\x80b", "msg=a\uFFFDb", "a\uFFFDb"},
		{"invalid byte at the end", "ab\xfe", "msg=ab\uFFFD", "ab\uFFFD"},
		{"leading and trailing spaces", "  a b  ", `msg=a b`, "a b"},
		{"leading and trailing control characters", "\t\r\n a \n\x00", `msg=a`, "a"},
		{"leading C1 control character", "\u0085abc", `msg=abc`, "abc"},
		{"trailing C1 control character", "abc\u0085", `msg=abc`, "abc"},
		{"trailing no-break space", "abc\u00a0", `msg=abc`, "abc"},
		{"trailing em space", "abc\u2003", `msg=abc`, "abc"},
		// Issue 11: what breaks lines for Java's regular expressions, or hides or reorders text.
		{"U+2028 line separator becomes space", "a\u2028b", "msg=a b", "a b"},
		{"U+2029 paragraph separator becomes space", "a\u2029b", "msg=a b", "a b"},
		{"U+202E right-to-left override becomes space", "txt.\u202eexe", "msg=txt. exe", "txt. exe"},
		{"bidi isolates become spaces", "a\u2066b\u2069c", "msg=a b c", "a b c"},
		{"U+200B zero-width space becomes space", "ro\u200bot", "msg=ro ot", "ro ot"},
		{"U+200D zero-width joiner becomes space", "a\u200db", "msg=a b", "a b"},
		{"U+FEFF BOM becomes space", "a\ufeffb", "msg=a b", "a b"},
		{"U+00AD soft hyphen becomes space", "a\u00adb", "msg=a b", "a b"},
		{"U+E0041 tag character becomes space", "a\U000E0041b", "msg=a b", "a b"},
		{"leading BOM and trailing bidi override trimmed", "\ufeffabc\u202e", "msg=abc", "abc"},
		{"trailing line separator trimmed", "abc\u2028", "msg=abc", "abc"},
		{"forged key stays in the value", "x cs1=y", `msg=x cs1\=y`, "x cs1=y"},
		{"forged user stays in the value", "a user=root", `msg=a user\=root`, "a user=root"},
		{"forged event stays in the value",
			"a\nCEF:0|V|P|1|X|N|10|src=1.2.3.4 suser=root",
			`msg=a\nCEF:0|V|P|1|X|N|10|src\=1.2.3.4 suser\=root`,
			"a\nCEF:0|V|P|1|X|N|10|src=1.2.3.4 suser=root"},
		{"input that looks escaped", `a\=b`, `msg=a\\\=b`, `a\=b`},
		{"text backslash-n", `a\nb`, `msg=a\\nb`, `a\nb`},
		{"trailing backslash", `ab\`, `msg=ab\\`, `ab\`},
		{"only a backslash", `\`, `msg=\\`, `\`},
		{"only an equals sign", `=`, `msg=\=`, `=`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ext := extOf(t, msgEvent(c.in))
			assert.Equal(t, c.want, ext)
			m, err := cef.Parse(testHdr + ext)
			require.NoError(t, err, "strict decoder on %q", ext)
			got, ok := m.Get("msg")
			assert.True(t, ok)
			assert.Equal(t, c.back, got)
		})
	}
}

// An empty value (after trimming and replacing) leaves its key out, and the separators stay single.
func TestEmptyValueOmitsKey(t *testing.T) {
	for _, in := range []string{"", " ", "   ", "\t\r\n", "\x00\x01\x7f", "\u0085", " \u0085 \u009f ", "\u200b\ufeff\u2028\u202e"} {
		t.Run(strings.ToValidUTF8(in, "?"), func(t *testing.T) {
			assert.Equal(t, "", extOf(t, msgEvent(in)), "value %q", in)

			ev := newEvent()
			ev.Ext = []cef.Field{text("source", in), text("outcome", "Success"), text("msg", in)}
			assert.Equal(t, "outcome=Success", extOf(t, ev), "value %q", in)

			ev.Ext = []cef.Field{text("source", "pod"), text("outcome", in), text("msg", "m")}
			assert.Equal(t, "source=pod msg=m", extOf(t, ev), "value %q", in)
		})
	}
	// A labelled key with an empty value goes without its label too.
	ev := newEvent()
	ev.Ext = []cef.Field{labelled("cs1", "Cluster name", "  "), labelled("cs6", "Container name", "alpine")}
	assert.Equal(t, "cs6=alpine cs6Label=Container name", extOf(t, ev))
}

// Issue 11: U+2028, U+2029 and format characters (bidi controls, zero-width characters, BOM) become
// spaces in the header fields too, and are trimmed at the ends of the Name like other blanks.
func TestHeaderHiddenCharacters(t *testing.T) {
	enc := cef.NewEncoder(cef.Header{Vendor: "Ven\u202edor", Product: "Pro\u2028duct", Version: "1\ufeff", Hostname: "h", Facility: 20})
	ev := newEvent()
	ev.Name = []byte("\ufeffFile\u200bopened\u2029by\u202eroot\u2066")
	got := string(enc.AppendCEF(nil, ev))
	assert.Equal(t, "CEF:0|Ven dor|Pro duct|1 |X-1|File opened by root|5|", got)
	m := parseOK(t, got)
	assert.Equal(t, "File opened by root", m.Name)

	ev.Name = []byte("\u200b\u2028")
	assert.Equal(t, "CEF:0|V|P|1|X-1|Unknown event|5|", cefOf(ev), "a Name of hidden characters alone is no Name")
}

// README: in header fields `\` → `\\` and `|` → `\|`; CR and LF become spaces; nothing else is
// escaped (docs/cef-and-syslog.md: `\=` in the header is a parse error).
func TestHeaderEscaping(t *testing.T) {
	enc := cef.NewEncoder(cef.Header{Vendor: `Ve|n\d=r`, Product: "Pro\nduct\rX", Version: `1|2`, Hostname: "h", Facility: 20})
	ev := newEvent()
	ev.Name = []byte("a|b\\c=d\ne\rf")
	got := string(enc.AppendCEF(nil, ev))
	assert.Equal(t, `CEF:0|Ve\|n\\d=r|Pro duct X|1\|2|X-1|a\|b\\c=d e f|5|`, got)

	m := parseOK(t, got)
	assert.Equal(t, `Ve|n\d=r`, m.Vendor)
	assert.Equal(t, "Pro duct X", m.Product)
	assert.Equal(t, "1|2", m.Version)
	assert.Equal(t, `a|b\c=d e f`, m.Name)
	assert.Empty(t, m.Extension)
}

// README: the record's own event_name wins over the table; without one the type's name (the
// DefaultName) is used.
func TestHeaderName(t *testing.T) {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Severity = 7
	ev.Name, ev.DefaultName = nil, "Process management"
	assert.Equal(t, "CEF:0|V|P|1|PM-002|Process management|7|", cefOf(ev))
	ev.Name = []byte("Custom name")
	assert.Equal(t, "CEF:0|V|P|1|PM-002|Custom name|7|", cefOf(ev))
}

// README: the Class ID is the record's event_id, with any character outside [A-Za-z0-9_.:-] replaced
// by `_`; a record without one gets UNKNOWN.
func TestClassIDSanitising(t *testing.T) {
	cases := []struct{ in, want string }{
		{"PM-002", "PM-002"},
		{"aZ09_.:-", "aZ09_.:-"},
		{"PM 002", "PM_002"},
		{`x|y\z=w`, "x_y_z_w"},
		{"PM-002\n", "PM-002_"},
		{"a/b+c", "a_b_c"},
		{"", "UNKNOWN"},
	}
	for _, c := range cases {
		ev := newEvent()
		ev.ClassID = []byte(c.in)
		want := "CEF:0|V|P|1|" + c.want + "|N|5|"
		assert.Equal(t, want, cefOf(ev), "class ID %q", c.in)
	}
	ev := newEvent()
	ev.ClassID = nil
	assert.Equal(t, "CEF:0|V|P|1|UNKNOWN|N|5|", cefOf(ev))
}

// README: "any character outside [A-Za-z0-9_.:-] replaced by _": a multi-byte character is one
// character, so one `_` (the code replaces each byte; see the report).
func TestClassIDMultibyteCharacter(t *testing.T) {
	for in, want := range map[string]string{"é-1": "_-1", "日-1": "_-1", "PM-🙂": "PM-_"} {
		ev := newEvent()
		ev.ClassID = []byte(in)
		assert.Equal(t, "CEF:0|V|P|1|"+want+"|N|5|", cefOf(ev), "class ID %q", in)
	}
}

// docs/cef-and-syslog.md "Maximum lengths": the limits of each key as the README's keys use them; a 1 MB value
// is cut to the key's limit in characters.
var stringKeyLimits = []struct {
	name  string
	limit int
}{
	{"source", 1023},
	{"reason", 1023},
	{"fname", 1023},
	{"suser", 1023},
	{"flexString1", 1023},
	{"flexString2", 1023},
	{"request", 1023},
	{"fileHash", 255},
	{"act", 63},
	{"dproc", 1023},
	{"duid", 1023},
	{"filePermission", 1023},
	{"oldFilePath", 1023},
	{"filePath", 1023},
	{"cs1", 4000},
	{"cs2", 4000},
	{"cs3", 4000},
	{"cs4", 4000},
	{"cs5", 4000},
	{"cs6", 4000},
	{"cs7", 4000},
	{"outcome", 63},
	{"msg", 1023},
}

func TestLengthLimits(t *testing.T) {
	const mb = 1 << 20
	fills := []struct {
		name  string
		in    string
		runeW string // the character written for each input character
	}{
		{"ASCII", strings.Repeat("a", mb), "a"},
		{"two-byte characters", strings.Repeat("é", mb/2), "é"},
		{"three-byte characters", strings.Repeat("日", mb/3), "日"},
		{"four-byte characters", strings.Repeat("🙂", mb/4), "🙂"},
		{"invalid bytes", strings.Repeat("\xff", mb), "\uFFFD"},
	}
	for _, k := range stringKeyLimits {
		for _, f := range fills {
			t.Run(k.name+"/"+f.name, func(t *testing.T) {
				ev := newEvent()
				ev.Ext = []cef.Field{text(k.name, f.in)}
				m := parseOK(t, cefOf(ev))
				got, ok := m.Get(k.name)
				require.True(t, ok)
				assert.Equal(t, k.limit, utf8.RuneCountInString(got))
				assert.Equal(t, strings.Repeat(f.runeW, k.limit), got)
			})
		}
	}
}

// docs/cef-and-syslog.md: truncate on a character boundary before escaping, so an escape sequence is never cut;
// the limit counts characters of the unescaped value.
func TestTruncateBeforeEscaping(t *testing.T) {
	a1022 := strings.Repeat("a", 1022)
	cases := []struct {
		name, in, wantExt, back string
	}{
		{"equals at the limit", a1022 + "=bbb", "msg=" + a1022 + `\=`, a1022 + "="},
		{"backslash at the limit", a1022 + `\bbb`, "msg=" + a1022 + `\\`, a1022 + `\`},
		{"equals past the limit", a1022 + "b=c", "msg=" + a1022 + "b", a1022 + "b"},
		{"all escapes", strings.Repeat("=", 2000), "msg=" + strings.Repeat(`\=`, 1023), strings.Repeat("=", 1023)},
		{"multibyte at the limit", a1022 + "日本", "msg=" + a1022 + "日", a1022 + "日"},
		{"leading spaces do not count", "   " + strings.Repeat("a", 1030), "msg=" + strings.Repeat("a", 1023), strings.Repeat("a", 1023)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ext := extOf(t, msgEvent(c.in))
			assert.Equal(t, c.wantExt, ext)
			m := parseOK(t, testHdr+ext)
			got, _ := m.Get("msg")
			assert.Equal(t, c.back, got)
		})
	}
}

// A value cut at its limit must still obey the other rules: no trailing whitespace (docs/cef-and-syslog.md:
// "Leading and trailing spaces are not kept reliably: trim them"), so the strict decoder accepts it.
func TestTruncatedValueHasNoTrailingWhitespace(t *testing.T) {
	a1022 := strings.Repeat("a", 1022)
	for _, sep := range []struct{ name, s string }{
		{"space", " "}, {"tab", "\t"}, {"LF", "\n"}, {"CR", "\r"}, {"NUL", "\x00"}, {"U+0085", "\u0085"},
	} {
		t.Run(sep.name, func(t *testing.T) {
			ext := extOf(t, msgEvent(a1022+sep.s+"bbbb"))
			assert.True(t, ext == "msg="+a1022, "the value cut after 1022 a's ends with %q", strings.TrimLeft(ext, "msg=a"))
			_, err := cef.Parse(testHdr + ext)
			assert.NoError(t, err)
		})
	}
}

// Header limits (docs/cef-and-syslog.md): Vendor and Product 63, Device Version 31, Name 512 characters, cut
// before escaping.
func TestHeaderLengthLimits(t *testing.T) {
	enc := cef.NewEncoder(cef.Header{
		Vendor:   strings.Repeat("v", 62) + "|xyz",
		Product:  strings.Repeat("é", 100),
		Version:  strings.Repeat("1", 30) + `\\\`,
		Hostname: "h", Facility: 20,
	})
	ev := newEvent()
	ev.Name = []byte(strings.Repeat("日", 600))
	got := string(enc.AppendCEF(nil, ev))
	want := "CEF:0|" + strings.Repeat("v", 62) + `\|` + "|" + strings.Repeat("é", 63) + "|" +
		strings.Repeat("1", 30) + `\\` + "|X-1|" + strings.Repeat("日", 512) + "|5|"
	assert.Equal(t, want, got)
	parseOK(t, got)

	ev.ClassID = []byte(strings.Repeat("A", 2000))
	got = string(cef.NewEncoder(smallHeader).AppendCEF(nil, ev))
	assert.Equal(t, "CEF:0|V|P|1|"+strings.Repeat("A", 1023)+"|"+strings.Repeat("日", 512)+"|5|", got)
	parseOK(t, got)
}
