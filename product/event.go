package product

import (
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
)

// Key is one CEF extension key. The constants are in the order the encoder writes them: the key table
// of docs/events.md §5, with the IPv6 keys after their IPv4 twins, outcome after cs7 (as in the
// product's example, docs/events.md), the
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
}

var keyDefs = [NumKeys]keyDef{
	KeySource:          {"source", ""},
	KeySrc:             {"src", ""},
	KeyC6a2:            {"c6a2", "Source IPv6 address"},
	KeyReason:          {"reason", ""},
	KeyFname:           {"fname", ""},
	KeySuser:           {"suser", ""},
	KeyDpid:            {"dpid", ""},
	KeySpid:            {"spid", ""},
	KeyFlexString1:     {"flexString1", "EGID"},
	KeyFlexString2:     {"flexString2", "Container ID"},
	KeyRequest:         {"request", ""},
	KeyFileHash:        {"fileHash", ""},
	KeyAct:             {"act", ""},
	KeySpt:             {"spt", ""},
	KeyDst:             {"dst", ""},
	KeyC6a3:            {"c6a3", "Destination IPv6 address"},
	KeyDpt:             {"dpt", ""},
	KeyDproc:           {"dproc", ""},
	KeyDuid:            {"duid", ""},
	KeyFilePermission:  {"filePermission", ""},
	KeyOldFilePath:     {"oldFilePath", ""},
	KeyFilePath:        {"filePath", ""},
	KeyDeviceDirection: {"deviceDirection", ""},
	KeyCn1:             {"cn1", "New PID"},
	KeyCs1:             {"cs1", "Cluster name"},
	KeyCs2:             {"cs2", "Node name"},
	KeyCs3:             {"cs3", "Namespace"},
	KeyCs4:             {"cs4", "Command"},
	KeyCs5:             {"cs5", "Pod name"},
	KeyCs6:             {"cs6", "Container name"},
	KeyCs7:             {"cs7", "Node IP"},
	KeyOutcome:         {"outcome", ""},
	KeyCnt:             {"cnt", ""},
	KeyStart:           {"start", ""},
	KeyEnd:             {"end", ""},
	KeyMsg:             {"msg", ""},
}

// Name is the key as written in the extension.
func (k Key) Name() string { return keyDefs[k].name }

// Label is the key's label, or "" when it has none.
func (k Key) Label() string { return keyDefs[k].label }

// Max is the longest value of the key, in characters before escaping: the wire's rule
// (cef.KeyLimit).
func (k Key) Max() int { return keyMax[k] }

// keyMax holds Max for each key: looked up once, not per event.
var keyMax = func() (m [NumKeys]int) {
	for k := range m {
		m[k], _ = cef.KeyLimit(keyDefs[k].name) // every key has one: TestKeyLimits
	}
	return m
}()

// IsAddress tells the keys that hold an IP address, which a cut would turn into another address or
// none: shortening keeps them whole, like numbers. cs7, the Node IP, is one though its type is text.
func (k Key) IsAddress() bool { return addressKeys.has(k) }

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

// The "sent with" column of docs/events.md §5.
var (
	allTypesKeys   = setOf(KeySource, KeySrc, KeyC6a2, KeyOutcome, KeyMsg)
	nonRuntimeKeys = allTypesKeys | setOf(KeySuser, KeyReason)
	runtimeKeys    = allTypesKeys | setOf(KeyDpid, KeySpid, KeyFlexString1, KeyFlexString2, KeyRequest,
		KeyFileHash, KeyAct, KeySpt, KeyDst, KeyC6a3, KeyDpt, KeyDproc, KeyDuid, KeyFilePermission,
		KeyOldFilePath, KeyFilePath, KeyDeviceDirection, KeyCn1, KeyCs1, KeyCs2, KeyCs3, KeyCs4, KeyCs5,
		KeyCs6, KeyCs7) | countKeys
	// countKeys are set by aggregation and the rate ceiling's summary, never from a record.
	countKeys   = setOf(KeyCnt, KeyStart, KeyEnd)
	everyKey    = keySet(1<<NumKeys - 1)
	addressKeys = setOf(KeySrc, KeyC6a2, KeyDst, KeyC6a3, KeyCs7)
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
	Values     [NumKeys]record.Value
}

// Reset empties the event for reuse; its type is unknown until the mapping finds one.
func (e *Event) Reset() { *e = Event{Type: UnknownType} }

// Sends reports whether the key is written for this event's type (docs/events.md §5, "sent with"): reason
// only with an error status.
func (e *Event) Sends(k Key) bool { return e.sent().has(k) }

// sent is the set of keys Sends reports.
func (e *Event) sent() keySet {
	s := e.Type.sends()
	if e.Type != UnknownType && e.Outcome != OutcomeError {
		s &^= setOf(KeyReason)
	}
	return s
}
