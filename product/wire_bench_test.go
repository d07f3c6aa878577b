package product_test

import (
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// BenchmarkWire: a process event with every key a runtime event sends, PIDs of seven digits, turned
// into the encoder's form (wire) and then encoded as the pipeline does (encode).
func BenchmarkWire(b *testing.B) {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Outcome = product.OutcomeAudit
	fullValues(ev)
	ev.Values[product.KeyDpid] = record.Int(1846367)
	ev.Values[product.KeySpid] = record.Int(1845879)
	ev.Values[product.KeyCn1] = record.Int(1846368)
	ev.Values[product.KeyOutcome] = str("Audit")
	var w cef.Event
	nums := ev.Wire(&w, nil)
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			nums = ev.Wire(&w, nums)
		}
	})
	enc := cef.NewEncoder(kcsHeader)
	line, _, _ := enc.AppendFit(nil, &w, 8096)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			nums = ev.Wire(&w, nums)
			line, _, _ = enc.AppendFit(line[:0], &w, 8096)
		}
	})
}
