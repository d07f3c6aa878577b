package cef

import (
	"bytes"
	"math"
	"time"
)

// Key is one CEF extension key. The constants are in the order the encoder writes them: the contract's
// key table, with the IPv6 keys after their IPv4 twins, outcome after cs7 (as in the seed example), the
// keys of an aggregated or summary event (cnt, start, end) after it, and msg last.
type Key uint8

const (
	KeySource Key = iota
	KeySrc
	KeyC6a2
	KeyReason
	KeyFname
	KeySuser
	KeyDpid
	KeySpid
	KeyFlexString1
	KeyFlexString2
	KeyRequest
	KeyFileHash
	KeyAct
	KeySpt
	KeyDst
	KeyC6a3
	KeyDpt
	KeyDproc
	KeyDuid
	KeyFilePermission
	KeyOldFilePath
	KeyFilePath
	KeyDeviceDirection
	KeyCn1
	KeyCs1
	KeyCs2
	KeyCs3
	KeyCs4
	KeyCs5
	KeyCs6
	KeyCs7
	KeyOutcome
	KeyCnt   // baseEventCount: how many events this one stands for
	KeyStart // startTime: the first of them, milliseconds since the epoch
	KeyEnd   // endTime: the last of them, milliseconds since the epoch
	KeyMsg
	NumKeys
)

type keyDef struct {
	name  string
	label string // "" when the key has no label
	max   int    // maximum length in characters of the unescaped value (cef-rules.md)
}

var keyDefs = [NumKeys]keyDef{
	KeySource:          {"source", "", 1023},
	KeySrc:             {"src", "", 15},
	KeyC6a2:            {"c6a2", "Source IPv6 address", 1023},
	KeyReason:          {"reason", "", 1023},
	KeyFname:           {"fname", "", 1023},
	KeySuser:           {"suser", "", 1023},
	KeyDpid:            {"dpid", "", 1023},
	KeySpid:            {"spid", "", 1023},
	KeyFlexString1:     {"flexString1", "EGID", 1023},
	KeyFlexString2:     {"flexString2", "Container ID", 1023},
	KeyRequest:         {"request", "", 1023},
	KeyFileHash:        {"fileHash", "", 255},
	KeyAct:             {"act", "", 63},
	KeySpt:             {"spt", "", 1023},
	KeyDst:             {"dst", "", 15},
	KeyC6a3:            {"c6a3", "Destination IPv6 address", 1023},
	KeyDpt:             {"dpt", "", 1023},
	KeyDproc:           {"dproc", "", 1023},
	KeyDuid:            {"duid", "", 1023},
	KeyFilePermission:  {"filePermission", "", 1023},
	KeyOldFilePath:     {"oldFilePath", "", 1023},
	KeyFilePath:        {"filePath", "", 1023},
	KeyDeviceDirection: {"deviceDirection", "", 1},
	KeyCn1:             {"cn1", "New PID", 1023},
	KeyCs1:             {"cs1", "Cluster name", 4000},
	KeyCs2:             {"cs2", "Node name", 4000},
	KeyCs3:             {"cs3", "Namespace", 4000},
	KeyCs4:             {"cs4", "Command", 4000},
	KeyCs5:             {"cs5", "Pod name", 4000},
	KeyCs6:             {"cs6", "Container name", 4000},
	KeyCs7:             {"cs7", "Node IP", 4000},
	KeyOutcome:         {"outcome", "", 63},
	KeyCnt:             {"cnt", "", 1023},
	KeyStart:           {"start", "", 1023},
	KeyEnd:             {"end", "", 1023},
	KeyMsg:             {"msg", "", 1023},
}

// Name is the key as written in the extension.
func (k Key) Name() string { return keyDefs[k].name }

// newOwnerLabel replaces cs4's label when a file event's cs4 carries the new owner.
const newOwnerLabel = "New owner"

type keySet uint64

func setOf(keys ...Key) keySet {
	var s keySet
	for _, k := range keys {
		s |= 1 << k
	}
	return s
}

func (s keySet) has(k Key) bool { return s&(1<<k) != 0 }

// The "sent with" column of contract §5.
var (
	allTypesKeys   = setOf(KeySource, KeySrc, KeyC6a2, KeyOutcome, KeyMsg)
	nonRuntimeKeys = allTypesKeys | setOf(KeySuser, KeyReason)
	runtimeKeys    = allTypesKeys | setOf(KeyDpid, KeySpid, KeyFlexString1, KeyFlexString2, KeyRequest,
		KeyFileHash, KeyAct, KeySpt, KeyDst, KeyC6a3, KeyDpt, KeyDproc, KeyDuid, KeyFilePermission,
		KeyOldFilePath, KeyFilePath, KeyDeviceDirection, KeyCn1, KeyCs1, KeyCs2, KeyCs3, KeyCs4, KeyCs5,
		KeyCs6, KeyCs7) | countKeys
	// countKeys are set by aggregation and the rate ceiling's summary, never from a record.
	countKeys = setOf(KeyCnt, KeyStart, KeyEnd)
	everyKey  = keySet(1<<NumKeys - 1)
	// addressKeys hold an IP address, which a cut would turn into another address or none: shortening
	// keeps them whole, like numbers.
	addressKeys = setOf(KeySrc, KeyC6a2, KeyDst, KeyC6a3)
)

// sends is the set of keys an event of this type carries.
func (t *Type) sends() keySet {
	switch {
	case t == UnknownType:
		return everyKey
	case t == RateCeilingType:
		return countKeys | setOf(KeyMsg)
	case t.Runtime:
		return runtimeKeys
	case t.sendsFname:
		return nonRuntimeKeys | setOf(KeyFname)
	}
	return nonRuntimeKeys
}

// Kind tells which member of a Value holds it.
type Kind uint8

const (
	KindNone Kind = iota
	KindString
	KindInt
	KindUint
	KindFloat
	KindBool
)

// Value is one record value. Bytes refers to memory owned by the caller (the chunk being flushed):
// nothing is copied between decoding and encoding.
type Value struct {
	Kind  Kind
	Bytes []byte
	Int   int64 // KindInt; KindBool as 0 or 1
	Uint  uint64
	Float float64
}

// String and Int build values; tests and the mapping use them.
func String(b []byte) Value { return Value{Kind: KindString, Bytes: b} }
func Int(i int64) Value     { return Value{Kind: KindInt, Int: i} }

// IsZero reports a value that is absent.
func (v Value) IsZero() bool { return v.Kind == KindNone }

// AsInt reads a value as a whole number: an integer, an integral float or a decimal string.
func (v Value) AsInt() (int64, bool) {
	switch v.Kind {
	case KindInt:
		return v.Int, true
	case KindUint:
		return int64(v.Uint), v.Uint <= math.MaxInt64
	case KindFloat:
		return int64(v.Float), v.Float == math.Trunc(v.Float) && math.Abs(v.Float) < 1<<53
	case KindString:
		return parseInt(bytes.TrimSpace(v.Bytes))
	}
	return 0, false
}

// parseInt reads a decimal integer without the allocation strconv would make for a []byte.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg || len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 { // 18 digits always fit in an int64
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Event is one mapped CEF event, ready for filtering and encoding.
type Event struct {
	Time     time.Time
	ClassID  []byte
	Name     []byte // the record's own event_name; nil takes the type's
	Type     *Type
	Severity int
	Outcome  Outcome
	// Category and AgentGroup are for filtering only.
	Category   []byte
	AgentGroup []byte
	// Cs4IsOwner: cs4 carries a file event's new owner, labelled "New owner".
	Cs4IsOwner bool
	Values     [NumKeys]Value
	// cuts shorten string values to fit a message size (see keptStart): 0 keeps a value to its key's
	// limit. nameCut does the same for the Name, and classIDLimit keeps the Class ID to so many
	// characters (0: its own limit).
	cuts                  [NumKeys]int
	nameCut, classIDLimit int
}

// clearCuts gives every field its own limit again.
func (e *Event) clearCuts() {
	e.cuts = [NumKeys]int{}
	e.nameCut, e.classIDLimit = 0, 0
}

// Reset empties the event for reuse; its type is unknown until the mapping finds one.
func (e *Event) Reset() { *e = Event{Type: UnknownType} }

// Sends reports whether the key is written for this event's type (contract §5, "sent with"): reason
// only with an error status.
func (e *Event) Sends(k Key) bool {
	if k == KeyReason && e.Type != UnknownType && e.Outcome != OutcomeError {
		return false
	}
	return e.Type.sends().has(k)
}
