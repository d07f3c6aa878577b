package pipeline

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/internal/logtext"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
)

// fuzzConfigs are the configurations the whole-pipeline fuzz target runs a chunk under: the
// smallest and the default Max_Message_Size, each schema by detection, an event under
// Merge_Log_Key, a record accessor, and the RFC 5424 header whose time has the narrowest range.
var fuzzConfigs = []map[string]string{
	{"Max_Message_Size": "480"},
	{"Max_Message_Size": "8096", "Syslog_Format": "rfc5424"},
	{"Max_Message_Size": "480", "Merge_Log_Key": "data", "Syslog_Format": "rfc5424"},
	{"Max_Message_Size": "8096", "Map.cluster": "$kubernetes['labels']['cluster']", "Set.node_ip": "10.0.0.1"},
}

// fuzzBudget is the CPU time one input may take while fuzzing, far above the milliseconds a chunk of
// a few kilobytes costs: an input over it is the stall the bounds exist to prevent. It is the
// thread's own CPU time, which a loaded or stolen machine does not stretch as it does the wall
// clock's. Replaying the corpus in `go test` checks the other invariants only.
const fuzzBudget = 2 * time.Second

// threadCPU is the CPU time of the calling thread (Linux's RUSAGE_THREAD), user and system.
func threadCPU(t *testing.T) time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// FuzzPipeline: for any chunk bytes under each configuration, the pipeline never panics, every
// message it emits is at most Max_Message_Size, passes the strict decoder, and holds no CR, LF, NUL,
// U+2028 or U+2029.
func FuzzPipeline(f *testing.F) {
	for _, chunk := range sourceChunks(f) {
		f.Add(chunk[:min(len(chunk), 4096)])
	}
	hostile, err := fbchunk.AppendEvent(nil, t0, map[string]any{
		"event_id": "PM-002\n\x1b[2J", "event_name": strings.Repeat("é=|€\u2028", 300), "command": strings.Repeat("a=\\", 3000),
		"data": `{"event_id":"FM-001","path":"/etc/` + strings.Repeat(`\u202e`, 100) + `"}`, "kubernetes": map[string]any{"labels": map[string]any{"cluster": []any{1, "x", map[string]any{"k": nil}}}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hostile)
	f.Add([]byte{0x92, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x00})
	pipes := make([]*Pipeline, len(fuzzConfigs))
	sizes := make([]int, len(fuzzConfigs))
	for i, props := range fuzzConfigs {
		cfg := loadConfig(f, props)
		pipes[i], sizes[i] = New(cfg), cfg.MaxMessageSize
	}
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	f.Fuzz(func(t *testing.T, chunk []byte) {
		runtime.LockOSThread() // the runs on one thread, whose CPU time threadCPU reads
		defer runtime.UnlockOSThread()
		start := threadCPU(t)
		for i, p := range pipes {
			emit := func(msg []byte) error { return checkMessage(string(msg), sizes[i]) }
			if _, err := p.Run(chunk, emit, func(string) {}); err != nil && !isChunkError(err) {
				t.Fatalf("config %d: %v", i, err)
			}
		}
		if d := threadCPU(t) - start; fuzzing && d > fuzzBudget {
			t.Fatalf("%d bytes took %v of CPU", len(chunk), d)
		}
	})
}

func checkMessage(line string, size int) error {
	if len(line) > size {
		return fmt.Errorf("a %d-byte message over Max_Message_Size %d", len(line), size)
	}
	if i := strings.IndexAny(line, "\r\n\x00\u2028\u2029"); i >= 0 {
		return fmt.Errorf("a line break or NUL at byte %d of %s", i, logtext.Quote(line))
	}
	if _, _, err := cef.ParseSyslog(line); err != nil {
		return fmt.Errorf("strict decoder rejects %s: %v", logtext.Quote(line), err)
	}
	return nil
}

func isChunkError(err error) bool {
	_, ok := err.(*record.ChunkError)
	return ok
}
