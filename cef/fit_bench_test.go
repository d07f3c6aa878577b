package cef_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
)

// hostileKeys are 19 free-text keys a runtime event sends: the worst record of issue 11 fills each
// with 4,000 characters.
var hostileKeys = []product.Key{
	product.KeySource, product.KeyFlexString2, product.KeyRequest, product.KeyFileHash, product.KeyAct, product.KeyDproc,
	product.KeyDuid, product.KeyFilePermission, product.KeyOldFilePath, product.KeyFilePath, product.KeyCs1, product.KeyCs2,
	product.KeyCs3, product.KeyCs4, product.KeyCs5, product.KeyCs6, product.KeyCs7, product.KeyOutcome, product.KeyMsg,
}

// hostileEvent is a runtime event whose hostile keys each hold 4,000 characters of unit repeated.
func hostileEvent(unit string) *product.Event {
	ev := usualEvent()
	v := str(strings.Repeat(unit, 4000/len([]rune(unit))))
	for _, k := range hostileKeys {
		ev.Values[k] = v
	}
	return ev
}

// everyKeyEvent is an event of an unknown type, which sends every key: each free-text key holds
// 4,000 characters, the typed keys what the mapping lets through. It is the most a record of any
// number of fields (200, say) can bring to the encoder.
func everyKeyEvent(unit string) *product.Event {
	ev := newEvent()
	fullValues(ev)
	v := str(strings.Repeat(unit, 4000/len([]rune(unit))))
	for _, k := range stringKeyLimits {
		ev.Values[k.key] = v
	}
	return ev
}

// usualEvent is a runtime event with every key it sends holding a short, plausible value.
func usualEvent() *product.Event {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Type = product.LookupType(ev.ClassID)
	ev.Name = nil
	ev.Severity = 7
	ev.Outcome = product.OutcomeAudit
	fullValues(ev)
	ev.Values[product.KeyOutcome] = str("Audit")
	return ev
}

// BenchmarkAppendFit measures shortening the worst records against the usual event, which fits
// and is encoded once (the baseline).
func BenchmarkAppendFit(b *testing.B) {
	enc := cef.NewEncoder(kcsHeader)
	cases := []struct {
		name string
		ev   *product.Event
	}{
		{"19x4000ascii", hostileEvent("a")},
		{"19x4000escaped", hostileEvent("é=|€")},
		{"everyKey4000escaped", everyKeyEvent("é=|€")},
	}
	b.Run("baseline", func(b *testing.B) { benchFit(b, enc, usualEvent(), 8096) })
	for _, c := range cases {
		for _, size := range []int{480, 8096} {
			b.Run(fmt.Sprintf("%s/%d", c.name, size), func(b *testing.B) { benchFit(b, enc, c.ev, size) })
		}
	}
}

func benchFit(b *testing.B, enc *cef.Encoder, ev *product.Event, size int) {
	dst, _, ok := enc.AppendFit(nil, ev, size)
	if !ok {
		b.Fatal("does not fit")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst, _, _ = enc.AppendFit(dst[:0], ev, size)
	}
}
