// Package schema maps decoded records onto CEF events.
package schema

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"unsafe"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// kcsNames are every field of docs/events.md §6 under its three spellings (friendly, CEF short key,
// ArcSight full name), and kcsSlots the field of each: the decoder gives each key of a record its
// index in kcsNames (Keys, which holds Detect's fingerprints after them, then recordKeys, then the
// sensors' keys that are none of these).
var (
	kcsNames []string
	kcsSlots []Field
	kcsKeys  *record.Keys
)

// recordKeys are keys of the record as Fluent Bit holds it, after the fingerprints in Keys: the
// kubernetes filter's block, and the keys the decoder finds an embedded event under, so that a
// record without them is told by its slots.
var recordKeys = [...]string{"kubernetes", "log", "event"}

// slotKubernetes is the slot of the kubernetes filter's block in Keys.
var slotKubernetes int

// Keys are the record keys the mapping dispatches on, for the decoder (record.Decoder.WithKeys).
func Keys() *record.Keys { return kcsKeys }

func spell(f Field, names ...string) {
	for _, n := range append([]string{f.Name()}, names...) {
		kcsNames = append(kcsNames, n)
		kcsSlots = append(kcsSlots, f)
	}
}

func init() {
	spell(FieldEventID, "deviceEventClassId")
	spell(FieldEventName, "name")
	spell(FieldSeverity)
	spell(FieldCategory, "cat", "deviceEventCategory")
	spell(FieldAgentGroup)
	spell(FieldSource)
	spell(FieldSrcIP, "src", "sourceAddress", "c6a2", "deviceCustomIPv6Address2")
	spell(FieldReason)
	spell(FieldArtifact, "fname", "fileName")
	spell(FieldUser, "suser", "sourceUserName")
	spell(FieldPID, "dpid", "destinationProcessId")
	spell(FieldPPID, "spid", "sourceProcessId")
	spell(FieldEGID, "flexString1")
	spell(FieldContainerID, "flexString2")
	spell(FieldStatus, "outcome", "eventOutcome")
	spell(FieldImage, "request", "requestUrl")
	spell(FieldImageHash, "fileHash")
	spell(FieldOperation, "act", "deviceAction")
	spell(FieldSrcPort, "spt", "sourcePort")
	spell(FieldDstIP, "dst", "destinationAddress", "c6a3", "deviceCustomIPv6Address3")
	spell(FieldDstPort, "dpt", "destinationPort")
	spell(FieldProcess, "dproc", "destinationProcessName")
	spell(FieldEUID, "duid", "destinationUserId")
	spell(FieldFileMode, "filePermission")
	spell(FieldOldPath, "oldFilePath")
	spell(FieldPath, "filePath")
	spell(FieldDirection, "deviceDirection")
	spell(FieldNewPID, "cn1", "deviceCustomNumber1")
	spell(FieldCluster, "cs1", "deviceCustomString1")
	spell(FieldNode, "cs2", "deviceCustomString2")
	spell(FieldNamespace, "cs3", "deviceCustomString3")
	spell(FieldCommand, "cs4", "deviceCustomString4")
	spell(FieldNewOwner)
	spell(FieldPod, "cs5", "deviceCustomString5")
	spell(FieldContainer, "cs6", "deviceCustomString6")
	spell(FieldNodeIP, "cs7", "deviceCustomString7")
	spell(FieldMessage, "msg")
	names := append(append(kcsNames[:len(kcsNames):len(kcsNames)], fingerprints...), recordKeys[:]...)
	for _, n := range traceeNames {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	kcsKeys = record.NewKeys(names...)
	slotKubernetes = kcsKeys.Index([]byte("kubernetes"))
	traceeBySlot = make([]int8, len(names))
	for i := range traceeBySlot {
		traceeBySlot[i] = -1
	}
	for k, n := range traceeNames {
		traceeBySlot[kcsKeys.Index([]byte(n))] = int8(k)
	}
}

// Problem is a value the mapping could not use; the event is still sent without it.
type Problem struct {
	Field  string
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("field %s: %s", p.Field, p.Reason) }

// kcs maps a record of the KCS-native schema (docs/events.md §6) onto the draft. When a field comes
// under more than one spelling, the first one in the record that the field takes wins: not a nil,
// nor an empty string, which the message would leave out; header fields take strings only;
// elsewhere a map or an array is taken as compact JSON, rendered only for the first spelling of a
// field, so at most 33 values of at most 16 KiB are rendered per record. A record with no message
// that is a plain log line (a `log` or `event` string that is not a JSON event) gets the line as its
// message, so that nothing is lost.
func (m *Mapper) kcs(rec *record.Event, d *draft) {
	body, slotted := rec.Body(), rec.Slotted(kcsKeys)
	for i := range body {
		f := &body[i]
		slot := f.Slot
		if !slotted {
			slot = kcsKeys.Index(f.Key)
		}
		if uint(slot) >= uint(len(kcsSlots)) || d.has(kcsSlots[slot]) { // none, a fingerprint's or a record key's
			continue
		}
		// v points at the value, so that it is copied once, into the draft: a Value copied through
		// a temporary costs a stalled load (its last 16 bytes overlap the 16 before).
		field, v := kcsSlots[slot], &f.Value
		if v.Kind != record.KindString {
			if headerFields&field.bit() != 0 {
				continue // a map or an array too: its JSON text is no string of the record's
			}
			if v.Kind == record.KindNone { // nil, an extension, or a map or an array to render
				if k := f.Raw.Kind(); k != record.NodeMap && k != record.NodeArray {
					continue
				}
				rendered := m.nodeValue(f.Raw)
				v = &rendered
			}
		} else if len(v.Bytes) == 0 {
			continue // no value, as a nil: a later spelling's is taken
		}
		d.putFrom(field, v)
	}
	if d.at(FieldMessage).IsZero() && rec.EmbeddedKey == nil {
		for _, k := range plainLineKeys {
			// a nested line is rendered, as a nested message is
			if v := m.nodeValue(rec.RecordNode(k)); v.Kind == record.KindString {
				d.setBytes(FieldMessage, v.Bytes)
				break
			}
		}
	}
}

// plainLineKeys hold a log line when the record is not an event: tail's `log`, a forward `event`.
var plainLineKeys = [...]string{"log", "event"}

// text is a header-bound value as bytes; numbers are not expected there, and are left out.
func text(v *record.Value) []byte {
	if v.Kind == record.KindString {
		return v.Bytes
	}
	return nil
}

// routeIP puts an address in the IPv4 key, or its IPv6 twin: src and dst take IPv4 only.
func routeIP(ev *product.Event, v *record.Value, v4, v6 product.Key, field string, problems []Problem) []Problem {
	switch {
	case v.Kind == record.KindNone:
		return problems
	case v.Kind == record.KindString && isIPv4(v.Bytes): // the usual address, with nothing to trim
		ev.Values[v4] = record.String(v.Bytes)
		return problems
	}
	b := bytes.TrimSpace(v.Bytes)
	// The address is sent without its zone ("fe80::1%eth0"): CEF's IPv6 address has none, and a SIEM
	// that types the key refuses one (the zone names an interface of the host that saw it). So only
	// the address is parsed: ParseAddr would copy a zone of any length the record gives.
	b, zone, zoned := bytes.Cut(b, []byte{'%'})
	if v.Kind == record.KindString && len(b) > 0 {
		// The string does not outlive the call.
		addr, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
		switch {
		case err != nil, zoned && (addr.Is4() || len(zone) == 0): // as ParseAddr refuses them
		case addr.Is4():
			ev.Values[v4] = record.String(b)
			return problems
		default:
			ev.Values[v6] = record.String(b)
			return problems
		}
	}
	return append(problems, Problem{field, "not an IPv4 or IPv6 address; left out"})
}

// isIPv4 reports an IPv4 address as netip.ParseAddr reads one: four numbers from 0 to 255 of one
// to three digits, without a leading zero, joined by dots. It tells the usual address without the
// parser; whatever it refuses is left to the parser.
func isIPv4(s []byte) bool {
	i := 0 // where the number is
	for dots := 0; ; dots++ {
		switch { // past its digits, i is at its dot; a fourth digit is refused there
		case i >= len(s) || !isDigit(s[i]):
			return false
		case s[i] == '0' || i+1 >= len(s) || !isDigit(s[i+1]):
			i++
		case i+2 >= len(s) || !isDigit(s[i+2]):
			i += 2
		case int(s[i])*100+int(s[i+1])*10+int(s[i+2])-'0'*111 > 255:
			return false
		default:
			i += 3
		}
		if dots == 3 {
			return i == len(s)
		}
		if i >= len(s) || s[i] != '.' {
			return false
		}
		i++
	}
}

func isDigit(c byte) bool { return c-'0' < 10 }

var directionWords = []struct {
	word string
	dir  int64
}{
	{"0", 0}, {"inbound", 0}, {"in", 0}, {"ingress", 0},
	{"1", 1}, {"outbound", 1}, {"out", 1}, {"egress", 1},
}

// setDirection takes the record's direction, or derives it from the operation: ingress… is inbound
// (0), egress… outbound (1).
func setDirection(ev *product.Event, v *record.Value, problems []Problem) []Problem {
	if v.Kind != record.KindNone {
		if i, ok := v.AsInt(); ok && (i == 0 || i == 1) {
			ev.Values[product.KeyDeviceDirection] = record.Int(i)
			return problems
		}
		for _, w := range directionWords {
			if v.Kind == record.KindString && bytes.EqualFold(bytes.TrimSpace(v.Bytes), []byte(w.word)) {
				ev.Values[product.KeyDeviceDirection] = record.Int(w.dir)
				return problems
			}
		}
		problems = append(problems, Problem{"direction", "not 0, 1, inbound or outbound; derived from the operation"})
	}
	act := ev.Values[product.KeyAct]
	if act.Kind != record.KindString {
		return problems
	}
	op := bytes.TrimSpace(act.Bytes)
	switch {
	case hasPrefixFold(op, "ingress"):
		ev.Values[product.KeyDeviceDirection] = record.Int(0)
	case hasPrefixFold(op, "egress"):
		ev.Values[product.KeyDeviceDirection] = record.Int(1)
	}
	return problems
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
