package record_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
)

// The events that sensors write as JSON text: Falco's in a container log line, Tracee's in its
// forward output's `event`.
var jsonBenchFixtures = map[string]string{
	"falco-in-log":   "../test/fixtures/peers/fluentbit_tail_cri_k8s_falco_mergelog_off_constructed.json",
	"tracee-forward": "../test/fixtures/peers/tracee_forward_signature_constructed.json",
}

// BenchmarkEmbeddedJSON decodes a record whose event is JSON text: the transcoding to msgpack and
// the reading of the event's fields.
func BenchmarkEmbeddedJSON(b *testing.B) {
	for name, path := range jsonBenchFixtures {
		b.Run(name, func(b *testing.B) {
			text, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(text, &body); err != nil {
				b.Fatal(err)
			}
			chunk, err := fbchunk.AppendEvent(nil, time.Unix(1, 0), body)
			if err != nil {
				b.Fatal(err)
			}
			d := record.NewDecoder()
			var ev record.Event
			b.ReportAllocs()
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				d.Reset(chunk)
				if ok, err := d.Next(&ev); !ok || err != nil || ev.EmbeddedKey == nil {
					b.Fatalf("the event did not decode from its JSON text: %v", err)
				}
			}
		})
	}
}
