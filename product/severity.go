package product

import (
	"bytes"
	"math"
	"strings"

	"github.com/kcs-siem/siem-cef/record"
)

var severityNames = []struct {
	name     string
	severity int
}{
	{"unknown", 0}, {"low", 3}, {"medium", 6}, {"high", 8}, {"very-high", 10}, {"very high", 10},
}

// ParseSeverity reads a record's own severity: a number 0–10 (rounded and clamped) or one of the CEF
// severity names in any case. ok is false when the value is none of these.
func ParseSeverity(v record.Value) (severity int, ok bool) {
	switch v.Kind {
	case record.KindInt, record.KindUint:
		i, fits := v.AsInt()
		if !fits {
			i = math.MaxInt64
		}
		return clampSeverity(float64(i)), true
	case record.KindFloat:
		if math.IsNaN(v.Float()) {
			return 0, false
		}
		return clampSeverity(math.Round(v.Float())), true
	case record.KindString:
		s := bytes.TrimSpace(v.Bytes)
		if i, isInt := record.String(s).AsInt(); isInt {
			return clampSeverity(float64(i)), true
		}
		if neg, ok := longInteger(s); ok { // past int64: clamped, as such a number given as an integer is
			if neg {
				return 0, true
			}
			return 10, true
		}
		for _, n := range severityNames {
			if bytes.EqualFold(s, []byte(n.name)) {
				return n.severity, true
			}
		}
	}
	return 0, false
}

// ParseSeveritySetting reads a severity as a property gives it (Severity, Set.severity): a whole
// number from 0 to 10 or a severity name. A number out of range is refused, where a record's is
// clamped: a setting is the user's own, checked at start.
func ParseSeveritySetting(s string) (severity int, ok bool) {
	t := strings.TrimSpace(s)
	if severity, ok = ParseSeverity(record.String([]byte(t))); !ok || t == "" || t[0] >= 'A' {
		return severity, ok // a name
	}
	n, isInt := record.String([]byte(t)).AsInt()
	return severity, isInt && n >= 0 && n <= 10
}

// longInteger reports a decimal integer too long for an int64 (a sign, then digits), and its sign.
func longInteger(s []byte) (neg, ok bool) {
	neg = len(s) > 0 && s[0] == '-'
	if neg || len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	return neg, len(s) > 0 && bytes.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func clampSeverity(f float64) int {
	return int(math.Max(0, math.Min(10, f)))
}

// OutcomeAny makes an override apply whatever the outcome.
const OutcomeAny Outcome = 255

// Override replaces the type's rule for the events it matches. Match is an event ID ("API-002") or
// a type prefix ("PM").
type Override struct {
	Match    string
	Outcome  Outcome
	Severity int
}

// Overrides are an integration's Severity setting. The most specific match wins: event ID before
// prefix, a given outcome before any outcome.
type Overrides []Override

// Lookup finds the severity an override sets for an event, if any.
func (o Overrides) Lookup(classID []byte, t *Type, out Outcome) (int, bool) {
	best, found := -1, 0
	for i := range o {
		rank := 0
		switch {
		case string(classID) == o[i].Match:
			rank = 2
		case t != UnknownType && t.Prefix == o[i].Match:
			rank = 1
		default:
			continue
		}
		rank *= 2
		if o[i].Outcome == out {
			rank++
		} else if o[i].Outcome != OutcomeAny {
			continue
		}
		if rank > best {
			best, found = rank, o[i].Severity
		}
	}
	return found, best >= 0
}

// outcomeNames are the outcomes an override can name.
var outcomeNames = map[string]Outcome{
	"success": OutcomeSuccess, "error": OutcomeError, "audit": OutcomeAudit, "enforce": OutcomeEnforce,
	"other": OutcomeOther, "*": OutcomeAny,
}

// ParseOutcomeName reads an outcome as an override names it (any case).
func ParseOutcomeName(s string) (Outcome, bool) {
	o, ok := outcomeNames[strings.ToLower(s)]
	return o, ok
}

// OutcomeName is the name ParseOutcomeName reads.
func OutcomeName(o Outcome) string {
	for name, v := range outcomeNames {
		if v == o {
			return name
		}
	}
	return "other"
}
