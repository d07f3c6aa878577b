package schema

import (
	"bytes"
	"strconv"

	"github.com/kcs-siem/siem-cef/record"
)

// traceeArgs are the arguments of a Tracee event the mapping reads.
type traceeArgs struct {
	path, oldPath, mode []byte
	argv                record.Node
	local, remote, addr record.Node // sockaddr maps
}

// read takes the arguments of an args array ([{name, type, value}]); the first of each wins.
func (a *traceeArgs) read(m *Mapper, args record.Node) {
	it := args.Elems()
	for {
		arg, ok := it.NextElem()
		if !ok {
			return
		}
		name, _ := arg.Get("name").Str()
		v := arg.Get("value")
		switch string(name) {
		case "pathname", "path", "new_path", "newpath", "syscall_pathname":
			if a.path == nil {
				a.path = str(v)
			}
		case "old_path", "oldpath":
			if a.oldPath == nil {
				a.oldPath = str(v)
			}
		case "mode":
			if a.mode == nil {
				a.mode = m.fileMode(v)
			}
		case "argv":
			if a.argv.Kind() == record.NodeAbsent {
				a.argv = v
			}
		case "remote_addr":
			if a.remote.Kind() == record.NodeAbsent {
				a.remote = v
			}
		case "addr":
			if a.addr.Kind() == record.NodeAbsent {
				a.addr = v
			}
		case "local_addr":
			if a.local.Kind() == record.NodeAbsent {
				a.local = v
			}
		}
	}
}

// fileMode writes a mode given as a number in octal, as ls and chmod do (0755); a string is kept.
func (m *Mapper) fileMode(v record.Node) []byte {
	val := v.Value()
	switch val.Kind {
	case record.KindString:
		return val.Bytes
	case record.KindInt, record.KindUint:
		mode, _ := val.AsInt()
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

// tracee maps a Tracee event (JSON output). An event a signature produced (it has metadata, with
// the signature's Properties) is a policy violation that Tracee reported and did not block
// (Audit); any other event is a plain observation (Other).
func (m *Mapper) tracee(rec *record.Event, d *draft) {
	eventName := str(rec.BodyNode("eventName"))
	metadata := rec.BodyNode("metadata")
	detection := metadata.Kind() == record.NodeMap
	var a traceeArgs
	a.read(m, rec.BodyNode("args"))
	opName := eventName
	if detection {
		if name, found := a.readTrigger(m, rec.BodyNode("args")); found {
			opName = name
		}
	}
	fam := familyOf(opName)

	m.traceeProcess(rec, d)
	var path []byte
	switch fam.kind {
	case kindProcess:
		path = orElse(a.path, str(rec.BodyNode("executable").Get("path")))
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldCommand, m.joinArgv(a.argv))
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
		m.traceeSignature(eventName, metadata, fam.kind, d)
	} else {
		d.setBytes(FieldEventID, observationIDs[fam.kind])
		d.setBytes(FieldStatus, statusOther)
		d.setBytes(FieldMessage, m.join(" ", eventName, path))
	}
}

// readTrigger reads the event that triggered a signature (its triggeredBy argument), which says what
// the detection is about, and returns that event's name; found is false when there is no such
// argument.
func (a *traceeArgs) readTrigger(m *Mapper, args record.Node) (name []byte, found bool) {
	it := args.Elems()
	for {
		arg, ok := it.NextElem()
		if !ok {
			return nil, false
		}
		if n, _ := arg.Get("name").Str(); string(n) == "triggeredBy" {
			t := arg.Get("value")
			a.read(m, t.Get("args"))
			return str(t.Get("name")), true
		}
	}
}

// traceeProcess maps what every event says of the process and where it runs.
func (m *Mapper) traceeProcess(rec *record.Event, d *draft) {
	d.set(FieldPID, scalar(rec.BodyNode("hostProcessId")))
	d.set(FieldPPID, scalar(rec.BodyNode("hostParentProcessId")))
	d.set(FieldEUID, scalar(rec.BodyNode("userId")))
	d.setBytes(FieldProcess, str(rec.BodyNode("processName")))
	container := rec.BodyNode("container")
	d.setBytes(FieldContainerID, containerID(orElse(str(rec.BodyNode("containerId")), str(container.Get("id")))))
	d.setBytes(FieldContainer, str(container.Get("name")))
	d.setBytes(FieldImage, str(container.Get("image")))
	d.setBytes(FieldImageHash, str(container.Get("imageDigest")))
	k8s := rec.BodyNode("kubernetes")
	d.setBytes(FieldPod, str(k8s.Get("podName")))
	d.setBytes(FieldNamespace, str(k8s.Get("podNamespace")))
	if t, ok := nanoTime(rec.BodyNode("timestamp")); ok {
		d.time = t
	}
}

// connection maps the socket addresses. addr is the far end (connect, accept), but bind's is the
// near one; the local end is the source, but of incoming traffic.
func (a *traceeArgs) connection(opName, act []byte, d *draft) {
	if string(opName) == "bind" {
		a.local = orNode(a.local, a.addr)
	} else {
		a.remote = orNode(a.remote, a.addr)
	}
	src, dst := a.local, a.remote
	if bytes.Equal(act, actIngress) {
		src, dst = a.remote, a.local
	}
	sh, sp := sockaddr(src)
	dh, dp := sockaddr(dst)
	d.setBytes(FieldOperation, act)
	d.setBytes(FieldSrcIP, sh)
	d.set(FieldSrcPort, sp)
	d.setBytes(FieldDstIP, dh)
	d.set(FieldDstPort, dp)
}

// traceeSignature maps what a signature says of its detection: a violation of the family, the
// severity its Properties give, and its description.
func (m *Mapper) traceeSignature(eventName []byte, metadata record.Node, k kind, d *draft) {
	d.setBytes(FieldEventID, violationIDs[k])
	d.setBytes(FieldStatus, statusAudit)
	if s, ok := scalar(metadata.Get("Properties").Get("Severity")).AsInt(); ok {
		d.sensorSeverity = int(min(10, 2*max(0, s)+2))
	}
	d.setBytes(FieldMessage, m.join(": ", eventName, str(metadata.Get("Description"))))
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
	if host = str(n.Get("sin_addr")); host != nil {
		return host, scalar(n.Get("sin_port"))
	}
	if host = str(n.Get("sin6_addr")); host != nil {
		return host, scalar(n.Get("sin6_port"))
	}
	return nil, record.Value{}
}
