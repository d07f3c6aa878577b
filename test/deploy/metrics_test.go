package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/test/hosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dashboardFile = "deploy/grafana/siem-cef.json"

// registered are the series the plugin registers in an instance's cmetrics context, read from the
// host of test/host: each counter's label keys, and each label's values but name.
type registered struct {
	keys   map[string][]string
	values map[string]map[string][]string // counter → label → values
}

func registeredSeries(t *testing.T) registered {
	t.Helper()
	b, err := hosttest.Build(root)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(b.Dir) })
	results, _ := b.Run(t, `register
instance x Integration=x Address=127.0.0.1:1,127.0.0.1:2 Startup_Check=off Max_Events_Per_Second=100
metrics x
exit x
`)
	require.GreaterOrEqual(t, len(results), 3)
	require.Regexp(t, `^metrics x \d+$`, results[2])
	line := regexp.MustCompile(`^(\w+)\{(.*)\} 0$`)
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	r := registered{keys: map[string][]string{}, values: map[string]map[string][]string{}}
	for _, l := range results[3 : len(results)-1] {
		m := line.FindStringSubmatch(l)
		require.NotNil(t, m, "a series at 0: %s", l)
		var keys []string
		for _, kv := range label.FindAllStringSubmatch(m[2], -1) {
			keys = append(keys, kv[1])
			if kv[1] != "name" {
				if r.values[m[1]] == nil {
					r.values[m[1]] = map[string][]string{}
				}
				r.values[m[1]][kv[1]] = append(r.values[m[1]][kv[1]], kv[2])
			}
		}
		r.keys[m[1]] = keys
	}
	return r
}

// dashboardQueries are the PromQL expressions of the dashboard: its panels' targets and its
// variables' queries.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Type  string
				Query json.RawMessage
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(repoFile(t, dashboardFile)), &d))
	var exprs []string
	for _, p := range d.Panels {
		require.NotEmpty(t, p.Targets, "panel %q has a query", p.Title)
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, "panel %q", p.Title)
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		require.NoError(t, json.Unmarshal(v.Query, &q))
		exprs = append(exprs, q.Query)
	}
	return exprs
}

var (
	seriesName = regexp.MustCompile(`\bfluentbit_\w+|\b\w+_total\b`)
	// a selector and its matchers: name{label="value", label=~"a|b"}
	selector = regexp.MustCompile(`(\w+)\{([^}]*)\}`)
	matcher  = regexp.MustCompile(`(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"`)
	grouping = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// TestDashboardNamesOnlyRegisteredSeries: every series a query of the Grafana dashboard names is
// one the plugin registers, with its labels and label values; the dashboard draws what issue 14
// asks for (events sent and filtered out per integration, retries, connect failures, address
// changes).
func TestDashboardNamesOnlyRegisteredSeries(t *testing.T) {
	reg := registeredSeries(t)
	require.Contains(t, reg.keys, "fluentbit_siem_cef_events_total", "the host shows the plugin's series")
	exprs := dashboardQueries(t)
	require.NotEmpty(t, exprs)
	for _, e := range exprs {
		var used []string
		for _, name := range seriesName.FindAllString(e, -1) {
			keys, ok := reg.keys[name]
			require.True(t, ok, "%s: %s is not a series of the plugin", e, name)
			used = append(used, keys...)
		}
		require.NotEmpty(t, used, "%s names a series of the plugin", e)
		for _, sel := range selector.FindAllStringSubmatch(e, -1) {
			for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
				key, op, value := m[1], m[2], m[3]
				require.Contains(t, reg.keys[sel[1]], key, "%s: %s has no label %s", e, sel[1], key)
				if strings.HasPrefix(value, "$") {
					continue // a dashboard variable
				}
				want := value
				if op == "=~" || op == "!~" {
					want = strings.ReplaceAll(value, "|", " ")
				}
				for _, v := range strings.Fields(want) {
					assert.Contains(t, reg.values[sel[1]][key], v, "%s: %s never has %s=%q", e, sel[1], key, v)
				}
			}
		}
		for _, g := range grouping.FindAllStringSubmatch(e, -1) {
			for _, l := range strings.Split(g[1], ",") {
				assert.Contains(t, used, strings.TrimSpace(l), "%s: grouped by a label its series do not have", e)
			}
		}
	}

	all := strings.Join(exprs, "\n")
	for _, want := range []string{
		`fluentbit_siem_cef_events_total{name=~"$integration",result="sent"}`,
		`fluentbit_siem_cef_events_total{name=~"$integration",result="filtered"}`,
		"fluentbit_siem_cef_retried_flushes_total",
		"fluentbit_siem_cef_connect_failures_total",
		"fluentbit_siem_cef_address_changes_total",
	} {
		assert.Contains(t, all, want)
	}
	assert.True(t, slices.ContainsFunc(exprs, func(e string) bool { return strings.Contains(e, "by (name)") }), "per integration")
}

// TestHelmServiceMonitor: the Helm values turn on the chart's ServiceMonitor, which scrapes
// Fluent Bit's Prometheus endpoint on the chart's http port (the HTTP server's, TestHelmValues).
func TestHelmServiceMonitor(t *testing.T) {
	v := helmValues(t)
	assert.Equal(t, "true", str(v, "serviceMonitor", "enabled"))
	assert.Contains(t, []string{"", "/api/v2/metrics/prometheus"}, str(v, "serviceMonitor", "path"), "the chart's default path is the endpoint")
	assert.NotEmpty(t, str(v, "serviceMonitor", "interval"))
	assert.NotEmpty(t, at(v, "serviceMonitor", "selector"), "the labels a Prometheus selects ServiceMonitors by")
}
