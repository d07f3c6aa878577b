package cef

import (
	"bytes"
	"math"
)

var severityNames = []struct {
	name     string
	severity int
}{
	{"unknown", 0}, {"low", 3}, {"medium", 6}, {"high", 8}, {"very-high", 10}, {"very high", 10},
}

// ParseSeverity reads a record's own severity: a number 0–10 (rounded and clamped) or one of the CEF
// severity names in any case. ok is false when the value is none of these.
func ParseSeverity(v Value) (severity int, ok bool) {
	switch v.Kind {
	case KindInt, KindUint:
		i, fits := v.AsInt()
		if !fits {
			i = math.MaxInt64
		}
		return clampSeverity(float64(i)), true
	case KindFloat:
		if math.IsNaN(v.Float) {
			return 0, false
		}
		return clampSeverity(math.Round(v.Float)), true
	case KindString:
		s := bytes.TrimSpace(v.Bytes)
		if i, isInt := String(s).AsInt(); isInt {
			return clampSeverity(float64(i)), true
		}
		for _, n := range severityNames {
			if bytes.EqualFold(s, []byte(n.name)) {
				return n.severity, true
			}
		}
	}
	return 0, false
}

func clampSeverity(f float64) int {
	return int(math.Max(0, math.Min(10, f)))
}

// SyslogSeverity is the syslog severity written in PRI for a CEF severity: low is informational,
// medium a warning, high an error, very high critical.
func SyslogSeverity(cefSeverity int) int {
	switch {
	case cefSeverity >= 9:
		return 2
	case cefSeverity >= 7:
		return 3
	case cefSeverity >= 4:
		return 4
	}
	return 6
}
