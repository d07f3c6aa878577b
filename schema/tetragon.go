package schema

import (
	"bytes"
	"strconv"

	"github.com/kcs-siem/siem-cef/record"
)

// tetragonEnforcing are the actions by which a Tetragon policy stops what it matched.
var tetragonEnforcing = [...]string{
	"KPROBE_ACTION_SIGKILL", "KPROBE_ACTION_OVERRIDE", "KPROBE_ACTION_SIGNAL", "KPROBE_ACTION_NOTIFYENFORCER",
}

// tetragon maps an event of Tetragon's JSON export: process_exec and process_exit are plain
// observations (PM); process_kprobe, process_tracepoint, process_uprobe, process_lsm and
// process_usdt come from a TracingPolicy that matched, and are policy violations (FPM, FFM, FNT),
// Enforce when the policy's action killed the process or overrode the call, else Audit.
func (m *Mapper) tetragon(rec *record.Event, d *draft) {
	name, ev := tetragonEventOf(rec)
	binary, args := m.tetragonProcess(rec, ev, d)
	switch string(name) {
	case "process_exec":
		d.setBytes(FieldEventID, observationIDs[kindProcess])
		d.setBytes(FieldStatus, statusOther)
		d.setBytes(FieldOperation, actExec)
		d.setBytes(FieldPath, binary)
		d.setBytes(FieldMessage, m.join(" ", name, binary, args))
	case "process_exit":
		d.setBytes(FieldEventID, observationIDs[kindProcess])
		d.setBytes(FieldStatus, statusOther)
		d.setBytes(FieldPath, binary)
		d.setBytes(FieldMessage, m.tetragonExit(name, binary, args, ev))
	default:
		m.tetragonPolicy(name, ev, binary, d)
	}
}

// tetragonEventOf is the event a record carries: the first key named as one that holds a map.
func tetragonEventOf(rec *record.Event) (name []byte, ev record.Node) {
	body := rec.Body()
	for i := range body {
		if isTetragonEvent(body[i].Key) && body[i].Raw.Kind() == record.NodeMap {
			return body[i].Key, body[i].Raw
		}
	}
	return nil, record.Node{}
}

// tetragonProcess maps what every event says of the process, its user and where it runs, and
// returns the process's binary and arguments.
func (m *Mapper) tetragonProcess(rec *record.Event, ev record.Node, d *draft) (binary, args []byte) {
	proc := ev.Get("process")
	d.set(FieldPID, scalar(proc.Get("pid")))
	d.set(FieldPPID, scalar(ev.Get("parent").Get("pid")))
	creds := proc.Get("process_credentials")
	d.set(FieldEUID, scalar(creds.Get("euid")))
	d.set(FieldEUID, scalar(proc.Get("uid"))) // the effective UID, when credentials are not exported
	d.set(FieldEGID, scalar(creds.Get("egid")))
	d.setBytes(FieldUser, str(proc.Get("user").Get("name")))
	binary, args = str(proc.Get("binary")), str(proc.Get("arguments"))
	d.setBytes(FieldProcess, basename(binary))
	d.setBytes(FieldCommand, m.join(" ", binary, args))

	pod := proc.Get("pod")
	container := pod.Get("container")
	d.setBytes(FieldPod, str(pod.Get("name")))
	d.setBytes(FieldNamespace, str(pod.Get("namespace")))
	d.setBytes(FieldContainer, str(container.Get("name")))
	d.setBytes(FieldContainerID, containerID(str(container.Get("id"))))
	d.setBytes(FieldContainerID, str(proc.Get("docker"))) // its first digits, without Kubernetes
	image := container.Get("image")
	d.setBytes(FieldImage, str(image.Get("name")))
	if id := str(image.Get("id")); id != nil { // registry/repository@sha256:…
		if at := bytes.LastIndexByte(id, '@'); at >= 0 {
			d.setBytes(FieldImageHash, id[at+1:])
		}
	}
	d.setBytes(FieldNode, str(rec.BodyNode("node_name")))
	d.setBytes(FieldCluster, str(rec.BodyNode("cluster_name")))
	if t, ok := parseTime(str(rec.BodyNode("time"))); ok {
		d.time = t
	}
	return binary, args
}

// tetragonExit is an exit's message, which ends with how the process ended: the signal that killed
// it, or its status.
func (m *Mapper) tetragonExit(name, binary, args []byte, ev record.Node) []byte {
	start := len(m.buf)
	m.join(" ", name, binary, args)
	if sig := str(ev.Get("signal")); sig != nil {
		m.buf = append(append(m.buf, " signal "...), sig...)
	} else if code, ok := scalar(ev.Get("status")).AsInt(); ok && code != 0 {
		m.buf = strconv.AppendInt(append(m.buf, " status "...), code, 10)
	}
	return m.buf[start:len(m.buf):len(m.buf)]
}

// tetragonArgs is what the arguments of a policy's hook event say the event is about: a socket, a
// file or path, a program being executed.
type tetragonArgs struct {
	path, mode, saddr, daddr []byte
	sport, dport             record.Value
	sock, exec               bool
}

// read takes the arguments; the first socket and the first path win.
func (a *tetragonArgs) read(args record.Node) {
	it := args.Elems()
	for {
		arg, ok := it.NextElem()
		if !ok {
			return
		}
		switch {
		case arg.Get("sock_arg").Kind() == record.NodeMap || arg.Get("skb_arg").Kind() == record.NodeMap:
			s := arg.Get("sock_arg")
			if s.Kind() != record.NodeMap {
				s = arg.Get("skb_arg")
			}
			if !a.sock {
				a.saddr, a.daddr = str(s.Get("saddr")), str(s.Get("daddr"))
				a.sport, a.dport = scalar(s.Get("sport")), scalar(s.Get("dport"))
			}
			a.sock = true
		case arg.Get("sockaddr_arg").Kind() == record.NodeMap:
			if !a.sock {
				sa := arg.Get("sockaddr_arg")
				a.daddr, a.dport = str(sa.Get("addr")), scalar(sa.Get("port"))
			}
			a.sock = true
		case arg.Get("file_arg").Kind() == record.NodeMap || arg.Get("path_arg").Kind() == record.NodeMap:
			fa := arg.Get("file_arg")
			if fa.Kind() != record.NodeMap {
				fa = arg.Get("path_arg")
			}
			if a.path == nil {
				a.path, a.mode = str(fa.Get("path")), str(fa.Get("permission"))
			}
		case arg.Get("linux_binprm_arg").Kind() == record.NodeMap:
			if a.path == nil {
				a.path = str(arg.Get("linux_binprm_arg").Get("path"))
			}
			a.exec = true
		}
	}
}

// family classifies a hook event by its arguments (a socket, a program being executed), else by
// the hooked function, else as a file event when an argument names a path.
func (a *tetragonArgs) family(fn []byte) family {
	fam := familyOf(fn)
	switch {
	case a.sock:
		fam.kind = kindNetwork
	case a.exec:
		fam.kind = kindProcess
	case a.path != nil && !fam.known:
		fam.kind = kindFile
	}
	return fam
}

// tetragonPolicy maps a policy's hook event: what it is about comes from its arguments and the
// hooked function.
func (m *Mapper) tetragonPolicy(name []byte, ev record.Node, binary []byte, d *draft) {
	fn := orElse(str(ev.Get("function_name")), str(ev.Get("event")), str(ev.Get("symbol")), str(ev.Get("name")))
	var a tetragonArgs
	a.read(ev.Get("args"))
	fam := a.family(fn)

	d.setBytes(FieldEventID, violationIDs[fam.kind])
	d.setBytes(FieldStatus, tetragonStatus(ev))
	switch fam.kind {
	case kindNetwork:
		a.connection(fam.act(), d)
	case kindFile:
		d.setBytes(FieldOperation, fam.act())
		d.setBytes(FieldPath, a.path)
		d.setBytes(FieldFileMode, a.mode)
	case kindProcess:
		act := fam.act()
		if a.exec {
			act = actExec
		}
		d.setBytes(FieldOperation, act)
		d.setBytes(FieldPath, orElse(a.path, binary))
	}
	policy := str(ev.Get("policy_name"))
	d.setBytes(FieldMessage, m.join(": ", policy, orElse(str(ev.Get("message")), m.join(" ", name, fn))))
}

// tetragonStatus is Enforce when the policy's action stopped what it matched, else Audit.
func tetragonStatus(ev record.Node) []byte {
	action, returnAction := str(ev.Get("action")), str(ev.Get("return_action"))
	for _, e := range tetragonEnforcing {
		if string(action) == e || string(returnAction) == e {
			return statusEnforce
		}
	}
	return statusAudit
}

// connection maps the socket's two ends. saddr is the local end: on an accepted connection the
// source is the remote one.
func (a *tetragonArgs) connection(act []byte, d *draft) {
	if bytes.Equal(act, actIngress) {
		a.saddr, a.daddr, a.sport, a.dport = a.daddr, a.saddr, a.dport, a.sport
	}
	d.setBytes(FieldOperation, act)
	d.setBytes(FieldSrcIP, a.saddr)
	d.set(FieldSrcPort, a.sport)
	d.setBytes(FieldDstIP, a.daddr)
	d.set(FieldDstPort, a.dport)
}
