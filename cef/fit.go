package cef

import (
	"bytes"
	"math"
	"unicode/utf8"
)

// AppendFit appends the message like Append, shortened to at most size bytes when it is longer: the
// longest Text values are cut first and evenly, each on a character boundary before escaping, so
// no escape and no UTF-8 character is ever split; when not every value can keep a character, the
// longest are left out with their keys. Numbers and addresses are never cut. When the message does
// not fit even with every text value left out, the Name and Class ID are cut too, the longer first.
// It reports whether anything was shortened, and ok false (with nothing appended) when the message
// cannot fit at all.
//
// Its cost grows with size, not with the event: values are measured only as far as a message of
// size bytes can carry them, the cut level follows from those measures, and the message is encoded
// once more. The text's length is ev.TextLen when it is set (see Event.TextLen).
func (e *Encoder) AppendFit(dst []byte, ev *Event, size int) (out []byte, shortened, ok bool) {
	if start := len(dst); textBytes(ev) <= size {
		// Encoding it whole costs a few times size at most, and it may well fit as it is.
		if dst = e.Append(dst, ev); len(dst)-start <= size {
			return dst, false, true
		}
		dst = dst[:start]
	}
	return e.AppendShortened(dst, ev, size)
}

// AppendShortened is AppendFit without its first try of the message whole: for a caller that made
// that try itself (AppendWith), or knows it to be too long.
func (e *Encoder) AppendShortened(dst []byte, ev *Event, size int) (out []byte, shortened, ok bool) {
	e.fit.reset(len(ev.Ext))
	out, shortened, ok = e.fit.appendFit(e, dst, ev, size)
	clear(e.fit.vals) // they point into the event, which must not outlive the call
	return out, shortened, ok
}

// textBytes is the length of the event's text values (Text and Address), before escaping.
func textBytes(ev *Event) int {
	if ev.TextLen != 0 {
		return ev.TextLen
	}
	n := 0
	for i := range ev.Ext {
		if ev.Ext[i].Kind < Number {
			n += len(ev.Ext[i].Value)
		}
	}
	return n
}

// maxAddressLen is the longest text of an IP address: an IPv6 address with an IPv4 tail.
const maxAddressLen = len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")

// A fitter finds how far each text value of an event can go in a message of a given size, and the
// cuts that follow. The Encoder keeps one for its AppendFit calls, so its slices are reused.
type fitter struct {
	cuts cuts
	vals []fitValue
	n    int // vals[:n] are the event's non-empty text values, in the event's order
	// measured is the width to which the values are measured: each one not done is wider.
	measured int
}

// reset readies the fitter for an event of n fields.
func (f *fitter) reset(n int) {
	if cap(f.vals) < n {
		f.vals, f.cuts.values = make([]fitValue, n), make([]int, n)
	}
	f.vals = f.vals[:n]
	f.cuts = cuts{values: f.cuts.values[:n]}
	clear(f.cuts.values)
	f.n, f.measured = 0, 0
}

// fitValue is one text value and how much of it has been measured.
type fitValue struct {
	field    int    // its index in the event's fields
	v        []byte // the value, blanks at its ends trimmed
	max      int    // its field's limit in characters
	overhead int    // the bytes its key, label and separator take
	// fit is the longest start of v that is at most measured wide; cut the longest one below.
	fit, cut prefix
	done     bool // fit reaches v's end or its Max: fit.width is the whole value's
	// blanksTo is where the run of blanks after the fit, looked at last, ends with a character that
	// is not blank: until the fit reaches it, the value goes on past the blanks.
	blanksTo int
	dropped  bool // left out, with its key
}

func (f *fitter) appendFit(e *Encoder, dst []byte, ev *Event, size int) (out []byte, shortened, ok bool) {
	start := len(dst)
	overheads := f.collect(ev)
	dst = e.append(dst, ev, &f.cuts) // every text value cut away
	fixed := len(dst) - start
	if fixed > size {
		dst, ok = e.appendShortHeader(dst[:start], ev, &f.cuts, size, fixed-size)
		return dst, true, ok
	}
	budget := size - fixed - overheads // for the values' escaped bytes
	if f.n > 0 && e.headerAlone(dst[:start], ev, &f.cuts, fixed) {
		budget++ // no pair is written yet: the first text pair's space is the header's last '|'
	}
	level, whole := f.level(budget)
	if !whole && level < utf8.UTFMax {
		budget = f.dropLongest(budget)
		level, whole = f.level(budget)
		shortened = true
	}
	if whole {
		f.keepWhole() // the keys' own limits made them fit
	} else {
		f.cut(level, budget)
		shortened = true
	}
	return e.append(dst[:start], ev, &f.cuts), shortened, true
}

// headerAlone reports whether the message of ev with every text value cut away (c), fixed bytes
// long, is its header alone: no field but a text value is written. It writes over dst's spare room.
func (e *Encoder) headerAlone(dst []byte, ev *Event, c *cuts, fixed int) bool {
	bare := *ev
	bare.Ext = nil
	return len(e.append(dst, &bare, c))-len(dst) == fixed
}

// collect lists the event's non-empty text values, and cuts them all away for the time being. It
// returns the bytes their keys, labels and separators take.
func (f *fitter) collect(ev *Event) (overheads int) {
	for i := range ev.Ext {
		fd := &ev.Ext[i]
		if fd.Kind >= Number {
			continue
		}
		v := TrimBlanks(fd.Value)
		if fd.Kind == Address && len(v) <= maxAddressLen {
			continue // whole: a cut address is another address or none
		}
		f.cuts.values[i] = -1 // an address longer than any is no address: left out
		if len(v) == 0 || fd.Kind == Address {
			continue
		}
		f.vals[f.n] = fitValue{field: i, v: v, max: fd.Key.max, overhead: pairOverhead(fd)}
		overheads += f.vals[f.n].overhead
		f.n++
	}
	return overheads
}

// level finds the width, in escaped bytes, to which each value wider than it must be cut so that
// the values take at most budget bytes: the largest such width (negative when there is none), or
// whole when every value fits whole. It measures the values step by step, each only as far as the
// budget could carry it, so what it reads stays within the budget (plus a character per value and
// step) however long the values are.
func (f *fitter) level(budget int) (level int, whole bool) {
	for {
		sum, open := f.widthAt(f.measured)
		if sum > budget {
			// Each step leaves the values fitting one byte below it (see below): that is the level.
			return f.measured - 1, false
		}
		if open == 0 {
			return f.measured, true
		}
		// Were every open value wider than the next step, the values would not fit in it, and they
		// fit one byte below it: open values take one byte less each, and done values no more.
		f.measured += (budget-sum)/open + 1
		for i := range f.vals[:f.n] {
			f.vals[i].measure(f.measured)
		}
	}
}

// widthAt is the width of the values cut to level (at most the level measured) and how many of them
// are not yet measured to their end.
func (f *fitter) widthAt(level int) (sum, open int) {
	for i := range f.vals[:f.n] {
		switch v := &f.vals[i]; {
		case v.dropped:
		case v.done:
			sum += min(v.fit.width, level)
		default:
			sum += level
			open++
		}
	}
	return sum, open
}

// measure reads v further, up to level bytes once escaped; level is above every level before.
func (v *fitValue) measure(level int) {
	if v.done || v.dropped {
		return
	}
	v.cut = v.fit.grow(v.v, v.max, level-1, valueEscaping)
	v.fit = v.cut.grow(v.v, v.max, level, valueEscaping) // one character more at most
	v.done = v.fit.n == len(v.v) || v.fit.chars == v.max
	switch {
	case v.done && v.fit.n < len(v.v) && endsBlank(v.v[:v.fit.n]):
		// Cut to its limit on a blank: trimCut trims the blanks the cut leaves at its end.
		v.trimmedAt(v.fit.n, level)
	case !v.done && v.fit.n >= v.blanksTo && !printableASCII(v.v[v.fit.n]) && v.blanksReachMax():
		// Written whole, the value ends where it stands: the blanks after it run to its limit, and
		// trimCut trims what the cut to the limit leaves at its end.
		v.trimmedAt(v.fit.n, level)
	}
}

// trimmedAt makes v the value as written whole, cut at n with the blanks before n trimmed, and
// measures it again to level: it is done.
func (v *fitValue) trimmedAt(n, level int) {
	v.v = bytes.TrimRightFunc(v.v[:n], isBlank)
	v.cut = prefix{}.grow(v.v, v.max, level-1, valueEscaping)
	v.fit = v.cut.grow(v.v, v.max, level, valueEscaping)
	v.done = true
}

// endsBlank reports whether v's last character is blank.
func endsBlank(v []byte) bool {
	r, _ := utf8.DecodeLastRune(v)
	return len(v) > 0 && isBlank(r)
}

// blanksReachMax reports whether v runs on from its fit with blanks alone up to its limit (its
// ends are not blank: a run of blanks inside it ends before its end). A run that stops short is
// remembered (blanksTo), so that each byte of v is looked at once, however many levels measure it.
func (v *fitValue) blanksReachMax() bool {
	i, chars := v.fit.n, v.fit.chars
	for i < len(v.v) && chars < v.max {
		r, size := rune(v.v[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(v.v[i:])
		}
		if !isBlank(r) {
			v.blanksTo = i
			return false
		}
		i, chars = i+size, chars+1
	}
	return chars == v.max
}

// dropLongest leaves out the widest values (the first of equals) until the level is utf8.UTFMax at
// least, so that each value left keeps one character, and returns the budget with their keys' and
// labels' bytes given back.
func (f *fitter) dropLongest(budget int) int {
	if f.measured < utf8.UTFMax {
		f.measured = utf8.UTFMax
		for i := range f.vals[:f.n] {
			f.vals[i].measure(f.measured)
		}
	}
	for {
		if sum, _ := f.widthAt(utf8.UTFMax); sum <= budget {
			return budget // when every value is left out, budget is what the header left: >= 0
		}
		widest := -1
		for i := range f.vals[:f.n] {
			if v := &f.vals[i]; !v.dropped && (widest < 0 || wider(v, &f.vals[widest])) {
				widest = i
			}
		}
		f.vals[widest].dropped = true
		budget += f.vals[widest].overhead
	}
}

// wider: a value not measured to its end is wider than every value that is.
func wider(a, b *fitValue) bool {
	if a.done != b.done {
		return b.done
	}
	return a.done && a.fit.width > b.fit.width
}

// cut cuts each value wider than level, the measured level less one, on a character boundary, so
// that the values take at most budget bytes, and hands the bytes the cuts left over to the cut
// values, one character each, in the event's order.
func (f *fitter) cut(level, budget int) {
	used := 0
	for i := range f.vals[:f.n] {
		switch v := &f.vals[i]; {
		case v.dropped:
		case v.isCut(level):
			used += v.cut.width
		default:
			f.cuts.values[v.field] = 0 // whole
			used += v.fit.width
		}
	}
	for i := range f.vals[:f.n] {
		if v := &f.vals[i]; !v.dropped && v.isCut(level) {
			p := v.cut.grow(v.v, v.cut.chars+1, v.cut.width+budget-used, valueEscaping)
			used += p.width - v.cut.width
			f.cuts.values[v.field] = p.n
		}
	}
}

// keepWhole sends every value that is not left out as its Max leaves it.
func (f *fitter) keepWhole() {
	for _, v := range f.vals[:f.n] {
		if !v.dropped {
			f.cuts.values[v.field] = 0
		}
	}
}

// isCut: the value is wider than level. Its cut then holds one character at least, since level
// is utf8.UTFMax at least.
func (v *fitValue) isCut(level int) bool { return !v.done || v.fit.width > level }

// appendShortHeader appends the message with every text value cut away (as collect left them),
// which is excess bytes longer than size, with the record's Name and Class ID cut, evenly from the
// longer, until it fits; ok is false, with nothing appended, when it cannot.
func (e *Encoder) appendShortHeader(dst []byte, ev *Event, c *cuts, size, excess int) (out []byte, ok bool) {
	start := len(dst)
	// The Name as the message over size carries it: a start of it cut to its limit, the blanks
	// the cut leaves at its end trimmed. Empty: the DefaultName, which is not cut.
	name := trimCut(ev.Name, nameMax)
	nameWidth := prefix{}.grow(name, nameMax, math.MaxInt, headerEscaping).width
	classIDWidth := prefix{}.grow(ev.ClassID, classIDMax, math.MaxInt, valueEscaping).chars // a byte each
	width := func(level int) int {
		n := min(nameWidth, level)
		c := min(classIDWidth, level)
		if e.format == RFC5424 {
			n += min(c, 32) // the MSGID repeats the Class ID
		}
		return n + c
	}
	target := width(math.MaxInt) - excess
	lo, hi := 0, max(nameWidth, classIDWidth) // the level is lo or above, and below hi
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; width(mid) > target {
			hi = mid
		} else {
			lo = mid
		}
	}
	if lo == 0 {
		return dst[:start], false
	}
	if nameWidth > lo {
		// Cut to nothing, the Name would be the DefaultName: it keeps one character at least.
		c.name = max(prefix{}.grow(name, nameMax, lo, headerEscaping).n,
			prefix{}.grow(name, 1, math.MaxInt, headerEscaping).n)
	}
	if classIDWidth > lo {
		c.classIDLimit = lo
	}
	dst = e.append(dst, ev, c)
	if len(dst)-start > size {
		return dst[:start], false
	}
	return dst, true
}
