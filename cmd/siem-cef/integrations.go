package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kcs-siem/siem-cef/cmd/siem-cef/fbconfig"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/filter"
)

// pluginName is the Name of a siem_cef [OUTPUT] section.
const pluginName = "siem_cef"

// siemOutput is one siem_cef output of a configuration, checked as the plugin checks it at start.
type siemOutput struct {
	name     string // siem_cef.N, the plugin's name for it and its default Integration
	section  fbconfig.Section
	cfg      *config.Config // nil when invalid
	errs     []string       // why it is invalid: config.Load's lines, then what Fluent Bit itself refuses
	warnings []string
}

// label is the integration's name: its Integration when valid, else siem_cef.N.
func (o *siemOutput) label() string {
	if o.cfg != nil {
		return o.cfg.Integration
	}
	return o.name
}

// outputs reads a Fluent Bit configuration, checks each of its siem_cef outputs and logs the file's
// warnings. get, when not nil, wraps what each section gives the plugin (render's --set). code is
// the command's exit status when there is nothing to work on, else exitOK.
func (inv *invocation) outputs(path string, get func(fbconfig.Section) config.Getter) (outs []siemOutput, code int) {
	f, err := fbconfig.Load(path)
	if err != nil {
		inv.logf("%v", err)
		return nil, exitUsage
	}
	for _, w := range f.Warnings {
		inv.logf("warning: %s", w)
	}
	for _, s := range f.Sections {
		if s.Type == "plugins" && f.Format == fbconfig.Classic {
			inv.logf("warning: %s: a [PLUGINS] section in the configuration: Fluent Bit 5.1 takes each of its keys "+
				"for a library path (Path too) and aborts at start; put it in the file Plugins_File names, or load "+
				"the plugin with -e", s.Location())
		}
	}
	for i, s := range f.Outputs(pluginName) {
		var g config.Getter = s
		if get != nil {
			g = get(s)
		}
		outs = append(outs, checkOutput(fmt.Sprintf("%s.%d", pluginName, i), s, g))
	}
	if len(outs) == 0 {
		return nil, inv.fail("%s: no output with Name %s", path, pluginName)
	}
	sameIntegration(outs)
	hotReloadCrash(f, outs)
	return outs, exitOK
}

// sameIntegration warns of a valid output whose Integration an earlier one has: their log lines and
// their metrics (the label name) cannot be told apart.
func sameIntegration(outs []siemOutput) {
	for i := range outs {
		for j := range i {
			if outs[i].cfg != nil && outs[j].cfg != nil && outs[i].cfg.Integration == outs[j].cfg.Integration {
				outs[i].warnings = append(outs[i].warnings, fmt.Sprintf("Integration %s is also %s's (section %s): "+
					"their log lines cannot be told apart and their metrics overwrite each other; give each output an Integration of its own",
					outs[i].cfg.Integration, outs[j].name, outs[j].section.Location()))
				break
			}
		}
	}
}

// checkOutput validates one output with config.Load over g, and adds what Fluent Bit does with the
// section's own keys.
func checkOutput(name string, s fbconfig.Section, g config.Getter) siemOutput {
	o := siemOutput{name: name, section: s}
	cfg, err := config.Load(g, name)
	if err != nil {
		o.errs = strings.Split(err.Error(), "\n")
	} else {
		o.cfg = cfg
	}
	o.fluentBitKeys()
	if len(o.errs) > 0 {
		o.cfg = nil
	}
	return o
}

// fluentBitKeys looks at the section as Fluent Bit takes it: variables that are not set, keys it
// keeps for itself, keys nobody reads, and the Workers and Retry_Limit the plugin needs.
func (o *siemOutput) fluentBitKeys() {
	seen := map[string]bool{}
	for _, p := range o.section.Props {
		for _, v := range p.Unset {
			o.warnings = append(o.warnings, fmt.Sprintf("%s: ${%s} is not set, so it expands to empty", p.Key, v))
		}
		k := strings.ToLower(p.Key)
		if k == "tls" && fbconfig.IsTrue(p.Value) {
			o.errs = append(o.errs, fmt.Sprintf("%s %s stops Fluent Bit from starting: a Go output cannot declare TLS support; "+
				"remove it and use the plugin's own TLS settings (Protocol tls, TLS_CA_File, …)", p.Key, p.Value))
			continue
		}
		if seen[k] {
			o.repeated(k)
			continue
		}
		seen[k] = true
		const kept = " is kept by Fluent Bit and never reaches the plugin: "
		switch {
		case k == "host" || k == "port":
			o.warnings = append(o.warnings, canonical(k)+kept+"use Address host:port")
		case k == "ipv6":
			o.warnings = append(o.warnings, p.Key+kept+"write the IPv6 address in Address ([2001:db8::1]:514)")
		case k == "tls" || strings.HasPrefix(k, "tls."):
			o.warnings = append(o.warnings, p.Key+kept+"TLS to the SIEM is set with the plugin's own settings "+
				"(Protocol tls, TLS_CA_File, …), and tls On stops Fluent Bit from starting with a Go output")
		case strings.HasPrefix(k, "net.") || strings.HasPrefix(k, "oauth2"):
			o.warnings = append(o.warnings, p.Key+kept+"it has no effect on siem_cef's own connection (see Connect_Timeout, Write_Timeout)")
		case fbconfig.Reserved(k):
			// Match, Alias, Workers, …: Fluent Bit's own, and meant for it.
		case pluginProperty(k) != "":
		default:
			w := p.Key + " is not a siem_cef property: Fluent Bit accepts it silently and the plugin ignores it"
			if s := suggest(p.Key); s != "" {
				w += " (did you mean " + s + "?)"
			}
			o.warnings = append(o.warnings, w)
		}
	}
	tail := "every flush runs on Fluent Bit's engine thread, and a slow SIEM stalls every other input and output; set Workers 1"
	if p, ok := o.section.Last("workers"); !ok {
		o.warnings = append(o.warnings, "Workers is not set: without it "+tail)
	} else if workers(o.section) <= 0 {
		o.warnings = append(o.warnings, fmt.Sprintf("Workers %q: with no worker "+tail, p.Value))
	}
	if _, ok := o.section.Last("retry_limit"); !ok {
		o.warnings = append(o.warnings, "Retry_Limit is not set: Fluent Bit retries a failed flush once, then drops the chunk; set Retry_Limit no_limits")
	}
}

// repeated warns, once, of a plugin property the section gives more than once (a YAML list is one
// key per item): Fluent Bit hands the plugin its first value only.
func (o *siemOutput) repeated(k string) {
	name := pluginProperty(k)
	if name == "" {
		return
	}
	first, _ := o.section.Lookup(k)
	w := fmt.Sprintf("%s is given more than once: the plugin gets its first value (%q) only; give it once, "+
		"with a comma list where it takes several", name, first.Value)
	if !slices.Contains(o.warnings, w) {
		o.warnings = append(o.warnings, w)
	}
}

// workers is the section's Workers as Fluent Bit takes it (the last), 0 when it is not set or not a
// number.
func workers(s fbconfig.Section) int {
	p, _ := s.Last("workers")
	n, _ := strconv.Atoi(strings.TrimSpace(p.Value))
	return n
}

// hotReloadCrash warns of each output with workers under Hot_Reload On: Fluent Bit 5.1.1 crashes at
// the second hot reload of a Go output with workers (docs/fluent-bit-host.md, Hot reload).
func hotReloadCrash(f *fbconfig.File, outs []siemOutput) {
	on := false
	for _, s := range f.Sections {
		if p, ok := s.Last("hot_reload"); ok && s.Type == "service" {
			on = fbconfig.IsTrue(p.Value)
		}
	}
	for i := range outs {
		if n := workers(outs[i].section); on && n > 0 {
			outs[i].warnings = append(outs[i].warnings, fmt.Sprintf("Hot_Reload On with Workers %d: Fluent Bit 5.1.1 "+
				"crashes (SIGSEGV) at the second hot reload of a Go output with workers; apply a change with a restart "+
				"and set Hot_Reload Off", n))
		}
	}
}

func canonical(k string) string { return strings.ToUpper(k[:1]) + k[1:] }

// pluginProperty is the plugin's spelling of key (any case), or "".
func pluginProperty(key string) string {
	for _, p := range config.Properties() {
		if strings.EqualFold(p, key) {
			return p
		}
	}
	return ""
}

// suggest is the plugin property a misspelt key probably meant, or "".
func suggest(key string) string {
	fold := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '_' || r == '-' || r == '.' || r == ' ' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	best, bestD := "", 3
	for _, p := range config.Properties() {
		if fold(p) == fold(key) {
			return p
		}
		if d := editDistance(strings.ToLower(p), strings.ToLower(key)); d < bestD {
			best, bestD = p, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// printInvalid writes "NAME: invalid", the section's place (when a file gave it), each error and
// each warning (a variable that is not set may be why), indented.
func (o *siemOutput) printInvalid(w io.Writer) {
	fmt.Fprintf(w, "%s: invalid\n", o.name)
	if o.section.File != "" {
		fmt.Fprintf(w, "    section: %s\n", o.section.Location())
	}
	for _, e := range o.errs {
		fmt.Fprintf(w, "    %s\n", e)
	}
	o.printWarnings(w)
}

// printCheck writes what check-config says of the output.
func (o *siemOutput) printCheck(w io.Writer) {
	if o.cfg == nil {
		o.printInvalid(w)
		return
	}
	fmt.Fprintf(w, "%s: OK\n", o.name)
	fmt.Fprintf(w, "    section: %s\n", o.section.Location())
	fmt.Fprintf(w, "    config: %s\n", o.cfg.String())
	fmt.Fprintf(w, "    filter: %s\n", filter.New(o.cfg.Selection).String())
	o.printWarnings(w)
}

func (o *siemOutput) printWarnings(w io.Writer) {
	for _, warn := range o.warnings {
		fmt.Fprintf(w, "    warning: %s\n", warn)
	}
}
