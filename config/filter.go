package config

import (
	"slices"
	"strings"

	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/product"
)

// StartupCheck is what the plugin does with the test connection it makes at start.
type StartupCheck string

// The Startup_Check values.
const (
	CheckOff  StartupCheck = "off"
	CheckWarn StartupCheck = "warn"
	CheckFail StartupCheck = "fail"
)

func parseStartupCheck(v string) (StartupCheck, error) {
	switch c := StartupCheck(strings.ToLower(v)); c {
	case CheckOff, CheckWarn, CheckFail:
		return c, nil
	}
	return "", &PropertyError{"Startup_Check", v, "off, warn (log the result) or fail (refuse to start when the SIEM is unreachable)"}
}

// parseList splits a comma list; "all" and "none" stand alone.
func parseList(v string) []string {
	var items []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

func parseCategories(v string) ([]string, error) {
	return parseSelection("Categories", v, product.Categories, "a category", filter.CategoryKey)
}

// parseAgentGroups returns the linked groups, or all = true for "*".
func parseAgentGroups(v string) (groups []string, all bool, err error) {
	switch strings.ToLower(v) {
	case "*":
		return nil, true, nil
	case "none":
		return []string{}, false, nil
	}
	groups = parseList(v)
	for _, g := range groups {
		if g == "*" || strings.EqualFold(g, "none") || strings.ContainsFunc(g, func(r rune) bool { return r < ' ' }) {
			return nil, false, &PropertyError{"Agent_Groups", v, "* (every group, and events with none), none, or a comma list of agent group names"}
		}
	}
	if len(groups) == 0 {
		return nil, false, &PropertyError{"Agent_Groups", v, "* (every group, and events with none), none, or a comma list of agent group names"}
	}
	return slices.Compact(groups), false, nil
}

func parseRuntimeEvents(v string) ([]string, error) {
	return parseSelection("Runtime_Events", v, product.RuntimePrefixes, "a runtime event type", strings.ToUpper)
}

// parseSelection reads all, none, or a comma list of some of the names in known, compared after
// fold. The names come back in known's order, the product's, whatever the order written.
func parseSelection(property, v string, known []string, what string, fold func(string) string) ([]string, error) {
	accepts := "all, none, or a comma list of " + strings.Join(known, ", ")
	switch strings.ToLower(v) {
	case "all":
		return slices.Clone(known), nil
	case "none":
		return []string{}, nil
	}
	picked := map[string]bool{}
	for _, item := range parseList(v) {
		i := slices.IndexFunc(known, func(k string) bool { return fold(k) == fold(item) })
		if i < 0 {
			return nil, &PropertyError{property, v, accepts + " (" + item + " is not " + what + ")"}
		}
		picked[known[i]] = true
	}
	if len(picked) == 0 {
		return nil, &PropertyError{property, v, accepts}
	}
	var out []string
	for _, k := range known {
		if picked[k] {
			out = append(out, k)
		}
	}
	return out, nil
}
