// Package schema maps decoded records onto CEF events.
package schema

import (
	"bytes"
	"fmt"
	"net/netip"
	"unsafe"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
)

// target is where a record field goes: an extension key, or one of the fields that need a decision
// before they become one.
type target struct {
	key     cef.Key
	special special
}

type special uint8

const (
	toKey special = iota
	toEventID
	toEventName
	toSeverity
	toCategory
	toAgentGroup
	toSrcIP
	toDstIP
	toDirection
	toCommand
	toNewOwner
)

// kcsFields names every field of contract §6 under its three spellings: friendly, CEF short key,
// ArcSight full name.
var kcsFields = map[string]target{}

func spell(t target, names ...string) {
	for _, n := range names {
		kcsFields[n] = t
	}
}

func init() {
	key := func(k cef.Key) target { return target{key: k} }
	sp := func(s special) target { return target{special: s} }
	spell(sp(toEventID), "event_id", "deviceEventClassId")
	spell(sp(toEventName), "event_name", "name")
	spell(sp(toSeverity), "severity")
	spell(sp(toCategory), "category", "cat", "deviceEventCategory")
	spell(sp(toAgentGroup), "agent_group")
	spell(key(cef.KeySource), "source")
	spell(sp(toSrcIP), "src_ip", "src", "sourceAddress", "c6a2", "deviceCustomIPv6Address2")
	spell(key(cef.KeyReason), "reason")
	spell(key(cef.KeyFname), "artifact", "fname", "fileName")
	spell(key(cef.KeySuser), "user", "suser", "sourceUserName")
	spell(key(cef.KeyDpid), "pid", "dpid", "destinationProcessId")
	spell(key(cef.KeySpid), "ppid", "spid", "sourceProcessId")
	spell(key(cef.KeyFlexString1), "egid", "flexString1")
	spell(key(cef.KeyFlexString2), "container_id", "flexString2")
	spell(key(cef.KeyOutcome), "status", "outcome", "eventOutcome")
	spell(key(cef.KeyRequest), "image", "request", "requestUrl")
	spell(key(cef.KeyFileHash), "image_hash", "fileHash")
	spell(key(cef.KeyAct), "operation", "act", "deviceAction")
	spell(key(cef.KeySpt), "src_port", "spt", "sourcePort")
	spell(sp(toDstIP), "dst_ip", "dst", "destinationAddress", "c6a3", "deviceCustomIPv6Address3")
	spell(key(cef.KeyDpt), "dst_port", "dpt", "destinationPort")
	spell(key(cef.KeyDproc), "process", "dproc", "destinationProcessName")
	spell(key(cef.KeyDuid), "euid", "duid", "destinationUserId")
	spell(key(cef.KeyFilePermission), "file_mode", "filePermission")
	spell(key(cef.KeyOldFilePath), "old_path", "oldFilePath")
	spell(key(cef.KeyFilePath), "path", "filePath")
	spell(sp(toDirection), "direction", "deviceDirection")
	spell(key(cef.KeyCn1), "new_pid", "cn1", "deviceCustomNumber1")
	spell(key(cef.KeyCs1), "cluster", "cs1", "deviceCustomString1")
	spell(key(cef.KeyCs2), "node", "cs2", "deviceCustomString2")
	spell(key(cef.KeyCs3), "namespace", "cs3", "deviceCustomString3")
	spell(sp(toCommand), "command", "cs4", "deviceCustomString4")
	spell(sp(toNewOwner), "new_owner")
	spell(key(cef.KeyCs5), "pod", "cs5", "deviceCustomString5")
	spell(key(cef.KeyCs6), "container", "cs6", "deviceCustomString6")
	spell(key(cef.KeyCs7), "node_ip", "cs7", "deviceCustomString7")
	spell(key(cef.KeyMsg), "message", "msg")
}

// Problem is a value the mapping could not use; the event is still sent without it.
type Problem struct {
	Field  string
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("field %s: %s", p.Field, p.Reason) }

// Mapper maps the records of one integration onto CEF events.
type Mapper struct {
	// Severity replaces the type rules for the events it matches; a record's own severity still wins.
	Severity cef.Overrides
}

// KCS maps a record of the KCS-native schema (contract §6) onto ev. When a field comes under more
// than one spelling, the first one in the record wins. Values that cannot be used are appended to
// problems, which is returned.
func (m *Mapper) KCS(rec *record.Event, ev *cef.Event, problems []Problem) []Problem {
	ev.Reset()
	ev.Time = rec.Time
	var severity, srcIP, dstIP, direction, command, newOwner cef.Value
	for i := range rec.Fields {
		f := &rec.Fields[i]
		t, ok := kcsFields[string(f.Key)]
		if !ok || f.Value.IsZero() {
			continue
		}
		var slot *cef.Value
		switch t.special {
		case toKey:
			slot = &ev.Values[t.key]
		case toEventID:
			if ev.ClassID == nil {
				ev.ClassID = text(f.Value)
			}
		case toEventName:
			if ev.Name == nil {
				ev.Name = text(f.Value)
			}
		case toCategory:
			if ev.Category == nil {
				ev.Category = text(f.Value)
			}
		case toAgentGroup:
			if ev.AgentGroup == nil {
				ev.AgentGroup = text(f.Value)
			}
		case toSeverity:
			slot = &severity
		case toSrcIP:
			slot = &srcIP
		case toDstIP:
			slot = &dstIP
		case toDirection:
			slot = &direction
		case toCommand:
			slot = &command
		case toNewOwner:
			slot = &newOwner
		}
		if slot != nil && slot.IsZero() {
			*slot = f.Value
		}
	}

	ev.Type = cef.LookupType(ev.ClassID)
	ev.Outcome = cef.ClassifyOutcome(ev.Values[cef.KeyOutcome].Bytes)
	ev.Severity = ev.Type.Severity(ev.Outcome)
	if s, ok := m.Severity.Lookup(ev.ClassID, ev.Type, ev.Outcome); ok {
		ev.Severity = s
	}
	if !severity.IsZero() {
		if s, ok := cef.ParseSeverity(severity); ok {
			ev.Severity = s
		} else {
			problems = append(problems, Problem{"severity", "not a number 0-10 or a severity name; the type's rule applies"})
		}
	}
	problems = routeIP(ev, srcIP, cef.KeySrc, cef.KeyC6a2, "src_ip", problems)
	problems = routeIP(ev, dstIP, cef.KeyDst, cef.KeyC6a3, "dst_ip", problems)
	problems = setDirection(ev, direction, problems)
	switch {
	case !newOwner.IsZero() && (ev.Type.IsFileType() || command.IsZero()):
		ev.Values[cef.KeyCs4] = newOwner
		ev.Cs4IsOwner = true
	case !command.IsZero():
		ev.Values[cef.KeyCs4] = command
	}
	return problems
}

// text is a header-bound value as bytes; numbers are not expected there, and are left out.
func text(v cef.Value) []byte {
	if v.Kind == cef.KindString {
		return v.Bytes
	}
	return nil
}

// routeIP puts an address in the IPv4 key, or its IPv6 twin: src and dst take IPv4 only.
func routeIP(ev *cef.Event, v cef.Value, v4, v6 cef.Key, field string, problems []Problem) []Problem {
	if v.IsZero() {
		return problems
	}
	b := bytes.TrimSpace(v.Bytes)
	if v.Kind == cef.KindString && len(b) > 0 {
		// The string does not outlive the call: ParseAddr copies the zone it keeps.
		addr, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
		switch {
		case err != nil:
		case addr.Is4():
			ev.Values[v4] = cef.String(b)
			return problems
		default:
			ev.Values[v6] = cef.String(b)
			return problems
		}
	}
	return append(problems, Problem{field, "not an IPv4 or IPv6 address; left out"})
}

var directionWords = []struct {
	word string
	dir  int64
}{
	{"0", 0}, {"inbound", 0}, {"in", 0}, {"ingress", 0},
	{"1", 1}, {"outbound", 1}, {"out", 1}, {"egress", 1},
}

// setDirection takes the record's direction, or derives it from the operation: ingress… is inbound
// (0), egress… outbound (1).
func setDirection(ev *cef.Event, v cef.Value, problems []Problem) []Problem {
	if !v.IsZero() {
		if i, ok := v.AsInt(); ok && (i == 0 || i == 1) {
			ev.Values[cef.KeyDeviceDirection] = cef.Int(i)
			return problems
		}
		for _, w := range directionWords {
			if v.Kind == cef.KindString && bytes.EqualFold(bytes.TrimSpace(v.Bytes), []byte(w.word)) {
				ev.Values[cef.KeyDeviceDirection] = cef.Int(w.dir)
				return problems
			}
		}
		problems = append(problems, Problem{"direction", "not 0, 1, inbound or outbound; derived from the operation"})
	}
	act := ev.Values[cef.KeyAct]
	if act.Kind != cef.KindString {
		return problems
	}
	op := bytes.TrimSpace(act.Bytes)
	switch {
	case hasPrefixFold(op, "ingress"):
		ev.Values[cef.KeyDeviceDirection] = cef.Int(0)
	case hasPrefixFold(op, "egress"):
		ev.Values[cef.KeyDeviceDirection] = cef.Int(1)
	}
	return problems
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
