package config

import (
	"fmt"
	"strings"

	"github.com/kcs-siem/siem-cef/product"
)

// severityAccepts is what a bad Severity value is told.
const severityAccepts = "a comma list of MATCH[/OUTCOME]=SEVERITY, where MATCH is a type prefix (PM) or an event ID (API-002), " +
	"OUTCOME is success, error, audit, enforce, other or *, and SEVERITY is 0-10 or Unknown, Low, Medium, High, Very-High; " +
	"e.g. Severity FPM/enforce=9, NT=5, API-002/error=10"

// isEventID reports an event ID as the product writes them: letters and digits, a dash, then letters,
// digits and `_.:-` (PM-001, API-002, FNT-shell.spawn). Written out rather than a regular expression, which
// would link the regexp package into the plugin: every page of the .so's code ends up resident.
func isEventID(s string) bool {
	prefix, rest, ok := strings.Cut(s, "-")
	if !ok || prefix == "" || rest == "" {
		return false
	}
	for _, c := range []byte(prefix) {
		if !isAlnum(c) {
			return false
		}
	}
	for _, c := range []byte(rest) {
		if !isAlnum(c) && !strings.ContainsRune("_.:-", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' }

// parseSeverity reads the overrides of the type rules, e.g. "FPM/enforce=9, NT=5, API-002/error=10".
func parseSeverity(v string) (product.Overrides, error) {
	bad := func() (product.Overrides, error) { return nil, &PropertyError{"Severity", v, severityAccepts} }
	var out product.Overrides
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		selector, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return bad()
		}
		match, outcomeName, hasOutcome := strings.Cut(strings.TrimSpace(selector), "/")
		o := product.Override{Match: strings.TrimSpace(match), Outcome: product.OutcomeAny}
		if _, known := product.TypeByPrefix(o.Match); !known && !isEventID(o.Match) {
			return nil, &PropertyError{"Severity", v, fmt.Sprintf("%q is not a type prefix (%s) or an event ID; %s",
				o.Match, strings.Join(product.Prefixes(), " "), severityAccepts)}
		}
		// Event IDs are matched as written: pm-001 would never meet the product's PM-001.
		if prefix, rest, _ := strings.Cut(o.Match, "-"); prefix != strings.ToUpper(prefix) {
			if _, known := product.TypeByPrefix(strings.ToUpper(prefix)); known {
				return nil, &PropertyError{"Severity", v, fmt.Sprintf("%q: event IDs are matched as written, write %s; %s",
					o.Match, strings.ToUpper(prefix)+"-"+rest, severityAccepts)}
			}
		}
		if hasOutcome {
			if o.Outcome, ok = product.ParseOutcomeName(strings.TrimSpace(outcomeName)); !ok {
				return bad()
			}
		}
		severity, ok := product.ParseSeveritySetting(value)
		if !ok {
			return bad()
		}
		o.Severity = severity
		key := o.Match + "/" + fmt.Sprint(o.Outcome)
		if seen[key] {
			return nil, &PropertyError{"Severity", v, fmt.Sprintf("each MATCH/OUTCOME once (%s is repeated); %s", strings.TrimSpace(selector), severityAccepts)}
		}
		seen[key] = true
		out = append(out, o)
	}
	return out, nil
}

// severityString writes the overrides back in the property's syntax, for the start-up log.
func severityString(o product.Overrides) string {
	if len(o) == 0 {
		return "rules"
	}
	items := make([]string, len(o))
	for i, ov := range o {
		items[i] = ov.Match
		if ov.Outcome != product.OutcomeAny {
			items[i] += "/" + product.OutcomeName(ov.Outcome)
		}
		items[i] += fmt.Sprintf("=%d", ov.Severity)
	}
	return strings.Join(items, ",")
}
