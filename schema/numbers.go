package schema

import (
	"math"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// numericKeys are the keys CEF types as integers, with the range of their type: a SIEM drops the key
// or refuses the event for any other value there (a port of "https", a dpid past 32 bits).
var numericKeys = [...]struct {
	key      product.Key
	field    string
	min, max int64
	reason   string
}{
	{product.KeySpt, "src_port", 0, 65535, "not a port (a whole number from 0 to 65535); left out"},
	{product.KeyDpt, "dst_port", 0, 65535, "not a port (a whole number from 0 to 65535); left out"},
	{product.KeyDpid, "pid", math.MinInt32, math.MaxInt32, "not a process ID (a signed whole number of 32 bits); left out"},
	{product.KeySpid, "ppid", math.MinInt32, math.MaxInt32, "not a process ID (a signed whole number of 32 bits); left out"},
	{product.KeyCn1, "new_pid", math.MinInt64, math.MaxInt64, "not a whole number; left out"}, // a Long
}

// checkNumbers leaves out a typed key whose value is not a whole number in its range, and makes the
// others numbers.
func checkNumbers(ev *product.Event, problems []Problem) []Problem {
	for k := range numericKeys {
		n := &numericKeys[k]
		v := &ev.Values[n.key]
		// none, or the usual one, without AsInt's call; Kind, not IsZero, whose inlined receiver is a
		// copy of the value
		if v.Kind == record.KindNone || v.Kind == record.KindInt && v.Int() >= n.min && v.Int() <= n.max {
			continue
		}
		if i, ok := v.AsInt(); ok && i >= n.min && i <= n.max {
			*v = record.Int(i) // a decimal string too: written as its digits, and never cut as text
			continue
		}
		problems = append(problems, Problem{n.field, n.reason})
		*v = record.Value{}
	}
	return problems
}
