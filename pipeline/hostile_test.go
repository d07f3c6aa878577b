package pipeline

import (
	"runtime"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocatedPerRun is what a run of chunk allocates, in bytes and in allocations, once warm.
func allocatedPerRun(t *testing.T, props map[string]string, body map[string]any) (bytes uint64, allocs float64) {
	t.Helper()
	chunk, err := fbchunk.AppendEvent(nil, t0, body)
	require.NoError(t, err)
	p := New(loadConfig(t, props))
	run := func() {
		_, err := p.Run(chunk, func([]byte) error { return nil }, func(string) {})
		require.NoError(t, err)
	}
	run()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	allocs = testing.AllocsPerRun(10, run)
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / 11, allocs
}

// A sensor's time that is no RFC 3339 text is not handed to time.Parse when it is longer than any
// such text: its error would copy the text, twice, for every event.
func TestALongSensorTimeIsNotCopied(t *testing.T) {
	falco := map[string]any{"rule": "r", "priority": "Warning", "output": "o", "time": "x" + strings.Repeat("Y", 1<<20),
		"output_fields": map[string]any{"evt.type": "execve", "proc.cmdline": "sh"}}
	bytes, _ := allocatedPerRun(t, nil, falco)
	assert.Less(t, bytes, uint64(64<<10), "a Falco alert with a 1 MiB time")
}

// Integers strconv cannot read are not handed to it: its errors copy the text, and a JSON line in
// `log` may hold many long numbers (or one of a megabyte).
func TestLongIntegersInJSONTextAreNotCopied(t *testing.T) {
	many := `{"event_id":"PM-002","x":[` + strings.TrimSuffix(strings.Repeat("123456789012345678901234,", 40000), ",") + `]}`
	huge := `{"event_id":"PM-002","x":` + strings.Repeat("9", 1<<20-40) + `}`
	for name, line := range map[string]string{"40,000 integers of 24 digits": many, "one integer of 1 MiB": huge} {
		bytes, allocs := allocatedPerRun(t, nil, map[string]any{"log": line, "stream": "stdout"})
		assert.Less(t, allocs, 10.0, name)
		assert.Less(t, bytes, uint64(64<<10), name)
	}
}
