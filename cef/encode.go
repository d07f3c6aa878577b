// Package cef is the wire format (docs/cef-and-syslog.md): it writes an Event (event.go) as a CEF
// message in an RFC 3164 or RFC 5424 syslog header or alone, escaping each field and cutting it to its
// limit, fits a message to a size (fit.go), and reads lines back with a strict decoder (decode.go) that
// rejects what the strictest SIEM parsers reject. It imports nothing of the project: which keys an
// event sends, with which labels, is the product model's (product.Event.Wire fills an Event).
package cef

import (
	"slices"
	"strconv"
	"time"
)

// SyslogFormat is the header written in front of the CEF message.
type SyslogFormat uint8

// The syslog formats.
const (
	RFC3164  SyslogFormat = iota // <PRI>Mmm dd hh:mm:ss host CEF:...
	RFC5424                      // <PRI>1 2026-02-18T10:07:28.000Z host siem_cef - PM-002 - CEF:...
	NoSyslog                     // CEF:... alone
)

// Header is the part of every message that the configuration fixes: the encoder's part of an
// integration's configuration.
type Header struct {
	Vendor, Product, Version string // at most MaxVendor, MaxProduct and MaxVersion characters
	Hostname                 string // written in the syslog header
	Facility                 int
	Format                   SyslogFormat
}

// The CEF header fields' limits in characters (docs/cef-and-syslog.md).
const (
	MaxVendor  = 63
	MaxProduct = 63
	MaxVersion = 31
)

// Encoder writes events as CEF messages, in an RFC 3164 or RFC 5424 syslog header or alone. It keeps
// what the configuration fixes written out, the last time stamp, and AppendFit's working space, so
// encoding an event allocates nothing once warm. It is not safe for concurrent use.
type Encoder struct {
	format SyslogFormat
	pri    [8]string // "<PRI>" for each syslog severity, and RFC 5424's version after it
	// afterStamp follows the time stamp: " host CEF:0|Vendor|Product|Version|" (RFC 3164) or
	// " host siem_cef - " (RFC 5424), which afterMsgID, " - CEF:0|Vendor|Product|Version|", ends.
	afterStamp, afterMsgID string
	prefix                 string // "CEF:0|Vendor|Product|Version|"
	stamp                  stampCache
	fit                    fitter
}

// NewEncoder writes out the configured header fields, escaped, once.
func NewEncoder(h Header) *Encoder {
	p := []byte("CEF:0|")
	p = appendHeaderField(p, []byte(h.Vendor), MaxVendor)
	p = append(p, '|')
	p = appendHeaderField(p, []byte(h.Product), MaxProduct)
	p = append(p, '|')
	p = appendHeaderField(p, []byte(h.Version), MaxVersion)
	p = append(p, '|')
	e := &Encoder{format: h.Format, prefix: string(p), stamp: stampCache{rfc5424: h.Format == RFC5424}}
	for sev := range e.pri {
		e.pri[sev] = "<" + strconv.Itoa(h.Facility*8+sev) + ">"
	}
	switch h.Format {
	case RFC3164:
		e.afterStamp = " " + h.Hostname + " " + e.prefix
	case RFC5424:
		for sev := range e.pri {
			e.pri[sev] += "1 "
		}
		e.afterStamp = " " + h.Hostname + " " + appName + " - "
		e.afterMsgID = " - " + e.prefix
	}
	return e
}

const unknownClassID = "UNKNOWN"

// The header fields' limits in characters (docs/cef-and-syslog.md).
const (
	classIDMax = 1023
	nameMax    = 512
)

// appName is the RFC 5424 APP-NAME of every message.
const appName = "siem_cef"

// cuts shorten an event's values to fit a message size (see keptStart): values[i] is field i's cut,
// 0 (or none) keeps a value to its Max. name does the same for the Name, and classIDLimit keeps the
// Class ID to so many characters (0: its own limit). AppendFit finds them; the event itself is never
// changed.
type cuts struct {
	values             []int
	name, classIDLimit int
}

// value is field i's cut.
func (c *cuts) value(i int) int {
	if i < len(c.values) {
		return c.values[i]
	}
	return 0
}

// noCuts writes every field to its own limit.
var noCuts cuts

// classIDMax is the characters of the Class ID written: its limit, or fewer when AppendFit cut it.
func (c *cuts) classIDMax() int {
	if c.classIDLimit > 0 {
		return c.classIDLimit
	}
	return classIDMax
}

// Append appends one message, without any framing, to dst.
func (e *Encoder) Append(dst []byte, ev *Event) []byte {
	return e.append(dst, ev, &noCuts)
}

func (e *Encoder) append(dst []byte, ev *Event, c *cuts) []byte {
	return appendEvent(e.appendSyslog(dst, ev, c), ev, c)
}

// appendSyslog writes what comes before the Class ID: the syslog header, if any, and the CEF prefix.
func (e *Encoder) appendSyslog(dst []byte, ev *Event, c *cuts) []byte {
	if e.format == NoSyslog {
		return append(dst, e.prefix...)
	}
	dst = append(dst, e.pri[SyslogSeverity(ev.Severity)]...)
	dst = e.stamp.append(dst, ev.Time)
	dst = append(dst, e.afterStamp...)
	if e.format == RFC5424 {
		dst = appendMsgID(dst, ev.ClassID, c.classIDMax())
		dst = append(dst, e.afterMsgID...)
	}
	return dst
}

// Extension writes an event's extension pairs, in order, each with Key's AppendText, AppendWhole or
// AppendNumber: what Event.Ext holds, for a caller that holds the values elsewhere (AppendWith). It
// reports false to give the message up, with what it wrote.
type Extension interface {
	AppendPairs(dst []byte) ([]byte, bool)
}

// AppendWith appends the message of ev's header and x's pairs, which stand in for ev.Ext, as Append
// writes it, when it takes at most size bytes and x does not give it up; it reports false, with
// nothing appended, when not. Its cost is bounded as AppendFit's first try of the message whole is:
// x is to give up once its Text and Address values take more than size bytes. AppendShortened then
// shortens the message.
func (e *Encoder) AppendWith(dst []byte, ev *Event, x Extension, size int) ([]byte, bool) {
	start := len(dst)
	dst, bar := appendHead(e.appendSyslog(dst, ev, &noCuts), ev, &noCuts)
	dst, ok := x.AppendPairs(dst)
	if dst = endExtension(dst, bar); !ok || len(dst)-start > size {
		return dst[:start], false
	}
	return dst, true
}

// appendMsgID writes the class ID, as cut to max characters, as the RFC 5424 MSGID (at most 32
// printable characters, ':' written as '_'), or "-".
func appendMsgID(dst, classID []byte, max int) []byte {
	start := len(dst)
	dst = appendClassID(dst, classID, max)
	// Parsers that take the message from the line's first "CEF:" (Elastic's decode_cef) would start
	// at a record's Class ID "CEF:0|…" in the header.
	for i := start; i < len(dst); i++ {
		if dst[i] == ':' {
			dst[i] = '_'
		}
	}
	switch n := len(dst) - start; {
	case n == 0:
		return append(dst, '-')
	case n > 32:
		return dst[:start+32]
	}
	return dst
}

// AppendCEF appends the CEF part alone: "CEF:0|...|Severity|extension".
func (e *Encoder) AppendCEF(dst []byte, ev *Event) []byte {
	return appendEvent(append(dst, e.prefix...), ev, &noCuts)
}

// appendEvent writes what follows the CEF prefix: "ClassID|Name|Severity|extension".
func appendEvent(dst []byte, ev *Event, c *cuts) []byte {
	dst, bar := appendHead(dst, ev, c)
	for i := range ev.Ext {
		dst = appendPair(dst, &ev.Ext[i], c.value(i))
	}
	return endExtension(dst, bar)
}

// appendHead writes "ClassID|Name|Severity|" and takes its last '|' back, which is bar's place:
// every pair is written with the space before it, the first one's over the '|', which endExtension
// puts back.
func appendHead(dst []byte, ev *Event, c *cuts) (_ []byte, bar int) {
	if len(ev.ClassID) == 0 {
		dst = append(dst, unknownClassID...)
	} else {
		dst = appendClassID(dst, ev.ClassID, c.classIDMax())
	}
	dst = append(dst, '|')
	if name := keptStart(ev.Name, nameMax, c.name); len(name) > 0 {
		dst = appendEscaped(dst, name, headerEscaping)
	} else {
		dst = append(dst, ev.DefaultName...)
	}
	dst = append(dst, '|')
	dst = append(strconv.AppendInt(dst, int64(ev.Severity), 10), '|')
	return dst[:len(dst)-1], len(dst) - 1 // the '|' is kept in dst's capacity
}

// endExtension writes the '|' that ends the header at bar, over the first pair's space if any.
func endExtension(dst []byte, bar int) []byte {
	dst = dst[:max(len(dst), bar+1)]
	dst[bar] = '|'
	return dst
}

// appendPair writes field f's pair with its value as cut (see cuts), through the key's writers when
// the value is not cut.
func appendPair(dst []byte, f *Field, cut int) []byte {
	switch {
	case cut != 0:
		return appendField(dst, f, cut)
	case f.Kind <= Address: // an address that is kept is written as text
		return f.Key.AppendText(dst, f.Value)
	case f.Kind == Whole:
		return f.Key.AppendWhole(dst, f.Num)
	}
	return f.Key.AppendNumber(dst, f.Value)
}

// AppendText appends the pair of the key with the Text or Address value v, as Append writes it when
// nothing is shortened (trimmed, cut to the key's Max, escaped), and the label's pair; nothing when v
// is empty once trimmed.
//
// The usual pair, a short key's with a value kept whole whose every byte is written as it is, is
// written with one grow: the key's and the label's texts are stored whole into the room, each past
// the end of what comes before, and written over by what comes after.
func (k *Key) AppendText(dst, v []byte) []byte {
	if !whole(v, k.shortMax) {
		return k.appendTextField(dst, v)
	}
	n := len(dst)
	if cap(dst)-n < len(k.keyText)+len(v)+len(k.labelText) {
		dst = grow(dst, len(k.keyText)+len(v)+len(k.labelText))
	}
	room := dst[n : n+len(k.keyText)+len(v)+len(k.labelText)]
	*(*[len(k.keyText)]byte)(room) = k.keyText
	if plain := valueEscaping.copyPlain(room[k.keyLen:k.keyLen+len(v)], v); plain < len(v) {
		// the rest escaped from the first byte that is not written as it is, as appendField does
		dst = appendEscaped(dst[:n+k.keyLen+plain], v[plain:], valueEscaping)
		return append(dst, k.pair[k.keyLen:]...)
	}
	n += k.keyLen + len(v)
	if k.labelLen != 0 {
		*(*[len(k.labelText)]byte)(dst[n : n+len(k.labelText)]) = k.labelText
		n += k.labelLen
	}
	return dst[:n]
}

// appendTextField is AppendText for any value: escaped, trimmed and cut.
func (k *Key) appendTextField(dst, v []byte) []byte {
	return appendField(dst, &Field{Key: k, Value: v, Kind: Text}, 0)
}

// AppendWhole is AppendText for a Whole number u: nothing when it has more digits than the key's Max.
// One below 1e8 (a PID, port or ID), of a short key that keeps its eight digits, is written as
// AppendText writes the usual pair, its digits stored as a word.
func (k *Key) AppendWhole(dst []byte, u uint64) []byte {
	if u >= 1e8 || k.shortMax < 8 {
		return appendField(dst, &Field{Key: k, Num: u, Kind: Whole}, 0)
	}
	n := len(dst)
	if cap(dst)-n < len(k.keyText)+8+len(k.labelText) {
		dst = grow(dst, len(k.keyText)+8+len(k.labelText))
	}
	room := dst[:cap(dst)]
	*(*[len(k.keyText)]byte)(room[n : n+len(k.keyText)]) = k.keyText
	n += k.keyLen
	d := eightDigits(u)
	zeros := leadingZeros(d)
	putDigits(room[n:n+8], d>>(8*zeros))
	n += 8 - zeros
	if k.labelLen != 0 {
		*(*[len(k.labelText)]byte)(room[n : n+len(k.labelText)]) = k.labelText
		n += k.labelLen
	}
	return room[:n]
}

// AppendNumber is AppendText for a Number's text, written as it is: nothing when it is empty.
func (k *Key) AppendNumber(dst, text []byte) []byte {
	return appendField(dst, &Field{Key: k, Value: text, Kind: Number}, 0)
}

// grow is slices.Grow, out of line: the pairs' writers call it only when dst is full, and it
// costs them nothing otherwise.
//
//go:noinline
func grow(dst []byte, n int) []byte { return slices.Grow(dst, n) }

// appendField writes field f's pair, its value as cut, and the label's pair; nothing when the value
// is empty, or trimming or the cut empties it (it is left out with its key).
func appendField(dst []byte, f *Field, cut int) []byte {
	if len(f.Value) == 0 && f.Kind != Whole {
		return dst
	}
	mark := len(dst)
	dst = append(dst, f.Key.pair[:f.Key.keyLen]...)
	valueStart := len(dst)
	if dst = appendValue(dst, f, cut); len(dst) == valueStart {
		return dst[:mark]
	}
	return append(dst, f.Key.pair[f.Key.keyLen:]...)
}

// pairOverhead is how many bytes AppendCEF writes for field f besides its value: the separator, the
// key and '=', and the label pair.
func pairOverhead(f *Field) int { return len(f.Key.pair) }

// appendValue writes a field's value: a number as it is (a Whole one in decimal); text keeps at most
// its key's Max characters, or what keptStart keeps of it.
func appendValue(dst []byte, f *Field, cut int) []byte {
	switch f.Kind {
	case Number:
		return append(dst, f.Value...)
	case Whole:
		return appendWhole(dst, f)
	}
	return appendEscaped(dst, keptStart(f.Value, f.Key.max, cut), valueEscaping)
}

// SyslogSeverity is the syslog severity written in PRI for a CEF severity: low is informational,
// medium a warning, high an error, very high critical.
func SyslogSeverity(cefSeverity int) int {
	switch {
	case cefSeverity >= 9:
		return 2
	case cefSeverity >= 7:
		return 3
	case cefSeverity >= 4:
		return 4
	}
	return 6
}

// stampCache keeps the last time stamp written, to the second: a chunk's events mostly share one.
type stampCache struct {
	rfc5424 bool   // "2006-01-02T15:04:05.000Z", else RFC 3164's "Jan  2 15:04:05"
	sec     int64  // the Unix time of text
	text    []byte // the stamp to the second; nil before the first
}

// append writes t's time stamp in UTC.
func (s *stampCache) append(dst []byte, t time.Time) []byte {
	if sec := t.Unix(); sec != s.sec || s.text == nil {
		s.sec = sec
		if s.rfc5424 {
			s.text = t.UTC().AppendFormat(s.text[:0], "2006-01-02T15:04:05")
		} else {
			s.text = appendStamp(s.text[:0], t)
		}
	}
	dst = append(dst, s.text...)
	if !s.rfc5424 {
		return dst
	}
	ms := t.Nanosecond() / 1e6
	return append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

const months = "JanFebMarAprMayJunJulAugSepOctNovDec"

// appendStamp writes the RFC 3164 time stamp "Mmm dd hh:mm:ss" in UTC, the day padded with a space.
func appendStamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	_, month, day := t.Date()
	hour, minute, sec := t.Clock()
	m := int(month-1) * 3
	dst = append(dst, months[m:m+3]...)
	dst = append(dst, ' ')
	if day < 10 {
		dst = append(dst, ' ')
	}
	dst = strconv.AppendInt(dst, int64(day), 10)
	dst = append(dst, ' ')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	return append2(dst, sec)
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// AppendValue appends a field's value as Append writes it when nothing is shortened (escaped, cut to
// its key's Max): two fields that append the same bytes send the same value.
func AppendValue(dst []byte, f *Field) []byte { return appendValue(dst, f, 0) }

// AppendClassID appends a Class ID as the header carries it when nothing is shortened.
func AppendClassID(dst, classID []byte) []byte {
	return appendClassID(dst, classID, classIDMax)
}
