package schema

import (
	"math"

	"github.com/kcs-siem/siem-cef/cef"
)

// numericKeys are the keys CEF types as integers: a SIEM drops or refuses the event for any other
// value there (a port of "https", say).
var numericKeys = []struct {
	key      cef.Key
	field    string
	min, max int64
}{
	{cef.KeySpt, "src_port", 0, 65535},
	{cef.KeyDpt, "dst_port", 0, 65535},
	{cef.KeyDpid, "pid", math.MinInt64, math.MaxInt64},
	{cef.KeySpid, "ppid", math.MinInt64, math.MaxInt64},
	{cef.KeyCn1, "new_pid", math.MinInt64, math.MaxInt64},
}

// checkNumbers leaves out a typed key whose value is not a whole number in its range.
func checkNumbers(ev *cef.Event, problems []Problem) []Problem {
	for _, n := range numericKeys {
		v := &ev.Values[n.key]
		if v.IsZero() {
			continue
		}
		if i, ok := v.AsInt(); ok && i >= n.min && i <= n.max {
			continue
		}
		reason := "not a whole number; left out"
		if n.max == 65535 {
			reason = "not a port (a whole number from 0 to 65535); left out"
		}
		problems = append(problems, Problem{n.field, reason})
		*v = cef.Value{}
	}
	return problems
}
