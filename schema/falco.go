package schema

import (
	"bytes"

	"github.com/kcs-siem/siem-cef/record"
)

// falcoPriorities is the severity each Falco priority gives (README, "Events from Falco, Tetragon
// and Tracee"). Falco's priorities are the syslog severities, so the PRI of the line keeps the
// priority's level: emergency to critical are very high, error high, warning and notice medium.
var falcoPriorities = [...]struct {
	name     string
	severity int
}{
	{"emergency", 10}, {"alert", 10}, {"critical", 9}, {"error", 8}, {"warning", 6}, {"notice", 5},
	{"informational", 3}, {"info", 3}, {"debug", 1},
}

// falcoFields are the output_fields a Falco alert may carry that the mapping reads.
type falcoFields struct {
	pid, ppid, uid, gid                       record.Value
	userName, containerID, containerFullID    []byte
	containerName, image, repository, tag     []byte
	digest, pod, namespace, procName, cmdline []byte
	exePath, exe, evtType, fdName, fdType     []byte
	cip, sip, lip, rip                        []byte
	cport, sport, lport, rport                record.Value
	fsPath, fsTarget, fsSource, argPath       []byte
	argOldPath, argMode                       []byte
	argUID                                    record.Value
	evtTime                                   record.Node
}

// falco maps a Falco alert (JSON output: rule, priority, output, output_fields, hostname, time).
// Every alert is a rule's: a policy violation that Falco reported and did not block (Audit).
func (m *Mapper) falco(rec *record.Event, d *draft) {
	var f falcoFields
	f.read(rec.BodyNode("output_fields"))
	fam := f.family()

	d.setBytes(FieldEventID, violationIDs[fam.kind])
	d.setBytes(FieldStatus, statusAudit)
	m.falcoProcess(rec, &f, d)
	switch fam.kind {
	case kindProcess:
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldPath, orElse(f.exePath, f.exe))
	case kindFile:
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldPath, orElse(f.fsTarget, f.fsPath, f.fdName, f.argPath))
		d.setBytes(FieldOldPath, orElse(f.fsSource, f.argOldPath))
		d.setBytes(FieldFileMode, f.argMode)
		d.set(FieldNewOwner, f.argUID)
	case kindNetwork:
		f.connection(fam.act(), d)
	}
	m.falcoAlert(rec, &f, d)
}

// read takes the output fields. A key given twice counts the last time, except the path and the
// time, which several keys give: the first of those wins.
func (f *falcoFields) read(fields record.Node) {
	it := fields.Pairs()
	for {
		k, v, ok := it.Next()
		if !ok {
			return
		}
		if !f.readProcess(k, v) {
			f.readCall(k, v)
		}
	}
}

// readProcess takes a field about the process and where it runs; false when k is none of them.
func (f *falcoFields) readProcess(k []byte, v record.Node) bool {
	switch string(k) {
	case "proc.pid":
		f.pid = scalar(v)
	case "proc.ppid":
		f.ppid = scalar(v)
	case "user.uid":
		f.uid = scalar(v)
	case "group.gid":
		f.gid = scalar(v)
	case "user.name":
		f.userName = str(v)
	case "proc.name":
		f.procName = str(v)
	case "proc.cmdline":
		f.cmdline = str(v)
	case "proc.exepath":
		f.exePath = str(v)
	case "proc.exe":
		f.exe = str(v)
	case "container.id":
		f.containerID = str(v)
	case "container.full_id":
		f.containerFullID = str(v)
	case "container.name":
		f.containerName = str(v)
	case "container.image":
		f.image = str(v)
	case "container.image.repository":
		f.repository = str(v)
	case "container.image.tag":
		f.tag = str(v)
	case "container.image.digest":
		f.digest = str(v)
	case "k8s.pod.name":
		f.pod = str(v)
	case "k8s.ns.name":
		f.namespace = str(v)
	default:
		return false
	}
	return true
}

// readCall takes a field about the system call: its name, time, arguments, file and socket.
func (f *falcoFields) readCall(k []byte, v record.Node) {
	switch string(k) {
	case "evt.type":
		f.evtType = str(v)
	case "evt.time", "evt.time.iso8601":
		f.evtTime = orNode(f.evtTime, v)
	case "evt.arg.pathname", "evt.arg.path", "evt.arg.name", "evt.arg.filename", "evt.arg.newpath":
		if f.argPath == nil {
			f.argPath = str(v)
		}
	case "evt.arg.oldpath":
		f.argOldPath = str(v)
	case "evt.arg.mode":
		f.argMode = str(v)
	case "evt.arg.uid":
		f.argUID = scalar(v)
	case "fs.path.name":
		f.fsPath = str(v)
	case "fs.path.target":
		f.fsTarget = str(v)
	case "fs.path.source":
		f.fsSource = str(v)
	case "fd.name":
		f.fdName = str(v)
	case "fd.type":
		f.fdType = str(v)
	case "fd.cip":
		f.cip = str(v)
	case "fd.sip":
		f.sip = str(v)
	case "fd.lip":
		f.lip = str(v)
	case "fd.rip":
		f.rip = str(v)
	case "fd.cport":
		f.cport = scalar(v)
	case "fd.sport":
		f.sport = scalar(v)
	case "fd.lport":
		f.lport = scalar(v)
	case "fd.rport":
		f.rport = scalar(v)
	}
}

// family classifies the alert by its system call when that starts a process; otherwise a socket
// among its fields makes it a network alert, then a file a file alert, then the system call decides.
func (f *falcoFields) family() family {
	fam := familyOf(f.evtType)
	if fam.known && fam.kind == kindProcess {
		return fam
	}
	switch {
	case bytes.Contains(f.fdName, tupleArrow) || string(f.fdType) == "ipv4" || string(f.fdType) == "ipv6" ||
		f.cip != nil || f.sip != nil || f.lip != nil || f.rip != nil:
		fam.kind = kindNetwork
	case f.fsPath != nil || f.fsTarget != nil || f.argPath != nil || f.fdName != nil:
		fam.kind = kindFile
	}
	return fam
}

// tupleArrow separates the two ends of a connection in fd.name.
var tupleArrow = []byte("->")

// falcoProcess maps what every alert says of the process, its user and where it runs.
func (m *Mapper) falcoProcess(rec *record.Event, f *falcoFields, d *draft) {
	d.set(FieldPID, f.pid)
	d.set(FieldPPID, f.ppid)
	d.set(FieldEUID, f.uid)
	d.set(FieldEGID, f.gid)
	d.setBytes(FieldUser, f.userName)
	d.setBytes(FieldProcess, f.procName)
	d.setBytes(FieldCommand, f.cmdline)
	if id := orElse(f.containerFullID, f.containerID); string(id) != "host" {
		d.setBytes(FieldContainerID, containerID(id))
	}
	if string(f.containerName) != "host" {
		d.setBytes(FieldContainer, f.containerName)
	}
	if f.image != nil {
		d.setBytes(FieldImage, f.image)
	} else {
		d.setBytes(FieldImage, m.join(":", f.repository, f.tag))
	}
	d.setBytes(FieldImageHash, f.digest)
	d.setBytes(FieldPod, f.pod)
	d.setBytes(FieldNamespace, f.namespace)
	d.setBytes(FieldNode, str(rec.BodyNode("hostname")))
}

// connection maps the two ends of a socket. fd.name is client:port->server:port, and the client is
// the connection's source whichever side the process is on; with only the local and remote ends,
// the direction says which is the source.
func (f *falcoFields) connection(act []byte, d *draft) {
	if i := bytes.Index(f.fdName, tupleArrow); i >= 0 {
		ch, cp := splitHostPort(f.fdName[:i])
		sh, sp := splitHostPort(f.fdName[i+len(tupleArrow):])
		f.cip, f.sip = orElse(f.cip, ch), orElse(f.sip, sh)
		if f.cport.IsZero() && len(cp) > 0 {
			f.cport = record.String(cp)
		}
		if f.sport.IsZero() && len(sp) > 0 {
			f.sport = record.String(sp)
		}
	}
	if f.cip == nil && f.sip == nil {
		if bytes.Equal(act, actIngress) {
			f.cip, f.cport, f.sip, f.sport = f.rip, f.rport, f.lip, f.lport
		} else {
			f.cip, f.cport, f.sip, f.sport = f.lip, f.lport, f.rip, f.rport
		}
	}
	d.setConnection(act, f.cip, f.cport, f.sip, f.sport)
}

// falcoAlert maps what the alert says of itself: its priority, rule and text, and its time (the
// alert's, else the event's).
func (m *Mapper) falcoAlert(rec *record.Event, f *falcoFields, d *draft) {
	priority := str(rec.BodyNode("priority"))
	for _, p := range falcoPriorities {
		if bytes.EqualFold(priority, []byte(p.name)) {
			d.sensorSeverity = p.severity
			break
		}
	}
	rule := str(rec.BodyNode("rule"))
	d.setBytes(FieldMessage, m.join(": ", rule, falcoOutput(str(rec.BodyNode("output")), priority)))
	if t, ok := parseTime(str(rec.BodyNode("time"))); ok {
		d.time = t
	} else if t, ok := nanoTime(f.evtTime); ok {
		d.time = t
	}
}

// falcoOutput drops the "<time>: <Priority> " Falco puts before an alert's text: the header
// carries both.
func falcoOutput(out, priority []byte) []byte {
	sp := bytes.IndexByte(out, ' ')
	rest := out[sp+1:]
	if sp < 2 || out[sp-1] != ':' || len(priority) == 0 || len(rest) <= len(priority) ||
		!bytes.EqualFold(rest[:len(priority)], priority) || rest[len(priority)] != ' ' {
		return out
	}
	return rest[len(priority)+1:]
}

// orElse is the first of its arguments that is not empty.
func orElse(bs ...[]byte) []byte {
	for _, b := range bs {
		if len(b) > 0 {
			return b
		}
	}
	return nil
}
