package record

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// mpValue is one msgpack value as a tree: what the differential test compares.
type mpValue struct {
	Kind  NodeKind
	Bytes []byte // a string's or a binary's bytes; an extension's payload
	Int   int64
	Uint  uint64
	Float uint64 // the bits of a float64 (a float32 as Go widens it)
	Bool  bool
	Ext   int8
	// Elems are an array's elements, or a map's keys and values in turn (string keys only).
	Elems []mpValue
}

var errTooLong = errors.New("a length past the bytes left")

const maxFuzzMsgpack = 4 << 10

// refValue reads one value with msgpack/v5's low-level decoder, the reference.
func refValue(d *msgpack.Decoder, r *bytes.Reader) (mpValue, error) {
	c, err := d.PeekCode()
	if err != nil {
		return mpValue{}, err
	}
	// readN reads n bytes, checked first, so that a lying length does not make msgpack/v5
	// allocate it (its ReadFull would refuse it as well: io.ErrUnexpectedEOF).
	readN := func(n int, err error) ([]byte, error) {
		if err != nil || n > r.Len() {
			return nil, errors.Join(err, errTooLong)
		}
		b := make([]byte, n)
		return b, d.ReadFull(b)
	}
	var v mpValue
	switch {
	case c == msgpcode.Nil:
		v.Kind, err = NodeNil, d.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		v.Kind = NodeBool
		v.Bool, err = d.DecodeBool()
	case c == msgpcode.Uint64:
		v.Kind = NodeUint
		v.Uint, err = d.DecodeUint64()
	case msgpcode.IsFixedNum(c) || c >= msgpcode.Uint8 && c <= msgpcode.Uint32 || c >= msgpcode.Int8 && c <= msgpcode.Int64:
		v.Kind = NodeInt
		v.Int, err = d.DecodeInt64()
	case c == msgpcode.Float || c == msgpcode.Double:
		v.Kind = NodeFloat
		var f float64
		f, err = d.DecodeFloat64()
		v.Float = math.Float64bits(f)
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		// Accepted difference: the reader takes a str and a bin alike, as a string (Node.Str).
		v.Kind = NodeString
		v.Bytes, err = readN(d.DecodeBytesLen())
	case msgpcode.IsExt(c):
		v.Kind = NodeExt
		var n int
		v.Ext, n, err = d.DecodeExtHeader()
		if err == nil {
			v.Bytes, err = readN(n, nil)
		}
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		v.Kind = NodeArray
		var n int
		if n, err = d.DecodeArrayLen(); err != nil {
			break
		}
		for range n {
			e, err := refValue(d, r)
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, e)
		}
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		v.Kind = NodeMap
		var n int
		if n, err = d.DecodeMapLen(); err != nil {
			break
		}
		for range n {
			k, err := refValue(d, r)
			if err != nil {
				return v, err
			}
			e, err := refValue(d, r)
			if err != nil {
				return v, err
			}
			// Accepted difference: Iter.Next steps over a key that is not a string, with its value
			// (no mapping can name it).
			if k.Kind == NodeString {
				v.Elems = append(v.Elems, k, e)
			}
		}
	default:
		err = fmt.Errorf("code 0x%02x is no msgpack type", c)
	}
	return v, err
}

// ourValue reads the node, which size found whole, with the record package's Node and Iter.
func ourValue(t *testing.T, n Node) mpValue {
	v := mpValue{Kind: n.Kind()}
	switch v.Kind {
	case NodeNil:
	case NodeString:
		v.Bytes, _ = n.Str()
		v.Bytes = append([]byte{}, v.Bytes...)
	case NodeExt:
		_, hdr, payload, _ := head(n.b)
		v.Ext, v.Bytes = int8(n.b[hdr-1]), append([]byte{}, n.b[hdr:hdr+payload]...)
	case NodeArray:
		it := n.Elems()
		for e, ok := it.NextElem(); ok; e, ok = it.NextElem() {
			v.Elems = append(v.Elems, ourValue(t, e))
		}
		if it.broken() || len(v.Elems) != n.Len() {
			t.Fatalf("an array of %d read as %d elements (broken %v)", n.Len(), len(v.Elems), it.broken())
		}
	case NodeMap:
		it := n.Pairs()
		for k, e, ok := it.Next(); ok; k, e, ok = it.Next() {
			v.Elems = append(v.Elems, mpValue{Kind: NodeString, Bytes: append([]byte{}, k...)}, ourValue(t, e))
		}
		if it.broken() || len(v.Elems) > 2*n.Len() {
			t.Fatalf("a map of %d read as %d keys and values (broken %v)", n.Len(), len(v.Elems), it.broken())
		}
	default:
		val := n.Value()
		switch v.Kind {
		case NodeBool:
			v.Bool = val.Int() == 1
		case NodeInt:
			v.Int = val.Int()
		case NodeUint:
			v.Uint = val.Uint()
		case NodeFloat:
			v.Float = math.Float64bits(val.Float())
		}
	}
	return v
}

// FuzzMsgpack: for any bytes, the reader and msgpack/v5 read the same values one after another (kind,
// string bytes, integer, float bits, bool, nil, map pairs in order, array elements, extension type
// and payload) and end at the same byte, or both refuse the next value. The accepted differences are
// marked in refValue: a str and a bin are both strings; a map's key that is not a string is stepped
// over. Inputs are cut at 4 KiB: walking every value through Iter measures each container once for
// every level above it, so the walk of a deep input costs its length times its depth.
func FuzzMsgpack(f *testing.F) {
	for _, seed := range msgpackSeeds(f) {
		f.Add(seed[:min(len(seed), maxFuzzMsgpack)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = data[:min(len(data), maxFuzzMsgpack)]
		r := bytes.NewReader(data)
		d := msgpack.NewDecoder(r)
		for at := 0; at < len(data); {
			want, refErr := refValue(d, r)
			n := size(data[at:])
			if refErr != nil || n < 0 {
				if (refErr != nil) != (n < 0) {
					t.Fatalf("at byte %d: msgpack/v5 says %v, the reader measures %d bytes", at, refErr, n)
				}
				return
			}
			if end := len(data) - r.Len(); at+n != end {
				t.Fatalf("at byte %d: the reader ends at %d, msgpack/v5 at %d", at, at+n, end)
			}
			if got := ourValue(t, Node{data[at : at+n]}); !reflect.DeepEqual(want, got) {
				t.Fatalf("at byte %d:\nmsgpack/v5 %+v\nthe reader %+v", at, want, got)
			}
			at += n
		}
	})
}

// msgpackSeeds are the chunks of the decoder's and the pipeline's fuzz corpora, and values at the
// edges of the format.
func msgpackSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		{0xc1}, {0xc0}, {0xc2}, {0xc3}, {0x7f}, {0xe0}, {0xff},
		{0xcc, 0xff}, {0xcd, 0xff, 0xff}, {0xce, 0xff, 0xff, 0xff, 0xff}, {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0xd0, 0x80}, {0xd1, 0x80, 0x00}, {0xd2, 0x80, 0, 0, 0}, {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0},
		{0xca, 0x7f, 0x80, 0x00, 0x01}, {0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 1},
		{0xa0}, {0xbf}, {0xd9, 0x01, 'x'}, {0xda, 0x00, 0x01, 'x'}, {0xdb, 0, 0, 0, 1, 'x'}, {0xdb, 0xff, 0xff, 0xff, 0xff, 'x'},
		{0xc4, 0x01, 0x00}, {0xc5, 0x00, 0x00}, {0xc6, 0xff, 0xff, 0xff, 0xff},
		{0xd4, 0x01, 0x02}, {0xd8, 0xff}, {0xc7, 0x00, 0x05}, {0xc8, 0x00, 0x01, 0xff, 0x00}, {0xc9, 0x80, 0, 0, 0, 0x01},
		{0x90}, {0x91, 0x91, 0x91}, {0xdc, 0x00, 0x02, 0x01, 0x02}, {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0x80}, {0x81, 0x01, 0x02}, {0x82, 0x91, 0x01, 0x02, 0xa1, 'k', 0xc0}, {0x81, 0x81, 0xa1, 'a', 0x01, 0xa1, 'v'},
		{0xde, 0x00, 0x01, 0xc4, 0x01, 'k', 0x01}, {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k'}, {0xdf, 0x7f, 0xff, 0xff, 0xff},
		{0x01, 0x02, 0xc1}, bytes.Repeat([]byte{0x91}, 300),
	}
	for _, dir := range []string{"testdata/fuzz/FuzzDecoder", "../pipeline/testdata/fuzz/FuzzPipeline"} {
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, file := range files {
			text, err := os.ReadFile(file)
			if err != nil {
				tb.Fatal(err)
			}
			for _, line := range strings.Split(string(text), "\n") {
				quoted, ok := strings.CutPrefix(line, "[]byte(")
				if !ok {
					continue
				}
				chunk, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
				if err != nil {
					tb.Fatalf("%s: %v", file, err)
				}
				seeds = append(seeds, []byte(chunk))
			}
		}
	}
	return seeds
}
