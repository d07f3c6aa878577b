package record

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Nested maps and arrays are rendered as compact JSON, bounded in depth and in length.
const (
	// maxDepth bounds the nesting written; a value deeper is written as the string cutMark.
	maxDepth = 64
	cutMark  = `"…"`
	// maxRenderedJSON bounds the text of one nested value. The longest CEF value is 4,000 characters
	// (cs1–cs6) of at most 4 bytes each: 16 KiB holds all a key can carry, so the rest, cut and
	// written as cutMark, is never seen, and a nested value of any size costs at most this.
	maxRenderedJSON = 16 << 10
	// cutRoom is kept below a rendering's limit for what ends a cut: `,"…":"…"` and the bracket of
	// every open level.
	cutRoom = len(`,`+cutMark+`:`+cutMark) + maxDepth + 1
)

// AppendJSON renders the node as compact JSON, as the decoder renders nested values: nesting deeper
// than 64 levels is written as "…", extensions as null, and past 16 KiB the rest is cut: written as
// "…" and the open levels closed, so the text stays JSON. Damage ends the text the same way.
func (n Node) AppendJSON(dst []byte) []byte { return appendJSON(dst, n.b) }

// jsonLevel is a map or an array being written.
type jsonLevel struct {
	left  int // children still to write (a map's keys and values both count)
	done  int // children begun
	isMap bool
}

// jsonWriter renders without recursion: the open levels are an array of fixed size, so no nesting
// exhausts the stack, and each msgpack header is read once, so the cost follows the text written.
type jsonWriter struct {
	dst   []byte
	room  int // dst grows to this length at most before a cut
	open  [maxDepth + 1]jsonLevel
	depth int
}

// appendJSON renders the msgpack value at the start of b, adding at most maxRenderedJSON bytes to dst.
func appendJSON(dst, b []byte) []byte {
	w := jsonWriter{dst: dst, room: len(dst) + maxRenderedJSON - cutRoom}
	for {
		k, hdr, payload, children := head(b)
		if payload < 0 || payload > len(b)-hdr || children < 0 {
			return w.cut()
		}
		container := k == NodeMap || k == NodeArray
		key, sep := w.next()
		mark := len(w.dst)
		w.dst = append(w.dst, sep...)
		switch {
		case key && container, !key && w.depth > maxDepth:
			// A container as a key is written as the cut mark: its text, escaped as a string again
			// at every level of its nesting, would double each time.
			n := size(b)
			if n < 0 {
				w.dst = w.dst[:mark]
				return w.cut()
			}
			w.dst = append(w.dst, cutMark...)
			b, container = b[n:], false
		case container:
			w.dst = append(w.dst, opener(k))
			b = b[hdr:]
		case k == NodeString:
			if !w.string(b[hdr : hdr+payload]) {
				w.begun()
				if key { // a cut key still gets a value
					w.dst = append(w.dst, ":"+cutMark...)
				}
				return w.closeAll()
			}
			b = b[hdr+payload:]
		default:
			if key { // JSON keys are strings: a number, a boolean or null as its JSON text
				w.dst = append(w.dst, '"')
			}
			var v Value
			v.scalar(b, k, hdr, payload)
			w.dst = appendScalar(w.dst, v)
			if key {
				w.dst = append(w.dst, '"')
			}
			b = b[hdr+payload:]
		}
		if len(w.dst) > w.room {
			w.dst = w.dst[:mark]
			return w.cut()
		}
		w.begun()
		if container {
			w.open[w.depth] = jsonLevel{left: children, isMap: k == NodeMap}
			w.depth++
		}
		for w.depth > 0 && w.open[w.depth-1].left == 0 {
			w.closeLevel()
		}
		if w.depth == 0 {
			return w.dst
		}
	}
}

func opener(k NodeKind) byte {
	if k == NodeMap {
		return '{'
	}
	return '['
}

// next tells the slot of the next value: a map's key or not, and the separator written before it.
func (w *jsonWriter) next() (key bool, sep string) {
	if w.depth == 0 {
		return false, ""
	}
	lv := &w.open[w.depth-1]
	switch {
	case lv.isMap && lv.done%2 == 1:
		return false, ":"
	case lv.done > 0:
		return lv.isMap, ","
	}
	return lv.isMap, ""
}

// begun counts the next value as started in its level.
func (w *jsonWriter) begun() {
	if w.depth > 0 {
		w.open[w.depth-1].done++
		w.open[w.depth-1].left--
	}
}

// cut ends the text at the slot of the next value: the cut mark stands for the rest, and every open
// level is closed.
func (w *jsonWriter) cut() []byte {
	key, sep := w.next()
	w.dst = append(w.dst, sep...)
	w.dst = append(w.dst, cutMark...)
	if key {
		w.dst = append(w.dst, ":"+cutMark...)
	}
	return w.closeAll()
}

func (w *jsonWriter) closeAll() []byte {
	for w.depth > 0 {
		w.closeLevel()
	}
	return w.dst
}

func (w *jsonWriter) closeLevel() {
	w.depth--
	if w.open[w.depth].isMap {
		w.dst = append(w.dst, '}')
	} else {
		w.dst = append(w.dst, ']')
	}
}

const hexDigits = "0123456789abcdef"

// string writes s as a JSON string: quotes and backslashes escaped, control characters as \u00XX,
// an invalid byte as U+FFFD. When the limit comes first it returns false, the string cut on a
// character boundary and closed with …" (at least "…" is written).
func (w *jsonWriter) string(s []byte) bool {
	w.dst = append(w.dst, '"')
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		at := len(w.dst)
		switch {
		case r == '"' || r == '\\':
			w.dst = append(w.dst, '\\', byte(r))
		case r < 0x20:
			w.dst = append(w.dst, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			w.dst = utf8.AppendRune(w.dst, r) // an invalid byte comes out as U+FFFD
		}
		if len(w.dst) > w.room {
			w.dst = append(w.dst[:at], `…"`...)
			return false
		}
		s = s[size:]
	}
	w.dst = append(w.dst, '"')
	return true
}

// appendScalar writes a number, a boolean or nil as JSON; NaN, infinities and extensions as null.
func appendScalar(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindFloat:
		if f := v.Float(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return strconv.AppendFloat(dst, f, 'g', -1, 64)
		}
	case KindBool:
		return strconv.AppendBool(dst, v.Int() != 0)
	case KindUint:
		return strconv.AppendUint(dst, v.Uint(), 10)
	case KindInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	}
	return append(dst, "null"...)
}
