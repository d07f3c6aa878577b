package cef_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
)

// hostileKeys are 19 free-text keys a runtime event sends: the worst record of issue 11 fills each
// with 4,000 characters.
var hostileKeys = []cef.Key{
	cef.KeySource, cef.KeyFlexString2, cef.KeyRequest, cef.KeyFileHash, cef.KeyAct, cef.KeyDproc,
	cef.KeyDuid, cef.KeyFilePermission, cef.KeyOldFilePath, cef.KeyFilePath, cef.KeyCs1, cef.KeyCs2,
	cef.KeyCs3, cef.KeyCs4, cef.KeyCs5, cef.KeyCs6, cef.KeyCs7, cef.KeyOutcome, cef.KeyMsg,
}

// hostileEvent is a runtime event whose hostile keys each hold 4,000 characters of unit repeated.
func hostileEvent(unit string) *cef.Event {
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
func everyKeyEvent(unit string) *cef.Event {
	ev := newEvent()
	fullValues(ev)
	v := str(strings.Repeat(unit, 4000/len([]rune(unit))))
	for _, k := range stringKeyLimits {
		ev.Values[k.key] = v
	}
	return ev
}

// usualEvent is a runtime event with every key it sends holding a short, plausible value.
func usualEvent() *cef.Event {
	ev := newEvent()
	ev.ClassID = []byte("PM-002")
	ev.Type = cef.LookupType(ev.ClassID)
	ev.Name = nil
	ev.Severity = 7
	ev.Outcome = cef.OutcomeAudit
	fullValues(ev)
	ev.Values[cef.KeyOutcome] = str("Audit")
	return ev
}

// BenchmarkAppendFit measures shortening the worst records against the usual event, which fits
// and is encoded once (the baseline).
func BenchmarkAppendFit(b *testing.B) {
	enc := cef.NewEncoder(kcsHeader)
	cases := []struct {
		name string
		ev   *cef.Event
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

func benchFit(b *testing.B, enc *cef.Encoder, ev *cef.Event, size int) {
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
