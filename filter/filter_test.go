package filter_test

import (
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func filterOf(t *testing.T, props map[string]string) *filter.Filter {
	t.Helper()
	props["Address"] = "siem.example.com"
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return props[k] }), "t")
	require.NoError(t, err)
	return filter.New(cfg.Selection)
}

func event(id, group, category string) *product.Event {
	ev := &product.Event{ClassID: []byte(id), Type: product.LookupType([]byte(id))}
	if group != "" {
		ev.AgentGroup = []byte(group)
	}
	if category != "" {
		ev.Category = []byte(category)
	}
	return ev
}

func TestAllows(t *testing.T) {
	type ev struct{ id, group, category string }
	tests := []struct {
		name  string
		props map[string]string
		pass  []ev
		stop  []ev
	}{
		{"defaults send everything", map[string]string{},
			[]ev{{"PM-001", "", ""}, {"PM-001", "g", ""}, {"ADM-001", "", ""}, {"ZZ-1", "", ""}, {"ZZ-1", "", "Whatever"}}, nil},
		{"category events go whatever their agent group",
			map[string]string{"Categories": "Alert", "Agent_Groups": "none"},
			[]ev{{"AG-001", "g", ""}, {"AG-002", "", ""}},
			[]ev{{"ADM-001", "", ""}, {"PM-001", "g", ""}, {"PM-001", "", ""}}},
		{"the record's own category wins over the table, in any spelling",
			map[string]string{"Categories": "CI/CD, Forensic data"},
			[]ev{{"ADM-001", "", "cicd"}, {"ZZ-1", "", "forensic_data"}, {"CI-001", "", ""}},
			[]ev{{"CI-001", "", "Administration"}, {"ZZ-1", "", "Alert"}}},
		{"an unknown type without a category goes unless no category does",
			map[string]string{"Categories": "API"},
			[]ev{{"ZZ-1", "", ""}, {"", "", ""}}, nil},
		{"no category at all",
			map[string]string{"Categories": "none"},
			[]ev{{"PM-001", "", ""}},
			[]ev{{"ZZ-1", "", ""}, {"API-001", "", ""}}},
		{"runtime events only from linked groups",
			map[string]string{"Agent_Groups": "prod, edge"},
			[]ev{{"PM-001", "prod", ""}, {"FFTP-001", "edge", ""}, {"ADM-001", "other", ""}},
			[]ev{{"PM-001", "", ""}, {"PM-001", "dev", ""}, {"PM-001", "Prod", ""}}},
		{"* links every group and events with none",
			map[string]string{"Agent_Groups": "*", "Runtime_Events": "NT"},
			[]ev{{"NT-001", "", ""}, {"NT-001", "any", ""}},
			[]ev{{"PM-001", "any", ""}, {"FNT-001", "", ""}}},
		{"no runtime events",
			map[string]string{"Runtime_Events": "none"},
			[]ev{{"ADM-001", "", ""}},
			[]ev{{"PM-001", "", ""}, {"FFTP-001", "g", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filterOf(t, tc.props)
			for _, e := range tc.pass {
				assert.True(t, f.Allows(event(e.id, e.group, e.category)), "%+v should pass", e)
			}
			for _, e := range tc.stop {
				assert.False(t, f.Allows(event(e.id, e.group, e.category)), "%+v should be filtered out", e)
			}
		})
	}
}

func TestString(t *testing.T) {
	assert.Equal(t, "category events: Alert, API; runtime events: none",
		filterOf(t, map[string]string{"Categories": "api,alert", "Agent_Groups": "none"}).String())
	assert.Equal(t, "category events: none; runtime events: FPM FFTP from agent groups a, b",
		filterOf(t, map[string]string{"Categories": "none", "Agent_Groups": "b,a", "Runtime_Events": "FFTP,FPM"}).String())
	assert.Equal(t, "category events: Administration; runtime events: none",
		filterOf(t, map[string]string{"Categories": "Administration", "Runtime_Events": "none"}).String())
}

func TestAllowsAllocatesNothing(t *testing.T) {
	f := filterOf(t, map[string]string{"Categories": "API,Alert", "Agent_Groups": "prod"})
	evs := []*product.Event{event("PM-001", "prod", ""), event("API-001", "", ""), event("ADM-001", "", "")}
	allocs := testing.AllocsPerRun(100, func() {
		for _, e := range evs {
			f.Allows(e)
		}
	})
	assert.Zero(t, allocs)
}

// A record's own category is compared folded: blanks around it (a tab, a line end) do not make it
// another category.
func TestRecordCategoryWithBlanksAroundIt(t *testing.T) {
	assert.Equal(t, "cicd", filter.CategoryKey("\tCI/CD\n"))
	f := filter.New(filter.Selection{Categories: []string{"CI/CD"}})
	ev := &product.Event{Type: product.UnknownType, Category: []byte("\tci-cd\r\n")}
	assert.True(t, f.Allows(ev))
}

// A record's category of blanks alone is none, as an empty one is: the type's category decides.
func TestRecordCategoryOfBlanksAloneIsNone(t *testing.T) {
	f := filter.New(filter.Selection{Categories: []string{"Administration"}})
	adm, _ := product.TypeByPrefix("ADM")
	for _, cat := range []string{"", " ", "\t\r\n"} {
		assert.True(t, f.Allows(&product.Event{Type: adm, Category: []byte(cat)}), "%q", cat)
	}
	assert.False(t, f.Allows(&product.Event{Type: adm, Category: []byte(" CI/CD ")}), "the record's own category wins")
}

// A record's own category is folded in place: one of a megabyte costs no allocation, and matches
// no category; one just within the bound still matches.
func TestARecordsLongCategoryIsFoldedWithoutACopy(t *testing.T) {
	f := filter.New(filter.Selection{Categories: []string{"Administration"}})
	adm, _ := product.TypeByPrefix("ADM")
	long := &product.Event{Type: adm, Category: []byte("Not" + strings.Repeat("X", 1<<20))}
	assert.False(t, f.Allows(long))
	assert.Zero(t, testing.AllocsPerRun(10, func() { f.Allows(long) }))
	spelled := &product.Event{Type: adm, Category: []byte(" AD_MINI-STRA/TION" + strings.Repeat(" ", 100))}
	assert.True(t, f.Allows(spelled))
	assert.Zero(t, testing.AllocsPerRun(10, func() { f.Allows(spelled) }))
	over := &product.Event{Type: adm, Category: []byte(strings.Repeat("é", 32) + "x")} // 65 bytes folded
	assert.False(t, f.Allows(over))
	assert.Zero(t, testing.AllocsPerRun(10, func() { f.Allows(over) }))
}
