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
	Ext         []Field
	// TextLen, when not 0, is the length of the Text and Address values (as product.Event.Wire
	// sets it): AppendFit then takes it rather than adding them up. Keep it true when a value of Ext
	// changes: AppendFit tries the message whole first when it says the text fits, which is what
	// bounds that try's cost; one too small lets a large event be encoded whole before it is
	// shortened (the line is the same, the work is not).
	TextLen int
}

// Field is one extension pair. A field made by NewField carries its key's and label's texts joined,
// so that writing them is one copy: its Key and Label are then not to be changed.
type Field struct {
	Key   string
	Label string // written as "KeyLabel=Label" right after the pair; "" for none
	Value []byte // unescaped; not read for a Whole number
	Num   uint64 // a Whole number
	Max   int    // the characters a Text or Address value keeps (KeyLimit)
	Kind  Kind
	// joined is " Key=" and, for a label, " KeyLabel=Label": "" in a field NewField did not make,
	// whose texts are written piece by piece.
	joined string
	// keyText is " Key=" in its first keyLen bytes, when it takes at most 16 (every key but one):
	// written as one 16-byte store, without memmove's call. keyLen is 0 otherwise.
	keyText [16]byte
	keyLen  uint8
	// labelText is " KeyLabel=Label" in its first labelLen bytes, when it takes at most 32 (every
	// label the product writes but one): written as one store. labelLen is 0 otherwise.
	labelText [32]byte
	labelLen  uint8
}

// NewField is a field of key, with its label ("" for none), limit and kind, and no value: a
// template, made once and copied for each event.
func NewField(key, label string, max int, kind Kind) Field {
	joined := " " + key + "="
	if label != "" {
		joined += " " + key + "Label=" + label
	}
	f := Field{Key: key, Label: label, Max: max, Kind: kind, joined: joined}
	if n := len(key) + 2; n <= len(f.keyText) {
		f.keyLen = uint8(copy(f.keyText[:], joined[:n]))
	}
	if pair := joined[len(key)+2:]; pair != "" && len(pair) <= len(f.labelText) {
		f.labelLen = uint8(copy(f.labelText[:], pair))
	}
	return f
}

// Kind tells how a value is written and shortened.
type Kind uint8

const (
	// Text is trimmed, cut to Max characters, escaped, and cut evenly with the others to fit a
	// message size.
	Text Kind = iota
	// Address is an IP address: written as Text, but never cut to fit a message size (a cut address
	// is another address): whole, or left out when longer than any address.
	Address
	// Number is a number's decimal text, written as it is and never cut.
	Number
	// Whole is a whole number that is not negative, held in Num rather than Value, and written in
	// decimal (AppendDecimal) as a Number is: never cut, and left out when it has more digits than
	// Max.
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
