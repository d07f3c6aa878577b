package cef

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The strict decoder: it accepts what the strictest real parsers accept (docs/cef-and-syslog.md) and rejects
// the rest with the reason, so the tests and `siem-cef listen` hold the encoder to it.

// Message is one decoded CEF message.
type Message struct {
	Vendor, Product, Version string
	ClassID, Name            string
	Severity                 int
	Extension                []Pair // in the order written, values unescaped
}

// Pair is one extension key and its unescaped value.
type Pair struct{ Key, Value string }

// Get returns the value of a key and whether it is present.
func (m *Message) Get(key string) (string, bool) {
	for _, p := range m.Extension {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Syslog is the header in front of a CEF message: RFC 3164, RFC 5424 (Version 1), or none (Priority
// -1).
type Syslog struct {
	Priority int
	Version  int    // 1 for RFC 5424, 0 for RFC 3164
	Stamp    string // "Mmm dd hh:mm:ss", or RFC 5424's RFC 3339 time
	Hostname string
	AppName  string // RFC 5424 only
	MsgID    string // RFC 5424 only
}

// ParseSyslog splits a line into its syslog header and the CEF message, which it decodes strictly:
// RFC 3164 "<PRI>Mmm dd hh:mm:ss host CEF:..." with no program tag before "CEF:", RFC 5424
// "<PRI>1 TIMESTAMP HOST APP PROCID MSGID - CEF:..." without a BOM, or "CEF:..." alone. The host
// name of either format, and RFC 5424's APP-NAME, PROCID and MSGID, are checked as headerToken says.
func ParseSyslog(line string) (Syslog, *Message, error) {
	s := Syslog{Priority: -1}
	if strings.HasPrefix(line, "CEF:") {
		m, err := Parse(line)
		return s, m, err
	}
	if !strings.HasPrefix(line, "<") {
		return s, nil, errors.New("syslog: no <PRI>")
	}
	end := strings.IndexByte(line, '>')
	if end < 2 || end > 4 {
		return s, nil, errors.New("syslog: malformed <PRI>")
	}
	pri, err := strconv.Atoi(line[1:end])
	if err != nil || pri < 0 || pri > 191 || line[1:end] != strconv.Itoa(pri) {
		return s, nil, fmt.Errorf("syslog: PRI %q is not 0-191", line[1:end])
	}
	s.Priority = pri
	rest := line[end+1:]
	if after, ok := strings.CutPrefix(rest, "1 "); ok {
		return parse5424(s, after)
	}
	if len(rest) < 16 || rest[15] != ' ' {
		return s, nil, errors.New("syslog: time stamp is not \"Mmm dd hh:mm:ss\"")
	}
	s.Stamp = rest[:15]
	if !validStamp(s.Stamp) {
		return s, nil, fmt.Errorf("syslog: time stamp %q is not \"Mmm dd hh:mm:ss\"", s.Stamp)
	}
	rest = rest[16:]
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 {
		return s, nil, errors.New("syslog: no host name")
	}
	s.Hostname = rest[:sp]
	if err := headerToken("host name", s.Hostname, maxHostname); err != nil {
		return s, nil, err
	}
	m, err := Parse(rest[sp+1:])
	return s, m, err
}

func parse5424(s Syslog, rest string) (Syslog, *Message, error) {
	s.Version = 1
	f := strings.SplitN(rest, " ", 7)
	if len(f) < 7 {
		return s, nil, errors.New("syslog: RFC 5424 header has fewer than six fields")
	}
	if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil {
		// not time's error, which would repeat the text with DEL unescaped
		return s, nil, fmt.Errorf("syslog: RFC 5424 time stamp %q is not an RFC 3339 time", f[0])
	}
	for i, field := range []struct {
		name string
		max  int
	}{{"HOSTNAME", maxHostname}, {"APP-NAME", 48}, {"PROCID", 128}, {"MSGID", 32}} {
		if err := headerToken("RFC 5424 "+field.name, f[i+1], field.max); err != nil {
			return s, nil, err
		}
	}
	if f[5] != "-" {
		return s, nil, errors.New("syslog: RFC 5424 structured data must be - before a CEF message")
	}
	s.Stamp, s.Hostname, s.AppName, s.MsgID = f[0], f[1], f[2], f[4]
	m, err := Parse(f[6])
	return s, m, err
}

// maxHostname is RFC 5424's limit on HOSTNAME (§6.2.4); RFC 3164 gives none, so it is taken for both.
const maxHostname = 255

// headerToken checks a syslog header field that a space ends: 1 to max bytes, each printable US-ASCII
// other than the space ('!' to '~', RFC 5424's PRINTUSASCII; RFC 3164 §4.1.2 only says a host name
// holds no space). So no control character, DEL, or non-ASCII character reaches a reader through it.
func headerToken(name, v string, max int) error {
	if len(v) == 0 || len(v) > max || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fmt.Errorf("syslog: %s %q is not 1-%d printable ASCII characters without spaces", name, v, max)
	}
	return nil
}

func validStamp(st string) bool {
	if m := strings.Index(months, st[:3]); m < 0 || m%3 != 0 || st[3] != ' ' || st[6] != ' ' {
		return false
	}
	d, err := strconv.Atoi(strings.TrimLeft(st[4:6], " "))
	if err != nil || d < 1 || d > 31 || (d < 10) != (st[4] == ' ') {
		return false
	}
	if st[9] != ':' || st[12] != ':' {
		return false
	}
	for i, limit := range map[int]int{7: 24, 10: 60, 13: 60} {
		n, err := strconv.Atoi(st[i : i+2])
		if err != nil || n < 0 || n >= limit || st[i] < '0' || st[i] > '9' {
			return false
		}
	}
	return true
}

// headerLimits are the header fields' maximum lengths in characters, in order.
var headerLimits = [6]int{63, 63, 31, 1023, 512, 2}

// Parse decodes one CEF message, "CEF:0|Vendor|Product|Version|ClassID|Name|Severity|extension".
func Parse(s string) (*Message, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("cef: not valid UTF-8")
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("cef: raw CR or LF in the message")
	}
	rest, ok := strings.CutPrefix(s, "CEF:0|")
	if !ok {
		return nil, errors.New(`cef: does not start with "CEF:0|"`)
	}
	var fields [6]string
	for i := range fields {
		f, r, err := headerField(rest)
		if err != nil {
			return nil, fmt.Errorf("cef: header field %d: %w", i+2, err)
		}
		if n := utf8.RuneCountInString(f); n > headerLimits[i] {
			return nil, fmt.Errorf("cef: header field %d is %d characters, more than %d", i+2, n, headerLimits[i])
		}
		fields[i], rest = f, r
	}
	m := &Message{Vendor: fields[0], Product: fields[1], Version: fields[2], ClassID: fields[3], Name: fields[4]}
	sev, err := strconv.Atoi(fields[5])
	if err != nil || sev < 0 || sev > 10 || fields[5] != strconv.Itoa(sev) {
		return nil, fmt.Errorf("cef: severity %q is not an integer 0-10", fields[5])
	}
	m.Severity = sev
	for _, c := range m.ClassID {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.:-", c)) {
			return nil, fmt.Errorf("cef: class ID %q has %q, outside [A-Za-z0-9_.:-]", m.ClassID, c)
		}
	}
	if m.Extension, err = parseExtension(rest); err != nil {
		return nil, err
	}
	if err := checkExtension(m.Extension); err != nil {
		return nil, err
	}
	return m, nil
}

// headerField reads up to the next unescaped '|'; only \\ and \| are escapes there.
func headerField(s string) (field, rest string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '|':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) || s[i+1] != '\\' && s[i+1] != '|' {
				return "", "", errors.New(`a backslash that is not \\ or \|`)
			}
			i++
			b.WriteByte(s[i])
		default:
			if c < 0x20 || c == 0x7f {
				return "", "", fmt.Errorf("control character 0x%02x", c)
			}
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("no closing '|' (the pipe after Severity is required)")
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// keyAt reports whether s[i:] starts with a key followed by '=', and returns the key.
func keyAt(s string, i int) (string, bool) {
	j := i
	for j < len(s) && isKeyChar(s[j]) {
		j++
	}
	return s[i:j], j > i && j < len(s) && s[j] == '='
}

// parseExtension splits "k1=v1 k2=v2". A value ends at the space before the next "key=", so an
// unescaped '=' anywhere else is an error: it is how keys get forged.
func parseExtension(s string) ([]Pair, error) {
	var pairs []Pair
	i := 0
	for i < len(s) {
		key, ok := keyAt(s, i)
		if !ok {
			return nil, fmt.Errorf("cef: extension at offset %d: expected key=", i)
		}
		i += len(key) + 1
		var v strings.Builder
		for i < len(s) {
			c := s[i]
			if c == ' ' {
				if _, next := keyAt(s, i+1); next {
					i++
					break
				}
			}
			switch {
			case c == '\\':
				if i+1 == len(s) {
					return nil, fmt.Errorf("cef: value of %s ends with a lone backslash", key)
				}
				switch s[i+1] {
				case '\\', '=':
					v.WriteByte(s[i+1])
				case 'n':
					v.WriteByte('\n')
				case 'r':
					v.WriteByte('\r')
				default:
					return nil, fmt.Errorf(`cef: value of %s has the escape \%c, which parsers reject`, key, s[i+1])
				}
				i += 2
				continue
			case c == '=':
				return nil, fmt.Errorf("cef: value of %s has an unescaped '='", key)
			case c < 0x20 || c == 0x7f:
				return nil, fmt.Errorf("cef: value of %s has control character 0x%02x", key, c)
			}
			v.WriteByte(c)
			i++
		}
		val := v.String()
		if val == "" {
			return nil, fmt.Errorf("cef: %s has an empty value", key)
		}
		if strings.TrimSpace(val) != val {
			return nil, fmt.Errorf("cef: value of %s has leading or trailing whitespace", key)
		}
		pairs = append(pairs, Pair{key, val})
	}
	return pairs, nil
}

// checkExtension applies the rules that span keys: each key once, labels, lengths and typed keys.
func checkExtension(pairs []Pair) error {
	seen := map[string]string{}
	for _, p := range pairs {
		if _, dup := seen[p.Key]; dup {
			return fmt.Errorf("cef: key %s appears twice", p.Key)
		}
		seen[p.Key] = p.Value
		if max, ok := KeyLimit(p.Key); ok && utf8.RuneCountInString(p.Value) > max {
			return fmt.Errorf("cef: value of %s is longer than %d characters", p.Key, max)
		}
		if err := checkTyped(p); err != nil {
			return err
		}
	}
	for key := range seen {
		if isLabelled(key) {
			if _, ok := seen[key+"Label"]; !ok {
				return fmt.Errorf("cef: %s has no %sLabel", key, key)
			}
		}
		if base, ok := strings.CutSuffix(key, "Label"); ok && isLabelled(base) {
			if _, ok := seen[base]; !ok {
				return fmt.Errorf("cef: %s has no %s", key, base)
			}
		}
	}
	return nil
}

// isLabelled reports the custom keys whose meaning only their label gives: one of labelledPrefixes
// and a number (cs1, flexString2). It is written out, not a regular expression, which would link the
// regexp package into the plugin.
func isLabelled(key string) bool {
	for _, p := range labelledPrefixes {
		if n, ok := strings.CutPrefix(key, p); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
	}
	return false
}

var labelledPrefixes = []string{"cs", "cn", "c6a", "flexString", "cfp", "deviceCustomDate", "flexDate", "flexNumber"}

func checkTyped(p Pair) error {
	switch p.Key {
	case "src", "dst":
		if a, err := netip.ParseAddr(p.Value); err != nil || !a.Is4() {
			return fmt.Errorf("cef: %s=%q is not an IPv4 address", p.Key, p.Value)
		}
	case "c6a1", "c6a2", "c6a3", "c6a4":
		if a, err := netip.ParseAddr(p.Value); err != nil || !a.Is6() {
			return fmt.Errorf("cef: %s=%q is not an IPv6 address", p.Key, p.Value)
		}
	case "spt", "dpt":
		if n, err := strconv.Atoi(p.Value); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("cef: %s=%q is not a port", p.Key, p.Value)
		}
	case "dpid", "spid", "cn1", "cn2", "cn3":
		if _, err := strconv.ParseInt(p.Value, 10, 64); err != nil {
			return fmt.Errorf("cef: %s=%q is not an integer", p.Key, p.Value)
		}
	case "cnt":
		if n, err := strconv.ParseInt(p.Value, 10, 64); err != nil || n < 1 {
			return fmt.Errorf("cef: cnt=%q is not a count of events", p.Value)
		}
	case "start", "end":
		if _, err := strconv.ParseInt(p.Value, 10, 64); err != nil {
			return fmt.Errorf("cef: %s=%q is not a time in milliseconds since the epoch", p.Key, p.Value)
		}
	case "deviceDirection":
		if p.Value != "0" && p.Value != "1" {
			return fmt.Errorf("cef: deviceDirection=%q is not 0 or 1", p.Value)
		}
	}
	return nil
}
