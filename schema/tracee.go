package schema

import (
	"bytes"
	"strconv"

	"github.com/kcs-siem/siem-cef/record"
)

// traceeArgs are the arguments of a Tracee event the mapping reads.
type traceeArgs struct {
	path, oldPath, mode []byte
	// nodes are the arguments kept as they are, by their use: argv; the sockaddr maps (local_addr,
	// remote_addr, addr); a packet's addresses and ports (net_packet_*), or its metadata
	nodes     [argUses]record.Node
	trigger   record.Node // the event that triggered a signature
	triggered bool        // there is a triggeredBy (detectedFrom) argument
	held      uint16      // the uses (as bits) whose argument is held
}

// read takes the arguments from the walk of an args array ([{name, type, value}]); the first of
// each wins. Each argument is entered, not measured first. The walk ends once a holds every
// argument of want (bits of their use): those after are not read.
func (a *traceeArgs) read(m *Mapper, w *record.Walk, want uint16) {
	for outer, ok := w.EnterElemMap(); ok; outer, ok = w.EnterElemMap() {
		a.readArg(m, w)
		w.Leave(outer)
		if a.held&want == want {
			return
		}
	}
}

// readArg takes one argument from its map's walk: up to its name, then, only for an argument the
// mapping uses (most are not), on to its value, unless the value came before the name. (getKeys
// would read every key of every argument: 17 % more instructions for a Tracee event.)
func (a *traceeArgs) readArg(m *Mapper, w *record.Walk) {
	var n []byte
	var value record.Node
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		if string(k) == "name" {
			n, _ = w.Str()
			break
		}
		if string(k) == "value" {
			keepFirst(&value, w.Value())
		}
	}
	use := traceeArgUse(n)
	if use == argNone {
		return
	}
	for value.Kind() == record.NodeAbsent {
		k, ok := w.Key()
		if !ok {
			break
		}
		if string(k) == "value" {
			value = w.Value()
		}
	}
	a.take(m, use, value)
}

// What the mapping takes an argument for, by its name.
const (
	argNone = iota
	argPath
	argOldPath
	argMode
	argArgv
	argRemote
	argAddr
	argLocal
	argSrc
	argDst
	argSrcPort
	argDstPort
	argPacket
	argTrigger
	argUses
)

// kindArgs are the arguments (bits of their use) that the mapping of each kind of event reads, and
// allArgs every one.
var (
	kindArgs = [numKinds]uint16{
		kindProcess: 1<<argPath | 1<<argArgv,
		kindFile:    1<<argPath | 1<<argOldPath | 1<<argMode,
		kindNetwork: 1<<argRemote | 1<<argAddr | 1<<argLocal | 1<<argSrc | 1<<argDst | 1<<argSrcPort | 1<<argDstPort | 1<<argPacket,
	}
	allArgs uint16 = 1<<argUses - 2
)

func traceeArgUse(name []byte) int {
	switch string(name) {
	case "pathname", "path", "new_path", "newpath", "syscall_pathname":
		return argPath
	case "old_path", "oldpath":
		return argOldPath
	case "mode":
		return argMode
	case "argv":
		return argArgv
	case "remote_addr":
		return argRemote
	case "addr":
		return argAddr
	case "local_addr":
		return argLocal
	case "src":
		return argSrc
	case "dst":
		return argDst
	case "src_port":
		return argSrcPort
	case "dst_port":
		return argDstPort
	case "metadata": // a packet's (trace.PacketMetadata), in the newer packet events
		return argPacket
	case "triggeredBy", "detectedFrom": // Tracee 0.24 renamed it
		return argTrigger
	}
	return argNone
}

// take keeps the value of an argument the mapping uses.
func (a *traceeArgs) take(m *Mapper, use int, value record.Node) {
	var holds bool
	switch use {
	case argPath:
		if a.path == nil {
			a.path = str(value)
		}
		holds = a.path != nil
	case argOldPath:
		if a.oldPath == nil {
			a.oldPath = str(value)
		}
		holds = a.oldPath != nil
	case argMode:
		if a.mode == nil {
			a.mode = m.fileMode(value)
		}
		holds = a.mode != nil
	case argTrigger:
		if !a.triggered {
			a.trigger, a.triggered = value, true
		}
		holds = true
	default:
		holds = keepFirst(&a.nodes[use], value)
	}
	if holds {
		a.held |= 1 << use
	}
}

// fileMode writes a mode given as a number in octal, as ls and chmod do (0755), its permission bits
// (a stat mode's file type dropped); a string is kept. A number that is no mode (negative, or past
// the 16 bits of a stat mode) is left out.
func (m *Mapper) fileMode(v record.Node) []byte {
	val := v.Value()
	switch val.Kind {
	case record.KindString:
		return val.Bytes
	case record.KindInt, record.KindUint:
		mode, ok := val.AsInt()
		if !ok || mode < 0 || mode > 0o177777 {
			return nil
		}
		var tmp [24]byte
		digits := strconv.AppendInt(tmp[:0], mode&0o7777, 8)
		start := len(m.buf)
		m.buf = append(m.buf, '0')
		for i := len(digits); i < 3; i++ { // at least four digits: 0644, 0000
			m.buf = append(m.buf, '0')
		}
		m.buf = append(m.buf, digits...)
		return m.buf[start:len(m.buf):len(m.buf)]
	}
	return nil
}

// The top-level keys of a Tracee event that the mapping reads, as indexes of traceeKeys.
const (
	trEventName = iota
	trMetadata
	trArgs
	trExecutable
	trTimestamp
	trPID
	trPPID
	trUID
	trProcessName
	trContainerID
	trContainer
	trKubernetes
	numTraceeKeys
)

// traceeNames are the keys' names, by index; Keys holds them, so that a field's slot tells its key.
var traceeNames = [numTraceeKeys]string{
	trEventName: "eventName", trMetadata: "metadata", trArgs: "args", trExecutable: "executable",
	trTimestamp: "timestamp", trPID: "hostProcessId", trPPID: "hostParentProcessId", trUID: "userId",
	trProcessName: "processName", trContainerID: "containerId", trContainer: "container",
	trKubernetes: "kubernetes",
}

// traceeBySlot is the index in traceeKeys of each slot of Keys, -1 for a key the mapping does not read.
var traceeBySlot []int8

// traceeKeys holds the field of each key the mapping reads, by index: its value as the decoder
// read it, and its node.
type traceeKeys [numTraceeKeys]*record.Field

// read takes the keys from the event's fields, the first of a repeated key.
func (t *traceeKeys) read(rec *record.Event) {
	body, slotted := rec.Body(), rec.Slotted(kcsKeys)
	for i := range body {
		slot := body[i].Slot
		if !slotted {
			slot = kcsKeys.Index(body[i].Key)
		}
		if uint(slot) < uint(len(traceeBySlot)) {
			if k := traceeBySlot[slot]; k >= 0 && t[k] == nil {
				t[k] = &body[i]
			}
		}
	}
}

// node is the value of key k as a node, absent when the event has not the key.
func (t *traceeKeys) node(k int) record.Node {
	if f := t[k]; f != nil {
		return f.Raw
	}
	return record.Node{}
}

// value is the value of key k as the decoder read it: none for a map or an array, and when the
// event has not the key.
func (t *traceeKeys) value(k int) record.Value {
	if f := t[k]; f != nil {
		return f.Value
	}
	return record.Value{}
}

// scalar is the scalar value of key k, as scalar reads it: a number as the decoder read it, not
// decoded again; a string through scalar, which takes "<NA>" as none.
func (t *traceeKeys) scalar(k int) record.Value {
	if f := t[k]; f != nil && f.Value.Kind != record.KindString {
		return f.Value
	}
	return scalar(t.node(k))
}

// tracee maps a Tracee event (JSON output). An event a signature produced (it has metadata, with
// the signature's Properties) is a policy violation that Tracee reported and did not block
// (Audit); any other event is a plain observation (Other).
func (m *Mapper) tracee(rec *record.Event, d *draft) {
	var t traceeKeys
	t.read(rec)
	eventName := str(t.node(trEventName))
	detection := t.node(trMetadata).Kind() == record.NodeMap
	var a traceeArgs
	args := t.node(trArgs).WalkElems()
	opName, fam := eventName, family{}
	if detection { // the event that triggered the signature, an argument, names its family
		a.read(m, &args, allArgs)
		if a.triggered {
			opName = a.readTrigger(m)
		}
		fam = familyOf(opName)
	} else {
		fam = familyOf(opName)
		if !fam.known && isPacketEvent(opName) {
			fam.kind = kindNetwork
		}
		a.read(m, &args, kindArgs[fam.kind])
	}

	traceeProcess(&t, d)
	var path []byte
	switch fam.kind {
	case kindProcess:
		if path = a.path; len(path) == 0 { // the executable's path only when no argument names one
			path = str(t.node(trExecutable).Get("path"))
		}
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldCommand, m.joinArgv(a.nodes[argArgv]))
	case kindFile:
		path = a.path
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldOldPath, a.oldPath)
		d.setBytes(FieldFileMode, a.mode)
	case kindNetwork:
		a.connection(opName, fam.act(), d)
	}
	d.setBytes(FieldPath, path)
	if detection {
		m.traceeSignature(eventName, t.node(trMetadata), fam.kind, d)
	} else {
		d.setBytes(FieldEventID, observationIDs[fam.kind])
		d.setBytes(FieldStatus, statusOther)
		d.setBytes(FieldMessage, m.join(" ", eventName, path))
	}
}

// readTrigger reads the event that triggered a signature (its first triggeredBy argument), which
// says what the detection is about: its arguments (the first args key) after the signature's, and
// its name (the first), which it returns.
func (a *traceeArgs) readTrigger(m *Mapper) []byte {
	var name record.Node
	argsRead := false
	w := a.trigger.WalkPairs()
	for !argsRead || name.Kind() == record.NodeAbsent {
		k, ok := w.Key()
		if !ok {
			break
		}
		switch string(k) {
		case "name":
			keepFirst(&name, w.Value())
		case "args":
			if !argsRead {
				argsRead = true
				if outer, ok := w.EnterArray(); ok {
					a.read(m, &w, allArgs)
					w.Leave(outer)
				}
			}
		}
	}
	return str(name)
}

// traceeProcess maps what every event says of the process and where it runs.
func traceeProcess(t *traceeKeys, d *draft) {
	d.set(FieldPID, t.scalar(trPID))
	d.set(FieldPPID, t.scalar(trPPID))
	d.set(FieldEUID, t.scalar(trUID))
	d.setBytes(FieldProcess, str(t.node(trProcessName)))
	var id, name, image, digest, pod, namespace record.Node
	getKeys(t.node(trContainer), []string{"id", "name", "image", "imageDigest"}, &id, &name, &image, &digest)
	getKeys(t.node(trKubernetes), []string{"podName", "podNamespace"}, &pod, &namespace)
	d.setBytes(FieldContainerID, containerID(orElse(str(t.node(trContainerID)), str(id))))
	d.setBytes(FieldContainer, str(name))
	d.setBytes(FieldImage, str(image))
	d.setBytes(FieldImageHash, str(digest))
	d.setBytes(FieldPod, str(pod))
	d.setBytes(FieldNamespace, str(namespace))
	if ts, ok := nanoTimeOf(t.value(trTimestamp)); ok {
		d.time = ts
	}
}

// isPacketEvent reports Tracee's network packet and flow events (net_packet_dns, net_flow_tcp_begin),
// whose arguments are a packet's addresses and ports, not a socket's.
func isPacketEvent(name []byte) bool {
	return bytes.HasPrefix(name, []byte("net_packet_")) || bytes.HasPrefix(name, []byte("net_flow_"))
}

// connection maps the socket addresses. addr is the far end (connect, accept), but bind's is the
// near one; the local end is the source, but of incoming traffic. A packet says its source and
// destination itself.
func (a *traceeArgs) connection(opName, act []byte, d *draft) {
	n := &a.nodes
	if n[argPacket].Kind() == record.NodeMap {
		getKeys(n[argPacket], []string{"src_ip", "dst_ip", "src_port", "dst_port"},
			&n[argSrc], &n[argDst], &n[argSrcPort], &n[argDstPort])
	}
	if n[argSrc].Kind() != record.NodeAbsent || n[argDst].Kind() != record.NodeAbsent {
		d.setConnection(act, str(n[argSrc]), scalar(n[argSrcPort]), str(n[argDst]), scalar(n[argDstPort]))
		return
	}
	local, remote := n[argLocal], n[argRemote]
	if string(opName) == "bind" {
		local = orNode(local, n[argAddr])
	} else {
		remote = orNode(remote, n[argAddr])
	}
	src, dst := local, remote
	if bytes.Equal(act, actIngress) {
		src, dst = remote, local
	}
	sh, sp := sockaddr(src)
	dh, dp := sockaddr(dst)
	d.setConnection(act, sh, sp, dh, dp)
}

// traceeSignature maps what a signature says of its detection: a violation of the family, the
// severity its Properties give, and its description.
func (m *Mapper) traceeSignature(eventName []byte, metadata record.Node, k kind, d *draft) {
	severity, description := signatureMetadata(metadata)
	d.setBytes(FieldEventID, violationIDs[k])
	d.setBytes(FieldStatus, statusAudit)
	if s, ok := scalar(severity).AsInt(); ok {
		d.sensorSeverity = int(2*min(max(0, s), 4) + 2) // clamped first: 2*s overflows past 1<<62
	}
	d.setBytes(FieldMessage, m.join(": ", eventName, str(description)))
}

// signatureMetadata reads the Severity of a signature's Properties and its Description, the first
// of each key, in one walk of its metadata.
func signatureMetadata(metadata record.Node) (severity, description record.Node) {
	propertiesRead := false
	w := metadata.WalkPairs()
	for !propertiesRead || description.Kind() == record.NodeAbsent {
		k, ok := w.Key()
		if !ok {
			break
		}
		switch string(k) {
		case "Properties": // the first, whatever it holds
			if !propertiesRead {
				propertiesRead = true
				enterKeys(&w, []string{"Severity"}, &severity)
			}
		case "Description":
			keepFirst(&description, w.Value())
		}
	}
	return severity, description
}

// orNode is n, else alt when n is absent.
func orNode(n, alt record.Node) record.Node {
	if n.Kind() == record.NodeAbsent {
		return alt
	}
	return n
}

// joinArgv writes an argv array as one command line, its elements separated by spaces.
func (m *Mapper) joinArgv(argv record.Node) []byte {
	start := len(m.buf)
	it := argv.Elems()
	for {
		v, ok := it.NextElem()
		if !ok {
			break
		}
		s, _ := v.Str()
		if len(m.buf) > start {
			m.buf = append(m.buf, ' ')
		}
		m.buf = append(m.buf, s...)
	}
	return m.buf[start:len(m.buf):len(m.buf)]
}

// sockaddr reads Tracee's sockaddr map: sin_addr/sin_port, or sin6_addr/sin6_port.
func sockaddr(n record.Node) (host []byte, port record.Value) {
	var sinAddr, sinPort, sin6Addr, sin6Port record.Node
	getKeys(n, []string{"sin_addr", "sin_port", "sin6_addr", "sin6_port"}, &sinAddr, &sinPort, &sin6Addr, &sin6Port)
	if host = str(sinAddr); host != nil {
		return host, scalar(sinPort)
	}
	if host = str(sin6Addr); host != nil {
		return host, scalar(sin6Port)
	}
	return nil, record.Value{}
}
