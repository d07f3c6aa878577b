package cef

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// Issue 11: shortening costs what the message size allows, not what the record holds. With every
// key holding 4,000 characters (the most a record of 200 fields can bring), the fitter reads of the
// values no more than the message carries, plus a character per key: three bytes each when a
// three-byte character is written as a one-byte space.
func TestAppendFitReadsABoundedPart(t *testing.T) {
	enc := NewEncoder(Header{Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0", Hostname: "kcs-node", Facility: 20})
	for _, unit := range []string{"a", "é=|€", "a\u200b", "\xff"} {
		ev := product.Event{Time: time.Unix(1771409248, 0), ClassID: []byte("X-1"), Name: []byte("N"), Type: product.UnknownType, Severity: 5}
		v := record.String([]byte(strings.Repeat(unit, 4000/len([]rune(unit)))))
		for k := product.Key(0); k < product.NumKeys; k++ {
			ev.Values[k] = v
		}
		for _, size := range []int{480, 8096} {
			var f fitter
			out, shortened, ok := f.appendFit(enc, nil, &ev, size)
			if !ok || !shortened || len(out) > size {
				t.Fatalf("%q %d: ok %v, shortened %v, %d bytes", unit, size, ok, shortened, len(out))
			}
			read := 0
			for _, v := range f.vals[:f.n] {
				read += v.fit.n
			}
			if bound := 3 * (size + int(product.NumKeys)*utf8.UTFMax); read > bound {
				t.Errorf("%q %d: read %d bytes of values, more than %d", unit, size, read, bound)
			}
		}
	}
}
