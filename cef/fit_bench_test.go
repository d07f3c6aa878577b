package cef_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
)

// hostileKeys are 19 free-text keys a runtime event sends: the worst record of issue 11 fills each
// with 4,000 characters.
var hostileKeys = []string{
	"source", "flexString2", "request", "fileHash", "act", "dproc", "duid", "filePermission", "oldFilePath",
	"filePath", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7", "outcome", "msg",
}

// hostileEvent is a runtime event whose hostile keys each hold 4,000 characters of unit repeated.
func hostileEvent(unit string) *cef.Event {
	return filled(processEvent(), hostileKeys, unit)
}

// everyKeyEvent is an event of every key: each free-text key holds 4,000 characters, the typed keys
// what the mapping lets through. It is the most a record of any number of fields (200, say) can
// bring to the encoder.
func everyKeyEvent(unit string) *cef.Event {
	ev := newEvent()
	ev.Ext = fieldsOf(fullPairs)
	var keys []string
	for _, k := range stringKeyLimits {
		keys = append(keys, k.name)
	}
	return filled(ev, keys, unit)
}

// filled gives the fields of keys 4,000 characters of unit repeated, as text.
func filled(ev *cef.Event, keys []string, unit string) *cef.Event {
	v := []byte(strings.Repeat(unit, 4000/len([]rune(unit))))
	for i := range ev.Ext {
		if slices.Contains(keys, ev.Ext[i].Key.Name()) {
			ev.Ext[i].Value, ev.Ext[i].Kind = v, cef.Text
		}
	}
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
	b.Run("baseline", func(b *testing.B) { benchFit(b, enc, processEvent(), 8096) })
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
