package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kcs-siem/siem-cef/cmd/siem-cef/fbconfig"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/pipeline"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
)

func init() {
	register(&command{
		name:     "render",
		synopsis: "[--config FILE] [--integration NAME] [--set Key=Value ...] [--start RFC3339] [--step DUR] [JSONL_FILE|-]",
		summary:  "print the exact messages each integration would send for JSON-lines events",
		doc: `
Reads one JSON object per line (blank lines are skipped) from JSONL_FILE, or standard input when
it is '-' or absent, makes them a chunk as the chunk command does (event i at start + i*step) and
runs it through each integration's own pipeline, the plugin's: decode, map, filter, encode. Prints
every message the integration would send, with its syslog header and without its framing; nothing
is sent anywhere.

The integrations are the siem_cef outputs of the Fluent Bit configuration --config FILE (read as
check-config reads it), or the one whose Integration is --integration NAME. Without --config there
is one integration, siem_cef.0, made of the --set properties, its Address 127.0.0.1 unless set.
With --config, each --set replaces a property in every integration (--set Hostname=node-1 for
lines that do not depend on the machine).

One integration: one message per line. Several: NAME, a tab, and the message. On stderr,
"NAME: warning: line L ..." for each value left out or replaced and each event skipped, then
"NAME: N sent (S shortened), M filtered out, K skipped, T too large", with ", A aggregated" when
Aggregate is set and ", R held back by the rate ceiling" when Max_Events_Per_Second is (the
summary events among the N sent); messages are shortened to Max_Message_Size as the plugin shortens
them. The input is one flush: Aggregate groups its events by their times (--start, --step), and
the rate ceiling's bucket starts full, so the first Max_Events_Per_Second runtime events are sent.
An invalid integration is reported as check-config reports it.

Exit status: 0; 1 if the input cannot be read, an integration is invalid or its run fails; 2 for a
bad command line or a configuration file Fluent Bit could not read.`,
		flags: func(fs *flag.FlagSet) func(*invocation) int {
			o := &renderOpts{set: setFlag{}}
			fs.StringVar(&o.config, "config", "", "the integrations are the siem_cef outputs of the Fluent Bit configuration `FILE`")
			fs.StringVar(&o.integration, "integration", "", "only the integration whose Integration is `NAME`")
			fs.Var(o.set, "set", "set the property Key to Value, `Key=Value` (repeat the flag for each)")
			fs.StringVar(&o.start, "start", defaultChunkStart, "time of the first event, `RFC3339`")
			fs.DurationVar(&o.step, "step", time.Second, "time between two events, a Go duration `DUR` (250ms, 1s)")
			return o.run
		},
	})
}

type renderOpts struct {
	config, integration string
	set                 setFlag
	start               string
	step                time.Duration
}

// setFlag collects --set Key=Value; Key is a plugin property (any case), stored lower-case.
type setFlag map[string]string

func (s setFlag) String() string { return "" }

func (s setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want Key=Value")
	}
	p := pluginProperty(strings.TrimSpace(k))
	if p == "" {
		return fmt.Errorf("%s is not a siem_cef property (%s)", k, strings.Join(config.Properties(), ", "))
	}
	s[strings.ToLower(p)] = val
	return nil
}

// sectionGetter is what a section gives the plugin, with the --set properties replaced.
type sectionGetter struct {
	s   fbconfig.Section
	set setFlag
}

func (g sectionGetter) Get(key string) string {
	if v, ok := g.set[strings.ToLower(key)]; ok {
		return v
	}
	return g.s.Get(key)
}

func (o *renderOpts) run(inv *invocation) int {
	start, problem := parseStart(o.start)
	if problem != "" {
		return inv.usageError("%s", problem)
	}
	if len(inv.args) > 1 {
		return inv.usageError("one input file at most, got %d", len(inv.args))
	}
	outs, code := o.outputs(inv)
	if code != exitOK {
		return code
	}
	if o.integration != "" {
		if outs, code = o.pick(inv, outs); code != exitOK {
			return code
		}
	}
	chunk, lineAt, code := o.readChunk(inv, start)
	if code != exitOK {
		return code
	}
	w := bufio.NewWriter(inv.stdout)
	for i := range outs {
		ok, err := renderOne(inv, w, &outs[i], chunk, lineAt, len(outs) > 1)
		if err != nil {
			return inv.fail("writing the output: %v", err)
		}
		if !ok {
			code = exitFail
		}
	}
	return code
}

// outputs are the integrations to render for: the configuration's siem_cef outputs with --set
// applied, or without --config one output of the --set properties (Address defaults to 127.0.0.1:
// nothing is sent).
func (o *renderOpts) outputs(inv *invocation) ([]siemOutput, int) {
	if o.config != "" {
		return inv.outputs(o.config, func(s fbconfig.Section) config.Getter { return sectionGetter{s, o.set} })
	}
	get := config.GetterFunc(func(k string) string {
		if v, ok := o.set[strings.ToLower(k)]; ok {
			return v
		}
		if k == "Address" {
			return "127.0.0.1"
		}
		return ""
	})
	out := siemOutput{name: pluginName + ".0"}
	cfg, err := config.Load(get, out.name)
	if err != nil {
		out.errs = strings.Split(err.Error(), "\n")
	}
	out.cfg = cfg
	return []siemOutput{out}, exitOK
}

// pick keeps the one valid output whose Integration is --integration; none or several is a failure
// that names the candidates.
func (o *renderOpts) pick(inv *invocation, outs []siemOutput) ([]siemOutput, int) {
	var picked, invalid []siemOutput
	for _, out := range outs {
		switch {
		case out.cfg == nil:
			invalid = append(invalid, out)
		case out.cfg.Integration == o.integration:
			picked = append(picked, out)
		}
	}
	switch {
	case len(picked) > 1:
		var names []string
		for _, p := range picked {
			names = append(names, p.name)
		}
		return nil, inv.fail("%d outputs have Integration %s: %s", len(picked), o.integration, strings.Join(names, ", "))
	case len(picked) == 0:
		for i := range invalid {
			invalid[i].printInvalid(inv.stderr)
		}
		var names []string
		for _, out := range outs {
			if out.cfg != nil {
				names = append(names, out.cfg.Integration)
			}
		}
		return nil, inv.fail("no valid integration %s (the valid ones: %s)", o.integration, strings.Join(names, ", "))
	}
	return picked, exitOK
}

// readChunk reads the events of the input file (or standard input) into a chunk, as Fluent Bit
// would hand them to the plugin.
func (o *renderOpts) readChunk(inv *invocation, start time.Time) (chunk []byte, lineAt map[int]int, code int) {
	in, name := inv.stdin, "standard input"
	if len(inv.args) == 1 && inv.args[0] != "-" {
		f, err := os.Open(inv.args[0])
		if err != nil {
			return nil, nil, inv.fail("%v", err)
		}
		defer f.Close()
		in, name = f, inv.args[0]
	}
	chunk, lineAt, problem := eventsChunk(in, name, start, o.step, fbchunk.AppendEvent)
	if problem != "" {
		return nil, nil, inv.fail("%s", problem)
	}
	return chunk, lineAt, exitOK
}

// byLine names an event of the input by its line, in a warning that names it by its offset in the
// chunk ("event at byte N"): the user wrote lines, not the chunk.
func byLine(msg string, lineAt map[int]int) string {
	var at int
	if _, err := fmt.Sscanf(msg, "event at byte %d", &at); err != nil {
		return msg
	}
	line, ok := lineAt[at]
	if !ok {
		return msg
	}
	return fmt.Sprintf("line %d", line) + strings.TrimPrefix(msg, fmt.Sprintf("event at byte %d", at))
}

// renderOne runs the chunk through one output's pipeline, writes its lines (after "Integration\t"
// when prefixed) and says on stderr what it did. ok is false for an invalid output or a failed
// run; writeErr is an output that cannot be written.
func renderOne(inv *invocation, w *bufio.Writer, out *siemOutput, chunk []byte, lineAt map[int]int, prefixed bool) (ok bool, writeErr error) {
	if out.cfg == nil {
		out.printInvalid(inv.stderr)
		return false, nil
	}
	label := out.cfg.Integration
	emit := func(msg []byte) error {
		if prefixed {
			w.WriteString(label)
			w.WriteByte('\t')
		}
		w.Write(msg)
		return w.WriteByte('\n') // a write error shows at Flush
	}
	warn := func(msg string) { fmt.Fprintf(inv.stderr, "%s: warning: %s\n", label, byLine(msg, lineAt)) }
	st, err := pipeline.New(out.cfg).Run(chunk, emit, warn)
	if err := w.Flush(); err != nil {
		return false, err
	}
	fmt.Fprintf(inv.stderr, "%s: %d sent (%d shortened), %d filtered out, %d skipped, %d too large%s\n",
		label, st.Emitted+st.Summaries, st.Shortened, st.Filtered, st.Skipped, st.TooLarge, volumeCounts(out.cfg, st))
	if err != nil {
		fmt.Fprintf(inv.stderr, "%s: %v\n", label, err)
		return false, nil
	}
	return true, nil
}

// volumeCounts is what the volume control did, for the integrations that have it.
func volumeCounts(cfg *config.Config, st pipeline.Stats) string {
	s := ""
	if cfg.Aggregate > 0 {
		s += fmt.Sprintf(", %d aggregated", st.Aggregated)
	}
	if cfg.MaxEventsPerSecond > 0 {
		s += fmt.Sprintf(", %d held back by the rate ceiling", st.RateLimited)
	}
	return s
}
