package schema

import (
	"os"
	"testing"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// BenchmarkSensors: the mapping alone (Detect, the sensor's mapping, finish) of each sensor's
// fixture, decoded once; the pipeline's BenchmarkRun adds decoding and encoding.
func BenchmarkSensors(b *testing.B) {
	for _, name := range []string{
		"falco_open_captured_0.41", "fluentbit_tail_cri_k8s_falco_mergelog_off_constructed",
		"tetragon_process_exec_docs", "tetragon_kprobe_sigkill_constructed",
		"tracee_exec_k8s_constructed_v0.24", "tracee_forward_signature_constructed",
	} {
		text, err := os.ReadFile("../test/fixtures/peers/" + name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		rec := decodeBody(b, string(text))
		b.Run(name, func(b *testing.B) { benchMapping(b, rec) })
	}
}

// benchMapping maps one decoded record over and over.
func benchMapping(b *testing.B, rec *record.Event) {
	var m Mapper
	ev := new(product.Event)
	var problems []Problem
	b.ReportAllocs()
	for b.Loop() {
		problems = m.Map(rec, ev, problems[:0])
	}
}
