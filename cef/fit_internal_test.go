package cef

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Issue 11: shortening costs what the message size allows, not what the record holds. With every
// key holding 4,000 characters (the most a record of 200 fields can bring: 36 keys), the fitter reads
// of the values no more than the message carries, plus a character per key: three bytes each when a
// three-byte character is written as a one-byte space.
func TestAppendFitReadsABoundedPart(t *testing.T) {
	const keys = 36
	enc := NewEncoder(Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20})
	for _, unit := range []string{"a", "é=|€", "a\u200b", "\xff"} {
		ev := Event{Time: time.Unix(1771409248, 0), ClassID: []byte("X-1"), Name: []byte("N"), Severity: 5}
		v := []byte(strings.Repeat(unit, 4000/len([]rune(unit))))
		for i := range keys {
			ev.Ext = append(ev.Ext, Field{Key: NewKey(fmt.Sprintf("cs%d", i), "", 4000), Value: v})
		}
		for _, size := range []int{480, 8096} {
			var f fitter
			f.reset(len(ev.Ext))
			out, shortened, ok := f.appendFit(enc, nil, &ev, size)
			if !ok || !shortened || len(out) > size {
				t.Fatalf("%q %d: ok %v, shortened %v, %d bytes", unit, size, ok, shortened, len(out))
			}
			read := 0
			for _, v := range f.vals[:f.n] {
				read += v.fit.n
			}
			if bound := 3 * (size + keys*utf8.UTFMax); read > bound {
				t.Errorf("%q %d: read %d bytes of values, more than %d", unit, size, read, bound)
			}
		}
	}
}
