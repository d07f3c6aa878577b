package pipeline

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const perChunk = 200

var t0 = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)

func loadConfig(t testing.TB, props map[string]string) *config.Config {
	t.Helper()
	all := map[string]string{"Address": "127.0.0.1:514", "Hostname": "kcs-node"}
	for k, v := range props {
		all[k] = v
	}
	cfg, err := config.Load(config.GetterFunc(func(k string) string { return all[k] }), "test")
	require.NoError(t, err)
	return cfg
}

// sourceChunks are chunks of one kind of record each: the KCS-native events of the product's
// fixture, and each peer fixture repeated.
func sourceChunks(t testing.TB) map[string][]byte {
	t.Helper()
	chunks := map[string][]byte{}
	f, err := os.Open("../test/fixtures/events.jsonl")
	require.NoError(t, err)
	defer f.Close()
	kcs, _, err := record.FromJSONLines(f, t0, time.Second)
	require.NoError(t, err)
	chunks["kcs"] = kcs
	for name, file := range map[string]string{
		"falco":          "falco_open_captured_0.41.json",
		"falco-in-log":   "fluentbit_tail_cri_k8s_falco_mergelog_off_constructed.json",
		"falco-merged":   "fluentbit_k8s_falco_merge_log_key_constructed.json",
		"tetragon":       "tetragon_process_exec_docs.json",
		"tetragon-probe": "tetragon_kprobe_sigkill_constructed.json",
		"tracee":         "tracee_exec_k8s_constructed_v0.24.json",
		"tracee-forward": "tracee_forward_signature_constructed.json",
		"plain-line":     "fluentbit_plain_log_line_k8s_constructed.json",
	} {
		b, err := os.ReadFile("../test/fixtures/peers/" + file)
		require.NoError(t, err)
		body, err := record.ParseJSON(b)
		require.NoError(t, err)
		var chunk []byte
		for i := range perChunk {
			chunk, err = record.AppendEvent(chunk, t0.Add(time.Duration(i)*time.Millisecond), body)
			require.NoError(t, err)
		}
		chunks[name] = chunk
	}
	return chunks
}

// Once warm, a run allocates nothing per event, whatever the source of its records; with Set and
// Map too.
func TestRunAllocatesNothingPerEvent(t *testing.T) {
	props := map[string]string{
		"Merge_Log_Key": "falco",
		"Set.node_ip":   "10.0.0.12",
		"Map.cluster":   "$kubernetes['labels']['app.kubernetes.io/instance']",
		"Map.message":   "$kubernetes['labels']",
	}
	for name, chunk := range sourceChunks(t) {
		t.Run(name, func(t *testing.T) {
			p := New(loadConfig(t, props))
			emitted := 0
			emit := func(msg []byte) error { emitted++; return nil }
			var warnings []string
			warn := func(msg string) { warnings = append(warnings, msg) }
			_, err := p.Run(chunk, emit, warn)
			require.NoError(t, err)
			require.Empty(t, warnings)
			require.Positive(t, emitted)
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := p.Run(chunk, emit, warn); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs, "%v allocations per chunk", allocs)
		})
	}
}

// The Merge_Log_Key reaches the decoder: without it the map under `falco` is not the event.
func TestMergeLogKeyReachesTheDecoder(t *testing.T) {
	chunk := sourceChunks(t)["falco-merged"]
	for key, want := range map[string]string{"falco": "|FNT-001|", "": "|UNKNOWN|"} {
		p := New(loadConfig(t, map[string]string{"Merge_Log_Key": key}))
		var first string
		_, err := p.Run(chunk, func(msg []byte) error {
			if first == "" {
				first = string(msg)
			}
			return nil
		}, func(string) {})
		require.NoError(t, err)
		assert.True(t, strings.Contains(first, want), "Merge_Log_Key %q: %s", key, first)
	}
}

// BenchmarkRun: decode, map, filter and encode a chunk of each source; allocations per event.
func BenchmarkRun(b *testing.B) {
	for name, chunk := range sourceChunks(b) {
		b.Run(name, func(b *testing.B) {
			p := New(loadConfig(b, map[string]string{"Merge_Log_Key": "falco"}))
			events := 0
			emit := func(msg []byte) error { events++; return nil }
			if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
				b.Fatal(err)
			}
			n := events
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
			b.ReportMetric(ns, "ns/event")
			b.ReportMetric(1e9/ns, "events/s")
		})
	}
}
