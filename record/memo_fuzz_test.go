package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The decoder's fields, read through the key memo (usualFields) with a warm memo, a cold one and no
// keys, are msgpack/v5's body pairs in order, with each Slot the look-up's and the slot set telling
// the same: a wrong slot would put a value under another CEF key. Keys of every length around the
// memo's words, near misses, every value type at every place, key orders that change every record.

var memoNames = []string{
	"", "a", "ab", "abc", "pid", "ppid", "log", "event",
	"abcdefg", "abcdefgh", "abcdefghi",
	"abcdefghijklmn",    // 14
	"abcdefghijklmno",   // 15
	"abcdefghijklmnop",  // 16
	"abcdefghijklmnopq", // 17
	"abcdefghXjklmno",   // 15, differs from the 15 at byte 8
	"abcdefghijklmnX",   // 15, differs at its last byte
	"abcdefghijklmnoX",  // 16 equal in the first 15
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",     // 14 NULs
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", // 15 0xff
}

// keys seen in records: names and near misses
var memoPool = append(append([]string{}, memoNames...),
	"b", "pi", "abcdefghijklm", "abcdefghijklmnY", "abcdefghijklmnoY", "abcdefghijklmnopqr",
	"abcdefghXjklmnop", "Abcdefghijklmno", "abcdefghijklmnO",
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
	"abcdefghijklmnopqrstuvwxyz01234", // 31: the longest fixstr
)

var memoKeys = NewKeys(memoNames...)

var memoEvents, memoEmbedded int // checked, for the seeds' test to tell

// memoKey encodes s as fixstr, str8, str16 or bin8 by enc.
func memoKey(s string, enc byte) []byte {
	switch enc % 8 {
	case 5:
		return append([]byte{0xd9, byte(len(s))}, s...)
	case 6:
		return append([]byte{0xda, 0, byte(len(s))}, s...)
	case 7:
		return append([]byte{0xc4, byte(len(s))}, s...)
	}
	if len(s) > 31 {
		return append([]byte{0xd9, byte(len(s))}, s...)
	}
	return append([]byte{0xa0 | byte(len(s))}, s...)
}

// memoValue is a value of every type the fast path and the general one tell apart.
func memoValue(sel byte, x byte) []byte {
	switch sel % 26 {
	case 24, 25: // a JSON object, an embedded event under log or event, of pool keys rotated by x
		text := "{"
		for i := range 20 {
			k := memoPool[(int(x)+i*int(sel/26+1))%len(memoPool)]
			if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(k, 0xff) >= 0 { // no JSON text
				k = "pid"
			}
			if i > 0 {
				text += ","
			}
			text += fmt.Sprintf("%q:%d", k, i)
		}
		text += "}"
		return append([]byte{0xda, byte(len(text) >> 8), byte(len(text))}, text...)
	case 0:
		return []byte{x & 0x7f}
	case 1:
		return []byte{0xe0 | x&0x1f}
	case 2:
		return []byte{0xcc, x}
	case 3:
		return []byte{0xcd, x, ^x}
	case 4:
		return []byte{0xce, x, ^x, x, 0x80}
	case 5:
		return []byte{0xcf, 0xff, x, 0, 0, 0, 0, 0, x}
	case 6:
		return []byte{0xd0, x}
	case 7:
		return []byte{0xd1, x, x}
	case 8:
		return []byte{0xd2, 0x80 | x, 0, 0, x}
	case 9:
		return []byte{0xd3, 0x80, x, 0, 0, 0, 0, 0, x}
	case 10:
		return append([]byte{0xa0 | x&0x1f}, bytes.Repeat([]byte{'v'}, int(x&0x1f))...)
	case 11:
		return append([]byte{0xd9, x}, bytes.Repeat([]byte{'w'}, int(x))...)
	case 12:
		return []byte{0xc0}
	case 13:
		return []byte{0xc2 | x&1}
	case 14:
		return []byte{0x82, 0xa1, 'a', 0x01, 0xa3, 'p', 'i', 'd', 0x92, 0x01, 0xc0}
	case 15:
		return []byte{0x93, 0x01, 0xa1, 'x', 0x80}
	case 16:
		return []byte{0xde, 0, 1, 0xa1, 'a', 0x90}
	case 17:
		return []byte{0xdc, 0, 2, 0x01, 0x02}
	case 18:
		return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(float64(x)+0.5))
	case 19:
		return []byte{0xca, 0x3f, 0x80, 0, x}
	case 20:
		return []byte{0xd4, 0x01, x}
	case 21:
		return []byte{0xc4, 2, x, x}
	case 22:
		return []byte{0xda, 0, 3, 'a', 'b', x}
	default:
		return []byte{0xd7, 0, 0, 0, 0, x, 0, 0, 0, 0}
	}
}

// memoChunk builds a chunk of records from a program: each record's keys and their encodings and values
// are read from p, so that the fuzzer moves keys between places, lengths and encodings.
func memoChunk(p []byte) []byte {
	next := func() byte {
		if len(p) == 0 {
			return 0
		}
		c := p[0]
		p = p[1:]
		return c
	}
	var chunk []byte
	for len(p) > 0 {
		n := int(next() % 80)
		if n == 79 {
			n = 1024 + int(next()%3) - 1 // 1023, 1024, 1025 keys
		}
		body := []byte{0xde, byte(n >> 8), byte(n)}
		if n < 16 && next()&1 == 0 {
			body = []byte{0x80 | byte(n)}
		}
		for range n {
			k, e, vs, vx := next(), next(), next(), next()
			body = append(body, memoKey(memoPool[int(k)%len(memoPool)], e)...)
			body = append(body, memoValue(vs, vx)...)
		}
		chunk = append(chunk, 0x92, 0x92, 0xd7, 0, 0x67, 0, 0, 0, 0, 0, 0, 0, 0x80)
		chunk = append(chunk, body...)
	}
	return chunk
}

// memoRef is msgpack/v5's reading of the values of chunk: the body pairs of each that is an array of two
// whose second is a map, by offset; whole is where the values it reads whole end.
func memoRef(chunk []byte) (bodies map[int][]mpValue, whole int) {
	r := bytes.NewReader(chunk)
	d := msgpack.NewDecoder(r)
	bodies = map[int][]mpValue{}
	for r.Len() > 0 {
		at := len(chunk) - r.Len()
		ev, err := refValue(d, r)
		if err != nil {
			return bodies, at
		}
		if ev.Kind == NodeArray && len(ev.Elems) == 2 && ev.Elems[1].Kind == NodeMap {
			bodies[at] = ev.Elems[1].Elems
		}
	}
	return bodies, len(chunk)
}

func memoCheck(t *testing.T, chunk []byte) {
	bodies, whole := memoRef(chunk)
	warm := NewDecoder().WithKeys(memoKeys)
	bare := NewDecoder()
	warm.Reset(chunk)
	bare.Reset(chunk)
	var ev, evBare, evCold Event
	for i := 0; ; i++ {
		ok, err := warm.Next(&ev)
		okBare, errBare := bare.Next(&evBare)
		if ok != okBare || (err == nil) != (errBare == nil) {
			t.Fatalf("event %d: with keys %v %v, without %v %v", i, ok, err, okBare, errBare)
		}
		if !ok {
			if ce, isChunk := err.(*ChunkError); isChunk && ce.Offset < whole && chunk[ce.Offset]&0xf0 == 0x90 {
				t.Fatalf("event %d: %v, but msgpack/v5 reads whole to %d", i, err, whole)
			}
			return
		}
		if err != nil {
			continue // an event stepped over
		}
		want, found := bodies[ev.Offset]
		if !found {
			t.Fatalf("event %d at %d: msgpack/v5 reads no event there (whole to %d)", i, ev.Offset, whole)
		}
		// cold: a decoder that reads this event first
		cold := NewDecoder().WithKeys(memoKeys)
		cold.Reset(chunk[ev.Offset:])
		if ok, err := cold.Next(&evCold); !ok || err != nil {
			t.Fatalf("event %d, cold: %v %v", i, ok, err)
		}
		for name, e := range map[string]*Event{"bare": &evBare, "cold": &evCold} {
			if !bytes.Equal(e.EmbeddedKey, ev.EmbeddedKey) || (e.EmbeddedKey == nil) != (ev.EmbeddedKey == nil) || len(e.Embedded) != len(ev.Embedded) || e.EmbedTooLarge != ev.EmbedTooLarge {
				t.Fatalf("event %d: %s embeds %q (%d fields), warm %q (%d)", i, name, e.EmbeddedKey, len(e.Embedded), ev.EmbeddedKey, len(ev.Embedded))
			}
		}
		for name, e := range map[string]*Event{"warm": &ev, "bare": &evBare, "cold": &evCold} {
			if 2*len(e.Fields) != len(want) {
				t.Fatalf("event %d, %s: %d fields, msgpack/v5 %d", i, name, len(e.Fields), len(want)/2)
			}
			for j := range e.Fields {
				f := &e.Fields[j]
				if !bytes.Equal(f.Key, want[2*j].Bytes) {
					t.Fatalf("event %d, %s, place %d: key %q, msgpack/v5 %q", i, name, j, f.Key, want[2*j].Bytes)
				}
				if got := ourValue(t, f.Raw); !reflect.DeepEqual(got, want[2*j+1]) {
					t.Fatalf("event %d, %s, key %q: %+v, msgpack/v5 %+v", i, name, f.Key, got, want[2*j+1])
				}
				if v, raw := f.Value, f.Raw.Value(); !(v.Kind == raw.Kind && bytes.Equal(v.Bytes, raw.Bytes) && v.num == raw.num) {
					t.Fatalf("event %d, %s, key %q: value %+v, its node's %+v", i, name, f.Key, v, raw)
				}
				wantSlot := memoKeys.Index(f.Key)
				if name == "bare" {
					wantSlot = NoSlot
				}
				if f.Slot != wantSlot {
					t.Fatalf("event %d, %s, place %d: key %q has slot %d, the look-up %d", i, name, j, f.Key, f.Slot, wantSlot)
				}
			}
			if name == "bare" {
				continue
			}
			if e.EmbeddedKey != nil {
				for j := range e.Embedded {
					f := &e.Embedded[j]
					if want := memoKeys.Index(f.Key); f.Slot != want {
						t.Fatalf("event %d, %s, embedded place %d: key %q has slot %d, the look-up %d", i, name, j, f.Key, f.Slot, want)
					}
					if v, raw := f.Value, f.Raw.Value(); !(v.Kind == raw.Kind && bytes.Equal(v.Bytes, raw.Bytes) && v.num == raw.num) {
						t.Fatalf("event %d, %s, embedded key %q: value %+v, its node's %+v", i, name, f.Key, v, raw)
					}
				}
				memoEmbedded++
			}
			for first := range len(memoNames) {
				for last := first; last < len(memoNames); last++ {
					has := false
					for _, f := range e.Body() {
						s := memoKeys.Index(f.Key)
						has = has || s >= first && s <= last
					}
					if e.BodyHasAny(memoKeys, first, last) != has {
						t.Fatalf("event %d, %s: BodyHasAny(%d, %d) %v", i, name, first, last, !has)
					}
				}
			}
			memoEvents++
			for s := range memoNames {
				has := false
				for j := range e.Fields {
					has = has || memoKeys.Index(e.Fields[j].Key) == s
				}
				if e.RecordHas(memoKeys, s) != has {
					t.Fatalf("event %d, %s: RecordHas(%q) %v, fields %v", i, name, memoNames[s], !has, has)
				}
			}
		}
	}
}

// FuzzMemoSlots: data[0] even builds the chunk from the rest (memoChunk), odd takes it as it is.
func FuzzMemoSlots(f *testing.F) {
	for _, s := range memoSeeds() {
		if len(s) <= 4<<10 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 4<<10 {
			return
		}
		chunk := data[1:]
		if data[0]&1 == 0 {
			chunk = memoChunk(data[1:])
		}
		if len(chunk) > 256<<10 {
			return
		}
		memoCheck(t, chunk)
	})
}

func memoSeeds() [][]byte {
	var seeds [][]byte
	// every pool key at every place with every value type, rotated each record (memo thrash)
	for rot := range 3 {
		p := []byte{0}
		for r := range 6 {
			n := byte(20 + r*9)
			p = append(p, n)
			for i := range int(n) {
				p = append(p, byte(i+r*rot+r), byte(i*3+r), byte(i+r*5), byte(i*7))
			}
		}
		seeds = append(seeds, p)
		seeds = append(seeds, append([]byte{1}, memoChunk(p[1:])...))
	}
	// embedded events whose keys rotate every record
	p := []byte{0}
	for r := range 40 {
		p = append(p, 3, 0, 1, 0, 0, byte(r), 6, 0, 24+26*byte(r%3), byte(r*5), 7, 0, 25, byte(r))
	}
	seeds = append(seeds, p)
	// 1024 keys
	p = []byte{0, 79, 1}
	for i := range 1024 {
		p = append(p, byte(i), 0, byte(i), byte(i))
	}
	seeds = append(seeds, p)
	return seeds
}

// The seeds themselves, and every cut of a few chunks, as a test.
func TestMemoSlotsSeeds(t *testing.T) {
	for _, s := range memoSeeds() {
		chunk := s[1:]
		if s[0]&1 == 0 {
			chunk = memoChunk(s[1:])
		}
		memoCheck(t, chunk)
		for cut := 0; cut < len(chunk) && !testing.Short(); cut++ {
			memoCheck(t, chunk[:cut])
			if cut > 2000 {
				cut += 12
			}
		}
	}
	t.Logf("%d events checked, %d of them embedded", memoEvents, memoEmbedded)
}
