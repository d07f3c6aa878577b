package cef

import "time"

// Event is one event as the wire carries it: the header fields the event fixes and its extension
// pairs in the order written. Whoever fills it (product.Event.Wire) decides which keys an event
// sends, their labels and their limits; cef only writes, escapes, cuts and fits.
type Event struct {
	Time time.Time
	// ClassID is written UNKNOWN in the CEF header, and "-" as the RFC 5424 MSGID, when empty.
	ClassID []byte
	Name    []byte
	// DefaultName is written, as it is, when Name is blank: CEF's Name is never empty.
	DefaultName string
	Severity    int
	// Ext are the pairs written, in order; an empty value is left out with its key.
	Ext []Field
	// TextLen, when not 0, is the length of the Text and Address values (as product.Event.Wire
	// sets it): AppendFit then takes it rather than adding them up. Keep it true when a value of Ext
	// changes: AppendFit tries the message whole first when it says the text fits, which is what
	// bounds that try's cost; one too small lets a large event be encoded whole before it is
	// shortened (the line is the same, the work is not).
	TextLen int
}

// Key is an extension key as every event writes it: its name, its label, the characters its Text
// and Address values keep, and the texts written around a value, ready to copy. NewKey makes one,
// once; the fields of every event then point to it, and nothing changes it.
type Key struct {
	name string
	max  int
	// pair is " name=" then, for a label, " nameLabel=label".
	pair string
	// keyText is pair's " name=" in its first keyLen bytes, and labelText its label pair in its
	// first labelLen bytes (0: no label): each written as one store, without
	// memmove's call, when they are that short (every key the product writes but one; every label
	// but one). shortMax is then max, and 0 when not, which no value is written with.
	keyText          [16]byte
	labelText        [32]byte
	keyLen, labelLen int
	shortMax         int
}

// NewKey is the key name, with its label ("" for none), and the characters its Text and Address
// values keep (and the digits of a Whole one).
func NewKey(name, label string, max int) *Key {
	k := &Key{name: name, max: max, pair: " " + name + "="}
	k.keyLen = len(k.pair)
	if label != "" {
		k.pair += " " + name + "Label=" + label
	}
	labelPair := k.pair[k.keyLen:]
	k.labelLen = len(labelPair)
	if k.keyLen <= len(k.keyText) && k.labelLen <= len(k.labelText) {
		k.shortMax = max
		copy(k.keyText[:], k.pair[:k.keyLen])
		copy(k.labelText[:], labelPair)
	}
	return k
}

// Name is the key's name.
func (k *Key) Name() string { return k.name }

// Max is the characters a Text or Address value of the key keeps, and the digits of a Whole number.
func (k *Key) Max() int { return k.max }

// Field is one extension pair: its key and the event's value.
type Field struct {
	Key   *Key   // never nil
	Value []byte // unescaped; not read for a Whole number
	Num   uint64 // a Whole number
	Kind  Kind
}

// Kind tells how a value is written and shortened.
type Kind uint8

const (
	// Text is trimmed, cut to its key's Max characters, escaped, and cut evenly with the others to
	// fit a message size.
	Text Kind = iota
	// Address is an IP address: written as Text, but never cut to fit a message size (a cut address
	// is another address): whole, or left out when longer than any address.
	Address
	// Number is a number's decimal text, written as it is and never cut.
	Number
	// Whole is a whole number that is not negative, held in Num rather than Value, and written in
	// decimal (AppendDecimal) as a Number is: never cut, and left out when it has more digits than
	// its key's Max.
	Whole
)

// keyLimits are the extension keys' limits in characters of the unescaped value: the table
// "Maximum lengths" of docs/cef-and-syslog.md, for the keys the project writes and their labels.
var keyLimits = map[string]int{
	"source": 1023, "src": 15, "c6a2": 1023, "reason": 1023, "fname": 1023, "suser": 1023,
	"dpid": 1023, "spid": 1023, "flexString1": 1023, "flexString2": 1023, "request": 1023,
	"fileHash": 255, "act": 63, "spt": 1023, "dst": 15, "c6a3": 1023, "dpt": 1023, "dproc": 1023,
	"duid": 1023, "filePermission": 1023, "oldFilePath": 1023, "filePath": 1023, "deviceDirection": 1,
	"cn1": 1023, "cs1": 4000, "cs2": 4000, "cs3": 4000, "cs4": 4000, "cs5": 4000, "cs6": 4000,
	"cs7": 4000, "outcome": 63, "cnt": 1023, "start": 1023, "end": 1023, "msg": 1023,
	"c6a2Label": 1023, "c6a3Label": 1023, "flexString1Label": 128, "flexString2Label": 128,
	"cn1Label": 1023, "cs1Label": 1023, "cs2Label": 1023, "cs3Label": 1023, "cs4Label": 1023,
	"cs5Label": 1023, "cs6Label": 1023, "cs7Label": 1023,
}

// KeyLimit is a key's limit in characters, and false for a key the table does not know.
func KeyLimit(key string) (int, bool) {
	max, ok := keyLimits[key]
	return max, ok
}
