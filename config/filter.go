package config

import (
	"slices"
	"strings"

	"github.com/kcs-siem/siem-cef/cef"
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

// CategoryKey folds a category name so that "CI/CD", "cicd" and "Forensic_data" compare equal.
func CategoryKey(name string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(" _-/", r) {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(name)))
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
	accepts := "all, none, or a comma list of " + strings.Join(cef.Categories, ", ")
	switch strings.ToLower(v) {
	case "all":
		return slices.Clone(cef.Categories), nil
	case "none":
		return []string{}, nil
	}
	picked := map[string]bool{}
	for _, item := range parseList(v) {
		i := slices.IndexFunc(cef.Categories, func(c string) bool { return CategoryKey(c) == CategoryKey(item) })
		if i < 0 {
			return nil, &PropertyError{"Categories", v, accepts + " (" + item + " is not a category)"}
		}
		picked[cef.Categories[i]] = true
	}
	if len(picked) == 0 {
		return nil, &PropertyError{"Categories", v, accepts}
	}
	var out []string // in the product's order, whatever the order written
	for _, c := range cef.Categories {
		if picked[c] {
			out = append(out, c)
		}
	}
	return out, nil
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
	accepts := "all, none, or a comma list of " + strings.Join(cef.RuntimePrefixes, " ")
	switch strings.ToLower(v) {
	case "all":
		return slices.Clone(cef.RuntimePrefixes), nil
	case "none":
		return []string{}, nil
	}
	picked := map[string]bool{}
	for _, item := range parseList(v) {
		if !slices.Contains(cef.RuntimePrefixes, strings.ToUpper(item)) {
			return nil, &PropertyError{"Runtime_Events", v, accepts + " (" + item + " is not a runtime event type)"}
		}
		picked[strings.ToUpper(item)] = true
	}
	if len(picked) == 0 {
		return nil, &PropertyError{"Runtime_Events", v, accepts}
	}
	var out []string
	for _, p := range cef.RuntimePrefixes {
		if picked[p] {
			out = append(out, p)
		}
	}
	return out, nil
}
