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
	if e.format == NoSyslog {
		return appendEvent(append(dst, e.prefix...), ev, c)
	}
	dst = append(dst, e.pri[SyslogSeverity(ev.Severity)]...)
	dst = e.stamp.append(dst, ev.Time)
	dst = append(dst, e.afterStamp...)
	if e.format == RFC5424 {
		dst = appendMsgID(dst, ev.ClassID, c.classIDMax())
		dst = append(dst, e.afterMsgID...)
	}
	return appendEvent(dst, ev, c)
}

// appendMsgID writes the class ID, as cut to max characters, as the RFC 5424 MSGID (at most 32
// printable characters), or "-".
func appendMsgID(dst, classID []byte, max int) []byte {
	start := len(dst)
	dst = appendClassID(dst, classID, max)
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
	dst = strconv.AppendInt(dst, int64(ev.Severity), 10)
	dst = append(dst, '|')
	// Every pair is written with the space before it, the first one's over the '|', put back after.
	bar := len(dst) - 1
	dst = dst[:bar]
	for i := range ev.Ext {
		f := &ev.Ext[i]
		if len(f.Value) == 0 && f.Kind != Whole {
			continue // an empty value is left out with its key
		}
		mark := len(dst)
		if f.keyLen != 0 {
			// One 16-byte store of the key's text; the bytes past it are spare room, written over next.
			dst = slices.Grow(dst, len(f.keyText))
			*(*[len(f.keyText)]byte)(dst[len(dst) : len(dst)+len(f.keyText)]) = f.keyText
			dst = dst[:len(dst)+int(f.keyLen)]
		} else {
			dst = f.appendKey(dst)
		}
		valueStart := len(dst)
		if dst = appendValue(dst, f, c.value(i)); len(dst) == valueStart {
			dst = dst[:mark] // so is a value that trimming or a cut empties
			continue
		}
		if f.labelLen != 0 {
			// One 32-byte store, as for the key.
			dst = slices.Grow(dst, len(f.labelText))
			*(*[len(f.labelText)]byte)(dst[len(dst) : len(dst)+len(f.labelText)]) = f.labelText
			dst = dst[:len(dst)+int(f.labelLen)]
		} else {
			dst = f.appendLabel(dst)
		}
	}
	dst = dst[:max(len(dst), bar+1)]
	dst[bar] = '|'
	return dst
}

// appendKey writes " Key=".
func (f *Field) appendKey(dst []byte) []byte {
	if f.joined != "" {
		return append(dst, f.joined[:len(f.Key)+2]...)
	}
	return append(append(append(dst, ' '), f.Key...), '=')
}

// appendLabel writes " KeyLabel=Label", or nothing for a field without a label.
func (f *Field) appendLabel(dst []byte) []byte {
	switch {
	case f.Label == "":
	case f.joined != "":
		return append(dst, f.joined[len(f.Key)+2:]...)
	default:
		return append(append(append(append(dst, ' '), f.Key...), "Label="...), f.Label...)
	}
	return dst
}

// pairOverhead is how many bytes AppendCEF writes for field f besides its value: the separator, the
// key and '=', and the label pair.
func pairOverhead(f *Field) int {
	n := len(" ") + len(f.Key) + len("=")
	if f.Label != "" {
		n += len(" ") + len(f.Key) + len("Label=") + len(f.Label)
	}
	return n
}

// appendValue writes a field's value: a number as it is (a Whole one in decimal); text keeps at most
// its Max characters, or what keptStart keeps of it.
func appendValue(dst []byte, f *Field, cut int) []byte {
	switch f.Kind {
	case Number:
		return append(dst, f.Value...)
	case Whole:
		return appendWhole(dst, f)
	}
	if cut == 0 && whole(f.Value, f.Max) {
		if out, ok := valueEscaping.appendPlain(dst, f.Value); ok {
			return out // the usual value
		}
	}
	return appendEscaped(dst, keptStart(f.Value, f.Max, cut), valueEscaping)
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
// its Max): two fields that append the same bytes send the same value.
func AppendValue(dst []byte, f *Field) []byte { return appendValue(dst, f, 0) }

// AppendClassID appends a Class ID as the header carries it when nothing is shortened.
func AppendClassID(dst, classID []byte) []byte {
	return appendClassID(dst, classID, classIDMax)
}
