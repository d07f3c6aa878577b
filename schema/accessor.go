package schema

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// Assignment is an integration's Set.<field> and Map.<field> for one field of docs/events.md §6.
type Assignment struct {
	Field Field
	// Path is Map.<field>: where the value is in the record. Nil when not set.
	Path record.Path
	// Value is Set.<field>: a constant, used when there is no Path or the record lacks it. "" when
	// not set.
	Value string
}

// compiled is an Assignment ready for use: the constant as a record value, made once.
type compiled struct {
	field Field
	path  record.Path
	value record.Value
}

// compile makes the assignments ready once, at the first record.
func (m *Mapper) compile() {
	if len(m.compiled) == len(m.Assign) {
		return
	}
	m.compiled = make([]compiled, len(m.Assign))
	for i, a := range m.Assign {
		m.compiled[i] = compiled{field: a.Field, path: a.Path}
		if a.Value != "" {
			m.compiled[i].value = record.String([]byte(a.Value))
		}
	}
}

// CheckValue tells whether a Set.<field> value can be used for the field; when not, accepts says
// what the field takes. The checks are those finish makes of a record's value, so that a constant
// never turns into a warning on every event.
func CheckValue(f Field, v string) (accepts string, ok bool) {
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return "text without control characters", false
	}
	switch f {
	case FieldSeverity:
		if _, ok := product.ParseSeveritySetting(v); !ok {
			return "a severity 0-10 or one of Unknown, Low, Medium, High, Very-High", false
		}
	case FieldSrcIP, FieldDstIP, FieldNodeIP:
		if _, err := netip.ParseAddr(v); err != nil {
			return "an IPv4 or IPv6 address", false
		}
	case FieldSrcPort, FieldDstPort:
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 || v[0] == '+' {
			return "a port number 0-65535", false
		}
	case FieldPID, FieldPPID: // dpid and spid, CEF Integers
		if n, err := strconv.ParseInt(v, 10, 32); err != nil || n < 0 || v[0] == '+' {
			return "a process ID from 0 to 2147483647", false
		}
	case FieldNewPID, FieldEUID, FieldEGID:
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || v[0] == '+' {
			return "a whole number", false
		}
	case FieldDirection:
		for _, w := range directionWords {
			if strings.EqualFold(v, w.word) {
				return "", true
			}
		}
		return "0, 1, inbound or outbound", false
	case FieldEventID:
		if strings.ContainsFunc(v, func(r rune) bool {
			return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-", r))
		}) {
			return "an event ID of letters, digits and _ . : - (e.g. FPM-001)", false
		}
	}
	return "", true
}
