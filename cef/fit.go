package cef

import "unicode/utf8"

// AppendFit appends the message like Append, shortened to at most max bytes when it is longer: the
// longest string values are cut first, each on a character boundary before escaping, so no escape
// and no UTF-8 character is ever split. It reports whether values were shortened, and ok false
// (with nothing appended) when the message cannot fit even with every string value cut away.
func (e *Encoder) AppendFit(dst []byte, ev *Event, size int) (out []byte, shortened, ok bool) {
	start := len(dst)
	dst = e.Append(dst, ev)
	if len(dst)-start <= size {
		return dst, false, true
	}
	defer func() { ev.limits = [NumKeys]int{} }()
	var scratch []byte
	for len(dst)-start > size {
		excess := len(dst) - start - size
		// The longest value, and how long the next longest is: cut the longest down towards it,
		// so the longest values are shortened first and evenly.
		longest, second := Key(NumKeys), 0
		longestLen := 0
		for k := Key(0); k < NumKeys; k++ {
			v := &ev.Values[k]
			if v.Kind != KindString || !ev.Sends(k) {
				continue
			}
			scratch = appendValue(scratch[:0], v.Bytes, ev.limit(k))
			switch n := len(scratch); {
			case n > longestLen:
				second, longest, longestLen = longestLen, k, n
			case n > second:
				second = n
			}
		}
		if longest == NumKeys {
			return dst[:start], true, false
		}
		target := max(longestLen-excess, second-1, 0)
		// Bytes to characters, at the value's own ratio; at least one character less each round.
		chars := utf8.RuneCount(trimCut(ev.Values[longest].Bytes, ev.limit(longest)))
		newChars := min(chars*target/longestLen, chars-1)
		if newChars <= 0 {
			newChars = -1 // cut away: the key is left out
		}
		ev.limits[longest] = newChars
		dst = e.Append(dst[:start], ev)
	}
	return dst, true, true
}
