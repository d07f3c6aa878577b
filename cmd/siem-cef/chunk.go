package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/kcs-siem/siem-cef/record/fbchunk"
)

const defaultChunkStart = "2026-02-18T10:07:28Z"

func init() {
	register(&command{
		name:     "chunk",
		synopsis: "[--start RFC3339] [--step DUR] [--legacy] [-o FILE] [JSONL_FILE|-]",
		summary:  "turn JSON lines into a Fluent Bit chunk (msgpack events)",
		doc: `
Reads one JSON object per line (blank lines are skipped) from JSONL_FILE, or standard input when
it is '-' or absent, and writes the events as Fluent Bit hands them to an output's flush:
[[EventTime, {}], record], or [EventTime, record] with --legacy (before Fluent Bit 2.1).
Event i gets the time start + i*step. Prints "N events" on stderr.`,
		flags: func(fs *flag.FlagSet) func(*invocation) int {
			o := &chunkOpts{}
			fs.StringVar(&o.start, "start", defaultChunkStart, "time of the first event, `RFC3339`")
			fs.DurationVar(&o.step, "step", time.Second, "time between two events, a Go duration `DUR` (250ms, 1s)")
			fs.BoolVar(&o.legacy, "legacy", false, "write the legacy event format [EventTime, record]")
			fs.StringVar(&o.out, "o", "", "write the chunk to `FILE` instead of standard output")
			return o.run
		},
	})
}

type chunkOpts struct {
	start  string
	step   time.Duration
	legacy bool
	out    string
}

// EventTime carries the seconds as an unsigned 32-bit number.
var (
	minEventTime = time.Unix(0, 0)
	maxEventTime = time.Unix(math.MaxUint32, 999999999)
)

// parseStart reads --start: an RFC 3339 time that an EventTime can hold. The message says what is
// wrong with it.
func parseStart(v string) (time.Time, string) {
	start, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return start, fmt.Sprintf("--start %q is not an RFC 3339 time (%s)", v, defaultChunkStart)
	}
	if start.Before(minEventTime) || start.After(maxEventTime) {
		return start, fmt.Sprintf("--start %s is outside what an EventTime holds (1970 to 2106)", v)
	}
	return start, ""
}

// eventsChunk makes a chunk of the JSON-lines events of in (called name in messages). problem says
// what is wrong when it cannot, a line that is not JSON or a time an EventTime cannot hold.
func eventsChunk(in io.Reader, name string, start time.Time, step time.Duration,
	appendEvent func([]byte, time.Time, any) ([]byte, error)) (chunk []byte, lineAt map[int]int, problem string) {
	chunk, lineAt, err := fbchunk.JSONLines(in, start, step, appendEvent)
	if err != nil {
		return nil, lineAt, fmt.Sprintf("%s: %v", name, err)
	}
	if n := len(lineAt); n > 0 {
		last := start.Add(time.Duration(n-1) * step)
		if last.Before(minEventTime) || last.After(maxEventTime) {
			return nil, lineAt, fmt.Sprintf("event %d would be at %s, outside what an EventTime holds", n, last.UTC().Format(time.RFC3339))
		}
	}
	return chunk, lineAt, ""
}

func (o *chunkOpts) run(inv *invocation) int {
	start, problem := parseStart(o.start)
	if problem != "" {
		return inv.usageError("%s", problem)
	}
	args := inv.args
	if len(args) > 1 {
		return inv.usageError("one input file at most, got %d", len(args))
	}

	in, name := inv.stdin, "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return inv.fail("%v", err)
		}
		defer f.Close()
		in, name = f, args[0]
	}

	appendEvent := fbchunk.AppendEvent
	if o.legacy {
		appendEvent = fbchunk.AppendLegacyEvent
	}
	chunk, lineAt, problem := eventsChunk(in, name, start, o.step, appendEvent)
	if problem != "" {
		return inv.fail("%s", problem)
	}

	if o.out == "" || o.out == "-" {
		if _, err := inv.stdout.Write(chunk); err != nil {
			return inv.fail("writing the chunk: %v", err)
		}
	} else if err := os.WriteFile(o.out, chunk, 0o644); err != nil {
		return inv.fail("%v", err)
	}
	fmt.Fprintf(inv.stderr, "%d events\n", len(lineAt))
	return exitOK
}
