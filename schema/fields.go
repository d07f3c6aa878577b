package schema

import (
	"math/bits"
	"time"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// Field is one field of the KCS-native schema (docs/events.md §6). Every source is mapped onto these
// fields first; finish turns them into the CEF event.
type Field uint8

// The fields of docs/events.md §6, in the order of its table.
const (
	FieldEventID Field = iota
	FieldEventName
	FieldSeverity
	FieldCategory
	FieldAgentGroup
	FieldSource
	FieldReason
	FieldArtifact
	FieldUser
	FieldPID
	FieldPPID
	FieldEGID
	FieldContainerID
	FieldStatus
	FieldImage
	FieldImageHash
	FieldOperation
	FieldSrcIP
	FieldSrcPort
	FieldDstIP
	FieldDstPort
	FieldProcess
	FieldEUID
	FieldFileMode
	FieldOldPath
	FieldPath
	FieldDirection
	FieldNewPID
	FieldCluster
	FieldNode
	FieldNamespace
	FieldCommand
	FieldNewOwner
	FieldPod
	FieldContainer
	FieldNodeIP
	FieldMessage
	numFields
)

// fieldNames are the friendly names, indexed by Field.
var fieldNames = [numFields]string{
	FieldEventID: "event_id", FieldEventName: "event_name", FieldSeverity: "severity",
	FieldCategory: "category", FieldAgentGroup: "agent_group", FieldSource: "source",
	FieldReason: "reason", FieldArtifact: "artifact", FieldUser: "user", FieldPID: "pid",
	FieldPPID: "ppid", FieldEGID: "egid", FieldContainerID: "container_id", FieldStatus: "status",
	FieldImage: "image", FieldImageHash: "image_hash", FieldOperation: "operation",
	FieldSrcIP: "src_ip", FieldSrcPort: "src_port", FieldDstIP: "dst_ip", FieldDstPort: "dst_port",
	FieldProcess: "process", FieldEUID: "euid", FieldFileMode: "file_mode", FieldOldPath: "old_path",
	FieldPath: "path", FieldDirection: "direction", FieldNewPID: "new_pid", FieldCluster: "cluster",
	FieldNode: "node", FieldNamespace: "namespace", FieldCommand: "command", FieldNewOwner: "new_owner",
	FieldPod: "pod", FieldContainer: "container", FieldNodeIP: "node_ip", FieldMessage: "message",
}

// Name is the field's friendly name (docs/events.md §6).
func (f Field) Name() string { return fieldNames[f] }

// FieldNames lists the friendly names of docs/events.md §6 in the order of its table: the names Set.<field>
// and Map.<field> accept.
func FieldNames() []string { return append([]string(nil), fieldNames[:]...) }

// FieldByName finds a field by its friendly name.
func FieldByName(name string) (Field, bool) {
	for f, n := range fieldNames {
		if n == name {
			return Field(f), true
		}
	}
	return 0, false
}

// fieldKeys is the extension key of each field that goes straight to one; the others (header
// fields, addresses, direction, command and new owner) are decided in finish.
var fieldKeys = [numFields]product.Key{
	FieldSource: product.KeySource, FieldReason: product.KeyReason, FieldArtifact: product.KeyFname,
	FieldUser: product.KeySuser, FieldPID: product.KeyDpid, FieldPPID: product.KeySpid, FieldEGID: product.KeyFlexString1,
	FieldContainerID: product.KeyFlexString2, FieldStatus: product.KeyOutcome, FieldImage: product.KeyRequest,
	FieldImageHash: product.KeyFileHash, FieldOperation: product.KeyAct, FieldSrcPort: product.KeySpt,
	FieldDstPort: product.KeyDpt, FieldProcess: product.KeyDproc, FieldEUID: product.KeyDuid,
	FieldFileMode: product.KeyFilePermission, FieldOldPath: product.KeyOldFilePath, FieldPath: product.KeyFilePath,
	FieldNewPID: product.KeyCn1, FieldCluster: product.KeyCs1, FieldNode: product.KeyCs2, FieldNamespace: product.KeyCs3,
	FieldPod: product.KeyCs5, FieldContainer: product.KeyCs6, FieldNodeIP: product.KeyCs7, FieldMessage: product.KeyMsg,
}

// indirect are the fields that do not go to their key as they are.
const indirect = 1<<FieldEventID | 1<<FieldEventName | 1<<FieldSeverity | 1<<FieldCategory |
	1<<FieldAgentGroup | 1<<FieldSrcIP | 1<<FieldDstIP | 1<<FieldDirection | 1<<FieldCommand |
	1<<FieldNewOwner

// headerFields are the fields that go to the header or to filtering: only strings are taken.
const headerFields = 1<<FieldEventID | 1<<FieldEventName | 1<<FieldCategory | 1<<FieldAgentGroup

// bit is the field's bit in a set of fields. numFields is under 64: the mask spares the shift its
// test for a count of 64 or more.
func (f Field) bit() uint64 { return 1 << (f & 63) }

// draft is one event mapped onto the fields of §6, before finish makes it a CEF event. A field that
// goes straight to its extension key is held in the event's own value of that key (out), so that it
// is copied once; the others (indirect) are held here until finish decides where they go.
type draft struct {
	v   [numFields]record.Value // the indirect fields (by Field; the others' entries stay empty)
	out *[product.NumKeys]record.Value
	// where holds where each field is held, in v or in out, so that at is one load: reset sets it
	// when out or the draft itself has moved.
	where [numFields]*record.Value
	have  uint64 // a bit per field that is set
	// sensorSeverity is the severity a sensor's own priority gives, -1 when it has none.
	sensorSeverity int
	// time is the sensor's own time of the event; zero keeps the Fluent Bit timestamp.
	time time.Time
}

// reset empties the draft for an event to be mapped into ev, which is empty; only the indirect
// fields that were set are cleared.
func (d *draft) reset(ev *product.Event) {
	for have := d.have & indirect; have != 0; have &= have - 1 {
		d.v[bits.TrailingZeros64(have)] = record.Value{}
	}
	if d.out != &ev.Values || d.where[0] != &d.v[0] {
		d.out = &ev.Values
		for f := range numFields {
			d.where[f] = &d.out[fieldKeys[f]]
			if indirect&f.bit() != 0 {
				d.where[f] = &d.v[f]
			}
		}
	}
	d.have, d.sensorSeverity, d.time = 0, -1, time.Time{}
}

// at is where field f is held.
func (d *draft) at(f Field) *record.Value { return d.where[f] }

// set fills a field that is still empty: the first value found wins.
func (d *draft) set(f Field, v record.Value) {
	if !d.has(f) && !v.IsZero() {
		d.put(f, v)
	}
}

// has reports a field that is set.
func (d *draft) has(f Field) bool { return d.have&f.bit() != 0 }

// put sets a field, whatever it held.
func (d *draft) put(f Field, v record.Value) { d.putFrom(f, &v) }

// putFrom is put of the value at v, copied once.
func (d *draft) putFrom(f Field, v *record.Value) {
	*d.at(f) = *v
	d.have |= f.bit()
}

// setConnection fills a connection's operation and its two ends, the source first.
func (d *draft) setConnection(act, srcIP []byte, srcPort record.Value, dstIP []byte, dstPort record.Value) {
	d.setBytes(FieldOperation, act)
	d.setBytes(FieldSrcIP, srcIP)
	d.set(FieldSrcPort, srcPort)
	d.setBytes(FieldDstIP, dstIP)
	d.set(FieldDstPort, dstPort)
}

// setBytes fills an empty field with a string; an empty string is no value. The string is written
// in place: a Value built and passed on would be copied through the stack, each time.
func (d *draft) setBytes(f Field, b []byte) {
	if len(b) > 0 && !d.has(f) {
		*d.at(f) = record.Value{Kind: record.KindString, Bytes: b}
		d.have |= f.bit()
	}
}

// finish turns the draft into the CEF event (whose direct fields the draft wrote already): the type,
// the outcome (in the product's spelling) and severity rules, the address keys, the direction and
// cs4 (a file event's new owner, else the command). Values that cannot be used are appended to
// problems.
func (m *Mapper) finish(d *draft, ev *product.Event, problems []Problem) []Problem {
	ev.ClassID = text(&d.v[FieldEventID])
	ev.Name = text(&d.v[FieldEventName])
	ev.Category = text(&d.v[FieldCategory])
	ev.AgentGroup = text(&d.v[FieldAgentGroup])
	if !d.time.IsZero() {
		ev.Time = d.time
	}

	ev.Type = product.LookupType(ev.ClassID)
	ev.Outcome = product.ClassifyOutcome(ev.Values[product.KeyOutcome].Bytes)
	if word := ev.Outcome.Spelling(); word != nil {
		ev.Values[product.KeyOutcome] = record.String(word)
	}
	ev.Severity = ev.Type.Severity(ev.Outcome)
	if d.sensorSeverity >= 0 {
		ev.Severity = d.sensorSeverity
	}
	if s, ok := m.Severity.Lookup(ev.ClassID, ev.Type, ev.Outcome); ok {
		ev.Severity = s
	}
	if severity := &d.v[FieldSeverity]; severity.Kind != record.KindNone {
		if s, ok := product.ParseSeverity(*severity); ok {
			ev.Severity = s
		} else {
			problems = append(problems, Problem{"severity", "not a number 0-10 or a severity name; the type's rule applies"})
		}
	}
	problems = routeIP(ev, &d.v[FieldSrcIP], product.KeySrc, product.KeyC6a2, "src_ip", problems)
	problems = routeIP(ev, &d.v[FieldDstIP], product.KeyDst, product.KeyC6a3, "dst_ip", problems)
	problems = setDirection(ev, &d.v[FieldDirection], problems)
	problems = checkNumbers(ev, problems)
	// a new owner of blanks alone, which the message leaves out, leaves cs4 to the command
	if newOwner := &d.v[FieldNewOwner]; newOwner.Kind != record.KindNone && ev.Type.IsFileType() &&
		!(newOwner.Kind == record.KindString && product.Blank(newOwner.Bytes)) {
		ev.Values[product.KeyCs4] = *newOwner
		ev.Cs4IsOwner = true
	} else {
		ev.Values[product.KeyCs4] = d.v[FieldCommand]
	}
	return problems
}
