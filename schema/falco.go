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

// The output_fields a Falco alert may carry that the mapping reads (falcoField names them): the
// texts, then, from fPID, the numbers. A key given twice counts the last time, but for the keys of
// a path and of the time, several of which give one value: the first of those counts.
const (
	fUserName = iota
	fProcName
	fCmdline
	fExePath
	fExe
	fContainerID
	fContainerFullID
	fContainerName
	fImage
	fRepository
	fTag
	fDigest
	fPod
	fNamespace
	fEvtType
	fArgOldPath
	fArgMode
	fFsPath
	fFsTarget
	fFsSource
	fFdName
	fFdType
	fCIP
	fSIP
	fLIP
	fRIP
	fPID
	fPPID
	fUID
	fGID
	fArgUID
	fCPort
	fSPort
	fLPort
	fRPort
	numFalcoFields
	fArgPath = iota // the keys of a path
	fEvtTime        // the keys of the time
	fNone
)

// falcoField is the output field a key names, fNone when the mapping does not read it.
func falcoField(k []byte) int {
	switch string(k) {
	case "proc.pid":
		return fPID
	case "proc.ppid":
		return fPPID
	case "user.uid":
		return fUID
	case "group.gid":
		return fGID
	case "user.name":
		return fUserName
	case "proc.name":
		return fProcName
	case "proc.cmdline":
		return fCmdline
	case "proc.exepath":
		return fExePath
	case "proc.exe":
		return fExe
	case "container.id":
		return fContainerID
	case "container.full_id":
		return fContainerFullID
	case "container.name":
		return fContainerName
	case "container.image":
		return fImage
	case "container.image.repository":
		return fRepository
	case "container.image.tag":
		return fTag
	case "container.image.digest":
		return fDigest
	case "k8s.pod.name":
		return fPod
	case "k8s.ns.name":
		return fNamespace
	case "evt.type":
		return fEvtType
	case "evt.time", "evt.time.iso8601":
		return fEvtTime
	case "evt.arg.pathname", "evt.arg.path", "evt.arg.name", "evt.arg.filename", "evt.arg.newpath", "evt.arg.linkpath":
		return fArgPath
	case "evt.arg.oldpath", "evt.arg.target":
		return fArgOldPath
	case "evt.arg.mode":
		return fArgMode
	case "evt.arg.uid":
		return fArgUID
	case "fs.path.name":
		return fFsPath
	case "fs.path.target":
		return fFsTarget
	case "fs.path.source":
		return fFsSource
	case "fd.name":
		return fFdName
	case "fd.type":
		return fFdType
	case "fd.cip":
		return fCIP
	case "fd.sip":
		return fSIP
	case "fd.lip":
		return fLIP
	case "fd.rip":
		return fRIP
	case "fd.cport":
		return fCPort
	case "fd.sport":
		return fSPort
	case "fd.lport":
		return fLPort
	case "fd.rport":
		return fRPort
	}
	return fNone
}

// falcoFields are the output fields an alert carries: the texts made strings as they are read, once
// (most are asked for more than once, and most are absent), the numbers kept as nodes.
type falcoFields struct {
	text    [fPID][]byte
	nums    [numFalcoFields - fPID]record.Node
	argPath []byte
	evtTime record.Node
	// tuple is fd.name's connection tuple, split once by family
	tuple    tupleEnds
	hasTuple bool
}

// falco maps a Falco alert (JSON output: rule, priority, output, output_fields, hostname, time).
// Every alert is a rule's: a policy violation that Falco reported and did not block (Audit).
func (m *Mapper) falco(rec *record.Event, d *draft) {
	var b falcoBody
	b.read(rec.Body())
	var f falcoFields
	f.read(b.fields)
	fam := f.family()

	d.setBytes(FieldEventID, violationIDs[fam.kind])
	d.setBytes(FieldStatus, statusAudit)
	m.falcoProcess(&b, &f, d)
	switch fam.kind {
	case kindProcess:
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldPath, orElse(f.str(fExePath), f.str(fExe)))
	case kindFile:
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldPath, orElse(f.str(fFsTarget), f.str(fFsPath), f.str(fFdName), f.argPath))
		d.setBytes(FieldOldPath, orElse(f.str(fFsSource), f.str(fArgOldPath)))
		d.setBytes(FieldFileMode, f.str(fArgMode))
		d.set(FieldNewOwner, f.scalar(fArgUID))
	case kindNetwork:
		f.connection(fam.act(), d)
	}
	m.falcoAlert(&b, &f, d)
}

// falcoBody are the keys of an alert the mapping reads, the first of a repeated key.
type falcoBody struct {
	fields, hostname, priority, rule, output, time record.Node
}

func (b *falcoBody) read(body []record.Field) {
	for i := range body {
		v := body[i].Raw
		switch string(body[i].Key) {
		case "output_fields":
			keepFirst(&b.fields, v)
		case "hostname":
			keepFirst(&b.hostname, v)
		case "priority":
			keepFirst(&b.priority, v)
		case "rule":
			keepFirst(&b.rule, v)
		case "output":
			keepFirst(&b.output, v)
		case "time":
			keepFirst(&b.time, v)
		}
	}
}

// read takes the output fields. A key given twice counts the last time, except the path and the
// time, which several keys give: the first of those wins.
func (f *falcoFields) read(fields record.Node) {
	w := fields.WalkPairs()
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		switch i := falcoField(k); {
		case i < fPID:
			f.text[i] = walkStr(&w)
		case i < numFalcoFields:
			f.nums[i-fPID] = w.Value()
		case i == fArgPath:
			if f.argPath == nil {
				f.argPath = walkStr(&w)
			}
		case i == fEvtTime:
			f.evtTime = orNode(f.evtTime, w.Value())
		} // fNone: stepped over by the next Key
	}
}

// walkStr is the string at which w is, none for "<NA>", as str reads a node (Walk.Str reads a fixstr
// once, where Value then Node.Str read its type byte twice).
func walkStr(w *record.Walk) []byte {
	if s, ok := w.Str(); ok && string(s) != "<NA>" {
		return s
	}
	return nil
}

// str is the string of output field i, a text, none for "<NA>".
func (f *falcoFields) str(i int) []byte { return f.text[i] }

// scalar is the scalar value of output field i, a number, "<NA>" taken as none. Most are absent
// from an alert: they are told without a call.
func (f *falcoFields) scalar(i int) record.Value {
	n := f.nums[i-fPID]
	if len(n.Bytes()) == 0 {
		return record.Value{}
	}
	return scalar(n)
}

// family classifies the alert by its system call when that starts a process; otherwise a socket
// among its fields makes it a network alert, then a file a file alert, then the system call decides.
func (f *falcoFields) family() family {
	fam := familyOf(f.str(fEvtType))
	if fam.known && fam.kind == kindProcess {
		return fam
	}
	fdName, fdType := f.str(fFdName), f.str(fFdType)
	f.tuple, f.hasTuple = tuple(fdName)
	switch {
	case f.hasTuple || string(fdType) == "ipv4" || string(fdType) == "ipv6" ||
		f.str(fCIP) != nil || f.str(fSIP) != nil || f.str(fLIP) != nil || f.str(fRIP) != nil:
		fam.kind = kindNetwork
	case f.str(fFsPath) != nil || f.str(fFsTarget) != nil || f.argPath != nil || fdName != nil:
		fam.kind = kindFile
	}
	return fam
}

// tupleArrow separates the two ends of a connection in fd.name.
var tupleArrow = []byte("->")

// tupleEnds are the client's and the server's host and port in a connection tuple.
type tupleEnds struct{ ch, cp, sh, sp []byte }

// tuple splits an fd.name that is a connection tuple, client:port->server:port; ok is false for any
// other, a unix socket's ("ffff9a4a2b6d2000->ffff9a4a2b6d2400 /run/containerd/containerd.sock") too.
func tuple(fdName []byte) (t tupleEnds, ok bool) {
	i := bytes.Index(fdName, tupleArrow)
	if i < 0 {
		return t, false
	}
	t.ch, t.cp = splitHostPort(fdName[:i])
	t.sh, t.sp = splitHostPort(fdName[i+len(tupleArrow):])
	return t, isPort(t.cp) && isPort(t.sp)
}

// isPort reports the digits of a port.
func isPort(b []byte) bool {
	if len(b) == 0 || len(b) > 5 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// falcoProcess maps what every alert says of the process, its user and where it runs.
func (m *Mapper) falcoProcess(b *falcoBody, f *falcoFields, d *draft) {
	d.set(FieldPID, f.scalar(fPID))
	d.set(FieldPPID, f.scalar(fPPID))
	d.set(FieldEUID, f.scalar(fUID))
	d.set(FieldEGID, f.scalar(fGID))
	d.setBytes(FieldUser, f.str(fUserName))
	d.setBytes(FieldProcess, f.str(fProcName))
	d.setBytes(FieldCommand, f.str(fCmdline))
	if id := orElse(f.str(fContainerFullID), f.str(fContainerID)); string(id) != "host" {
		d.setBytes(FieldContainerID, containerID(id))
	}
	if name := f.str(fContainerName); string(name) != "host" {
		d.setBytes(FieldContainer, name)
	}
	if image := f.str(fImage); image != nil {
		d.setBytes(FieldImage, image)
	} else {
		d.setBytes(FieldImage, m.join(":", f.str(fRepository), f.str(fTag)))
	}
	d.setBytes(FieldImageHash, f.str(fDigest))
	d.setBytes(FieldPod, f.str(fPod))
	d.setBytes(FieldNamespace, f.str(fNamespace))
	d.setBytes(FieldNode, str(b.hostname))
}

// connection maps the two ends of a socket. fd.name is client:port->server:port, and the client is
// the connection's source whichever side the process is on; with only the local and remote ends,
// the direction says which is the source.
func (f *falcoFields) connection(act []byte, d *draft) {
	cip, sip := f.str(fCIP), f.str(fSIP)
	cport, sport := f.scalar(fCPort), f.scalar(fSPort)
	if t := &f.tuple; f.hasTuple {
		cip, sip = orElse(cip, t.ch), orElse(sip, t.sh)
		if cport.IsZero() {
			cport = record.String(t.cp)
		}
		if sport.IsZero() {
			sport = record.String(t.sp)
		}
	}
	if cip == nil && sip == nil {
		lip, lport, rip, rport := f.str(fLIP), f.scalar(fLPort), f.str(fRIP), f.scalar(fRPort)
		if bytes.Equal(act, actIngress) {
			cip, cport, sip, sport = rip, rport, lip, lport
		} else {
			cip, cport, sip, sport = lip, lport, rip, rport
		}
	}
	d.setConnection(act, cip, cport, sip, sport)
}

// falcoAlert maps what the alert says of itself: its priority, rule and text, and its time (the
// alert's, else the event's).
func (m *Mapper) falcoAlert(b *falcoBody, f *falcoFields, d *draft) {
	priority := str(b.priority)
	if s, ok := falcoSeverity(priority); ok {
		d.sensorSeverity = s
	}
	rule := str(b.rule)
	d.setBytes(FieldMessage, m.join(": ", rule, falcoOutput(str(b.output), priority)))
	if t, ok := parseTime(str(b.time)); ok {
		d.time = t
	} else if t, ok := nanoTime(f.evtTime); ok {
		d.time = t
	}
}

// falcoSeverity is the severity of a priority, in any case. Only the names of its length are
// compared: none has a k or an s, the letters whose other case (K, ſ) is longer in UTF-8.
func falcoSeverity(priority []byte) (int, bool) {
	for _, p := range falcoPriorities {
		if len(p.name) == len(priority) && bytes.EqualFold(priority, []byte(p.name)) {
			return p.severity, true
		}
	}
	return 0, false
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
