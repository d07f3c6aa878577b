package record

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// NoSlot is the Slot of a key that is none of the decoder's Keys.
const NoSlot = -1

// Keys is a fixed list of key names that the decoder dispatches the keys of a record on while it
// reads them (Field.Slot): a perfect hash, picked when the list is made, leads each name to a slot
// of its own, so that a look-up is one hash and one compare of two words, with no Go map and no
// allocation. A Keys is never changed once made: it is safe for concurrent use.
type Keys struct {
	names   []name   // names[0] is none: a slot that leads to it is empty; names[i] has Slot i-1
	slots   []uint16 // by hash: the index in names
	mul     uint64   // the hash's odd multiplier, the one found to lead no two names to one slot
	shift   uint
	longest int // a longer key is none of the names, refused before it is hashed in full
}

// name is one of the names, in the words a look-up compares.
type name struct {
	a, b uint64 // words(name)
	n    int    // its length; -1 for none
	text string // compared in full when longer than 16 bytes, which a and b do not hold whole
}

// maxKeys bounds a list's length: a table with a slot of its own for every name takes about the
// square of the list's length in slots (128 KiB for 1,024 names); a mapping names a few hundred.
const maxKeys = 1024

// NewKeys makes the Keys of a list of distinct names; a key's Slot is its index in the list. It
// panics on a repeated name or a list longer than 1,024: the list is the program's own.
func NewKeys(list ...string) *Keys {
	if len(list) > maxKeys {
		panic(fmt.Sprintf("record.NewKeys: %d names, more than %d", len(list), maxKeys))
	}
	names := []name{{n: -1}}
	seen := make(map[string]bool, len(list))
	longest := 0
	for _, text := range list {
		if seen[text] {
			panic(fmt.Sprintf("record.NewKeys: %q is named twice", text))
		}
		seen[text] = true
		a, b := words([]byte(text))
		names = append(names, name{a: a, b: b, n: len(text), text: text})
		longest = max(longest, len(text))
	}
	// Tries of multipliers for a table 8 times the list, then for one twice as large, and so on
	// until one leads every name to a slot of its own.
	for tableBits := bits.Len(uint(8 * len(list))); ; tableBits++ {
		k := &Keys{names: names, slots: make([]uint16, 1<<tableBits), shift: uint(64 - tableBits),
			longest: longest}
		seed := uint64(tableBits)
		for range 256 {
			seed += 0x9e3779b97f4a7c15
			k.mul = splitmix(seed) | 1
			if k.place() {
				return k
			}
		}
	}
}

// place puts every name in the slot the hash leads it to; false when two names meet.
func (k *Keys) place() bool {
	clear(k.slots)
	for i := 1; i < len(k.names); i++ {
		nm := &k.names[i]
		h := &k.slots[k.slot([]byte(nm.text), nm.a, nm.b)]
		if *h != 0 {
			return false
		}
		*h = uint16(i)
	}
	return true
}

// Index is the index of key in the list, NoSlot when it is not there (or k is nil).
func (k *Keys) Index(key []byte) int {
	if k == nil || len(key) > k.longest {
		return NoSlot
	}
	a, b := words(key) // read once: for the hash and for the compare
	i := k.slots[k.slot(key, a, b)]
	nm := &k.names[i]
	if nm.a != a || nm.b != b || nm.n != len(key) || len(key) > 16 && nm.text != string(key) {
		return NoSlot
	}
	return int(i) - 1
}

// keyMemo remembers the slot of the key at each place of the last map read, by the bytes the map holds
// it in: the records of one source repeat their keys in one order, and a key met at its place again
// is told by two compares of words read from the map, without the hash and the two loads from the
// tables after it.
type keyMemo struct {
	keys *Keys // the Keys the slots are of; a memo of other keys is emptied first (use)
	at   [64]memoEntry
}

type memoEntry struct {
	a, b uint64 // keyWords of the key; 0 for a place not met yet (no fixstr's type byte is 0)
	slot int
}

// use readies the memo for a map read with k.
func (m *keyMemo) use(k *Keys) {
	if m.keys != k {
		*m = keyMemo{keys: k}
	}
}

// remembered is the slot of the fixstr key at the start of b (its type byte, then the key up to
// at; first is b's first 8 bytes) when it is the key remembered at place i of a map; else ok is
// false, and learn tells it. An entry's words hold its key whole, so that its slot is right wherever
// the key is met: past the last place, the places wrap.
func (m *keyMemo) remembered(i int, first uint64, b []byte, at int) (slot int, ok bool) {
	a, w := keyWords(first, b, at)
	e := &m.at[uint(i)%uint(len(m.at))]
	return e.slot, e.a == a && e.b == w
}

// learn is m.keys.Index of the fixstr key at the start of b that remembered did not tell, which it
// remembers at its place when its words hold it whole.
func (m *keyMemo) learn(i int, b []byte, at int) int {
	slot := m.keys.Index(b[1:at])
	if len(b) >= 8 && i < len(m.at) {
		if a, w := keyWords(binary.LittleEndian.Uint64(b), b, at); a != notWhole {
			m.at[i] = memoEntry{a: a, b: w, slot: slot}
		}
	}
	return slot
}

// index is m.keys.Index of the fixstr key at the start of b, at place i of a map, told by the memo
// when it can be, as usualFields tells it.
func (m *keyMemo) index(i int, b []byte, at int) int {
	if len(b) < 8 {
		return m.keys.Index(b[1:at])
	}
	if slot, ok := m.remembered(i, binary.LittleEndian.Uint64(b), b, at); ok {
		return slot
	}
	return m.learn(i, b, at)
}

// lowBytes[n] keeps the n low bytes of a word.
var lowBytes = [8]uint64{0, 1<<8 - 1, 1<<16 - 1, 1<<24 - 1, 1<<32 - 1, 1<<40 - 1, 1<<48 - 1, 1<<56 - 1}

// notWhole is the words of a key they do not hold whole: no fixstr's, whose type byte is never 0xff.
const notWhole = ^uint64(0)

// keyWords holds the first at bytes of b, a fixstr key with its type byte (which tells its length),
// in two words: its first and last 8 bytes (overlapping), or for a shorter key its bytes in a;
// first is b's first 8 bytes. a is notWhole for a key of more than 15 bytes.
func keyWords(first uint64, b []byte, at int) (a, w uint64) {
	switch {
	case at < 8:
		return first & lowBytes[at], 0
	case at <= 16:
		return first, binary.LittleEndian.Uint64(b[at-8:])
	}
	return notWhole, 0
}

// words holds a key of up to 16 bytes whole, given its length: its first and last 8 bytes
// (overlapping), or for a shorter key its bytes in a.
func words(key []byte) (a, b uint64) {
	switch n := len(key); {
	case n >= 8:
		return binary.LittleEndian.Uint64(key), binary.LittleEndian.Uint64(key[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(key)) | uint64(binary.LittleEndian.Uint32(key[n-4:]))<<32, 0
	case n > 0:
		return uint64(key[0]) | uint64(key[n/2])<<8 | uint64(key[n-1])<<16, 0
	}
	return 0, 0
}

// slot is the index of key's slot: its length and words a and b (and, past 16 bytes, the words
// between) mixed by multiplications by the odd mul, the top bits kept.
func (k *Keys) slot(key []byte, a, b uint64) uint64 {
	h := (a ^ uint64(len(key))) * k.mul
	if len(key) > 16 {
		h = k.middle(h, key[8:len(key)-8])
	}
	return (h ^ h>>29 ^ b) * k.mul >> k.shift
}

// middle mixes the bytes of a long key between its first and last 8.
func (k *Keys) middle(h uint64, mid []byte) uint64 {
	for len(mid) > 0 {
		w, _ := words(mid[:min(8, len(mid))])
		h = (h ^ h>>29 ^ w) * k.mul
		mid = mid[min(8, len(mid)):]
	}
	return h
}

// splitmix is SplitMix64's finaliser: seeds in a row give unrelated multipliers.
func splitmix(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// slotSet is a set of the slots of a Keys: those the keys of a record's fields hold, so that looking
// for a key a record does not have costs a bit test, not a walk over its fields.
type slotSet struct {
	words [maxKeys / 64]uint64
	used  int // the words a slot of the Keys read with can set: the only ones to clear
}

// reset empties the set, for fields read with k.
func (s *slotSet) reset(k *Keys) {
	clear(s.words[:s.used])
	s.used = 0
	if k != nil {
		s.used = (len(k.names) - 1 + 63) / 64
	}
}

func (s *slotSet) add(slot int) {
	if slot >= 0 {
		s.words[uint(slot)/64%uint(len(s.words))] |= 1 << (uint(slot) % 64)
	}
}

// meets reports a slot that both s and o hold; o is of the same Keys.
func (s *slotSet) meets(o *slotSet) bool {
	for i := range s.used {
		if s.words[i]&o.words[i] != 0 {
			return true
		}
	}
	return false
}

// hasAny reports a slot from first to last in the set; first is not negative.
func (s *slotSet) hasAny(first, last int) bool {
	last = min(last, len(s.words)*64-1)
	for w := first / 64; w <= last/64 && first <= last; w++ {
		lo, hi := max(first-w*64, 0), min(last-w*64, 63) // the bits of word w in the range
		if s.words[w]&(^uint64(0)>>(63-hi+lo)<<lo) != 0 {
			return true
		}
	}
	return false
}
