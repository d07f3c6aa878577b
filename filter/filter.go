// Package filter decides which events go to an integration (docs/events.md §7): category events by their
// category, whatever their agent group; runtime events by their type, and only from linked groups.
package filter

import (
	"bytes"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/product"
)

// Selection is the filter's part of an integration's configuration (Categories, Runtime_Events,
// Agent_Groups).
type Selection struct {
	// Categories are the exported categories of non-runtime events, in the product's order.
	Categories []string
	// RuntimeEvents are the exported runtime types (prefixes).
	RuntimeEvents []string
	// AgentGroups are the linked agent groups; AllAgentGroups ("*") links every group and the
	// events that have none.
	AgentGroups    []string
	AllAgentGroups bool
}

// CategoryKey folds a category name so that "CI/CD", "cicd" and "Forensic_data" compare equal.
func CategoryKey(name string) string {
	return string(foldCategory(nil, []byte(name), len(name)*utf8.UTFMax))
}

// maxCategoryKey bounds a record's folded category: no category name's is longer, so a longer one
// matches none, and a hostile category of a megabyte is folded no further.
const maxCategoryKey = 64

// foldCategory appends c folded (blanks around it trimmed, lower case, without spaces, '_', '-' and
// '/') to dst, and returns nil when that takes more than max bytes.
func foldCategory(dst, c []byte, max int) []byte {
	for c = bytes.TrimSpace(c); len(c) > 0; {
		r, size := utf8.DecodeRune(c)
		c = c[size:]
		if strings.ContainsRune(" _-/", r) {
			continue
		}
		r = unicode.ToLower(r)
		if len(dst)+utf8.RuneLen(r) > max { // checked first: dst's room is not grown
			return nil
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// Filter is one integration's share of the events.
type Filter struct {
	categories    map[string]bool // canonical names (product.Categories) of the selected categories
	folded        map[string]bool // the same, as CategoryKey folds them
	allCategories bool
	groups        map[string]bool
	allGroups     bool
	// runtimeTypes are the selected runtime types: Allows compares an event's type with each (at
	// most seven) rather than hashing its prefix.
	runtimeTypes []*product.Type
}

// New builds the filter of an integration's selection.
func New(s Selection) *Filter {
	f := &Filter{
		categories:    map[string]bool{},
		folded:        map[string]bool{},
		allCategories: len(s.Categories) == len(product.Categories),
		groups:        map[string]bool{},
		allGroups:     s.AllAgentGroups,
	}
	for _, c := range s.Categories {
		f.categories[c] = true
		f.folded[CategoryKey(c)] = true
	}
	for _, g := range s.AgentGroups {
		f.groups[g] = true
	}
	for _, p := range s.RuntimeEvents {
		if t, ok := product.TypeByPrefix(p); ok && t.Runtime && !slices.Contains(f.runtimeTypes, t) {
			f.runtimeTypes = append(f.runtimeTypes, t)
		}
	}
	return f
}

// Allows reports whether an event goes to this integration.
func (f *Filter) Allows(ev *product.Event) bool {
	if ev.Type.Runtime {
		return slices.Contains(f.runtimeTypes, ev.Type) && (f.allGroups || len(ev.AgentGroup) > 0 && f.groups[string(ev.AgentGroup)])
	}
	if f.allCategories {
		return true
	}
	if !product.Blank(ev.Category) { // the record's own category wins over the table; blanks alone are none
		// A record may spell a category its own way: "cicd", "ci/cd".
		var buf [maxCategoryKey]byte
		key := foldCategory(buf[:0], ev.Category, maxCategoryKey)
		return f.categories[string(ev.Category)] || key != nil && f.folded[string(key)]
	}
	if ev.Type.Category == "" {
		// An event of an unknown type with no category of its own: nothing to filter it by, so it
		// is sent unless no category is.
		return len(f.categories) > 0
	}
	return f.categories[ev.Type.Category]
}

// String tells in one line what the integration receives, for the start-up log.
func (f *Filter) String() string {
	var b strings.Builder
	b.WriteString("category events: ")
	switch {
	case f.allCategories:
		b.WriteString("all (" + strings.Join(product.Categories, ", ") + ")")
	case len(f.categories) == 0:
		b.WriteString("none")
	default:
		b.WriteString(strings.Join(inOrder(product.Categories, f.categories), ", "))
	}
	b.WriteString("; runtime events: ")
	var runtime []string
	for _, p := range product.RuntimePrefixes { // in the product's order
		if t, _ := product.TypeByPrefix(p); slices.Contains(f.runtimeTypes, t) {
			runtime = append(runtime, p)
		}
	}
	switch {
	case len(runtime) == 0 || !f.allGroups && len(f.groups) == 0:
		b.WriteString("none")
	case f.allGroups:
		b.WriteString(strings.Join(runtime, " ") + " from every agent group, and from events with none")
	default:
		groups := make([]string, 0, len(f.groups))
		for g := range f.groups {
			groups = append(groups, g)
		}
		slices.Sort(groups)
		b.WriteString(strings.Join(runtime, " ") + " from agent groups " + strings.Join(groups, ", "))
	}
	return b.String()
}

func inOrder(all []string, picked map[string]bool) []string {
	var out []string
	for _, s := range all {
		if picked[s] {
			out = append(out, s)
		}
	}
	return out
}
