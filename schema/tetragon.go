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
	var b tetragonBody
	b.read(rec)
	name := b.name
	var ev tetragonKeys
	ev.read(b.event)
	binary, args := m.tetragonProcess(&b, &ev, d)
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
		d.setBytes(FieldMessage, m.tetragonExit(name, binary, args, &ev))
	default:
		m.tetragonPolicy(name, &ev, binary, d)
	}
}

// tetragonBody are the keys of a record the mapping reads: the event it carries (the first key
// named as one that holds a map, and its name), and the first of the others.
type tetragonBody struct {
	name                     []byte
	event                    record.Node
	node, cluster, eventTime record.Node
}

// read walks the record's fields once for all of them.
func (b *tetragonBody) read(rec *record.Event) {
	body := rec.Body()
	for i := range body {
		f := &body[i]
		switch string(f.Key) {
		case "node_name":
			keepFirst(&b.node, f.Raw)
		case "cluster_name":
			keepFirst(&b.cluster, f.Raw)
		case "time":
			keepFirst(&b.eventTime, f.Raw)
		default:
			if b.name == nil && isTetragonEvent(rec, f) {
				b.name, b.event = f.Key, f.Raw
			}
		}
	}
}

// tetragonKeys are the keys of an event that the mapping reads.
type tetragonKeys struct {
	process, parent, args, signal, status record.Node
	function, event, symbol, name         record.Node // what the policy hooked
	action, returnAction, policy, message record.Node
}

// read takes the keys of the event's map, the first of a repeated key.
func (ev *tetragonKeys) read(m record.Node) {
	it := m.Pairs()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "process":
			keepFirst(&ev.process, v)
		case "parent":
			keepFirst(&ev.parent, v)
		case "args":
			keepFirst(&ev.args, v)
		case "signal":
			keepFirst(&ev.signal, v)
		case "status":
			keepFirst(&ev.status, v)
		case "function_name":
			keepFirst(&ev.function, v)
		case "event":
			keepFirst(&ev.event, v)
		case "symbol":
			keepFirst(&ev.symbol, v)
		case "name":
			keepFirst(&ev.name, v)
		case "action":
			keepFirst(&ev.action, v)
		case "return_action":
			keepFirst(&ev.returnAction, v)
		case "policy_name":
			keepFirst(&ev.policy, v)
		case "message":
			keepFirst(&ev.message, v)
		}
	}
}

// tetragonProcess maps what every event says of the process, its user and where it runs, and
// returns the process's binary and arguments.
func (m *Mapper) tetragonProcess(b *tetragonBody, ev *tetragonKeys, d *draft) (binary, args []byte) {
	var p tetragonProcessKeys
	p.read(ev.process)
	var euid, egid record.Node
	getKeys(p.creds, []string{"euid", "egid"}, &euid, &egid)
	binary, args = str(p.binary), str(p.arguments)
	d.set(FieldPID, scalar(p.pid))
	d.set(FieldPPID, scalar(ev.parent.Get("pid")))
	d.set(FieldEUID, scalar(euid))
	d.set(FieldEUID, scalar(p.uid)) // the effective UID, when credentials are not exported
	d.set(FieldEGID, scalar(egid))
	d.setBytes(FieldUser, str(p.user.Get("name")))
	d.setBytes(FieldProcess, basename(binary))
	d.setBytes(FieldCommand, m.join(" ", binary, args))
	tetragonPod(p.pod, d)
	d.setBytes(FieldContainerID, str(p.docker)) // its first digits, without Kubernetes
	d.setBytes(FieldNode, str(b.node))
	d.setBytes(FieldCluster, str(b.cluster))
	if t, ok := parseTime(str(b.eventTime)); ok {
		d.time = t
	}
	return binary, args
}

// tetragonProcessKeys are the keys of a process that the mapping reads: a process has a dozen more,
// told apart by a switch rather than compared with each of these.
type tetragonProcessKeys struct {
	pid, creds, uid, user, binary, arguments, pod, docker record.Node
}

// read takes the keys of the process's map, the first of a repeated key.
func (p *tetragonProcessKeys) read(m record.Node) {
	it := m.Pairs()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "pid":
			keepFirst(&p.pid, v)
		case "process_credentials":
			keepFirst(&p.creds, v)
		case "uid":
			keepFirst(&p.uid, v)
		case "user":
			keepFirst(&p.user, v)
		case "binary":
			keepFirst(&p.binary, v)
		case "arguments":
			keepFirst(&p.arguments, v)
		case "pod":
			keepFirst(&p.pod, v)
		case "docker":
			keepFirst(&p.docker, v)
		}
	}
}

// tetragonPod maps the pod, its container and the container's image.
func tetragonPod(pod record.Node, d *draft) {
	var podName, namespace, container, ctrName, ctrID, image, imageName, imageID record.Node
	getKeys(pod, []string{"name", "namespace", "container"}, &podName, &namespace, &container)
	getKeys(container, []string{"name", "id", "image"}, &ctrName, &ctrID, &image)
	getKeys(image, []string{"name", "id"}, &imageName, &imageID)
	d.setBytes(FieldPod, str(podName))
	d.setBytes(FieldNamespace, str(namespace))
	d.setBytes(FieldContainer, str(ctrName))
	d.setBytes(FieldContainerID, containerID(str(ctrID)))
	d.setBytes(FieldImage, str(imageName))
	if id := str(imageID); id != nil { // registry/repository@sha256:…
		if at := bytes.LastIndexByte(id, '@'); at >= 0 {
			d.setBytes(FieldImageHash, id[at+1:])
		}
	}
}

// tetragonExit is an exit's message, which ends with how the process ended: the signal that killed
// it, or its status.
func (m *Mapper) tetragonExit(name, binary, args []byte, ev *tetragonKeys) []byte {
	start := len(m.buf)
	m.join(" ", name, binary, args)
	if sig := str(ev.signal); sig != nil {
		m.buf = append(append(m.buf, " signal "...), sig...)
	} else if code, ok := scalar(ev.status).AsInt(); ok && code != 0 {
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
		a.readArg(arg)
	}
}

// readArg takes one argument, a map whose key says its type.
func (a *tetragonArgs) readArg(arg record.Node) {
	var sockArg, skbArg, sockaddrArg, fileArg, pathArg, binprmArg record.Node
	getKeys(arg, []string{"sock_arg", "skb_arg", "sockaddr_arg", "file_arg", "path_arg", "linux_binprm_arg"},
		&sockArg, &skbArg, &sockaddrArg, &fileArg, &pathArg, &binprmArg)
	switch {
	case sockArg.Kind() == record.NodeMap || skbArg.Kind() == record.NodeMap:
		if !a.sock {
			a.readSocket(orMap(sockArg, skbArg))
		}
		a.sock = true
	case sockaddrArg.Kind() == record.NodeMap:
		if !a.sock {
			var addr, port record.Node
			getKeys(sockaddrArg, []string{"addr", "port"}, &addr, &port)
			a.daddr, a.dport = str(addr), scalar(port)
		}
		a.sock = true
	case fileArg.Kind() == record.NodeMap || pathArg.Kind() == record.NodeMap:
		if a.path == nil {
			var path, permission record.Node
			getKeys(orMap(fileArg, pathArg), []string{"path", "permission"}, &path, &permission)
			a.path, a.mode = str(path), str(permission)
		}
	case binprmArg.Kind() == record.NodeMap:
		if a.path == nil {
			a.path = str(binprmArg.Get("path"))
		}
		a.exec = true
	}
}

// readSocket takes a socket's two ends (sock_arg, skb_arg).
func (a *tetragonArgs) readSocket(s record.Node) {
	var saddr, daddr, sport, dport record.Node
	getKeys(s, []string{"saddr", "daddr", "sport", "dport"}, &saddr, &daddr, &sport, &dport)
	a.saddr, a.daddr, a.sport, a.dport = str(saddr), str(daddr), scalar(sport), scalar(dport)
}

// orMap is n when it is a map, else alt.
func orMap(n, alt record.Node) record.Node {
	if n.Kind() != record.NodeMap {
		return alt
	}
	return n
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
func (m *Mapper) tetragonPolicy(name []byte, ev *tetragonKeys, binary []byte, d *draft) {
	fn := orElse(str(ev.function), str(ev.event), str(ev.symbol), str(ev.name))
	var a tetragonArgs
	a.read(ev.args)
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
	d.setBytes(FieldMessage, m.join(": ", str(ev.policy), orElse(str(ev.message), m.join(" ", name, fn))))
}

// tetragonStatus is Enforce when the policy's action stopped what it matched, else Audit.
func tetragonStatus(ev *tetragonKeys) []byte {
	action, returnAction := str(ev.action), str(ev.returnAction)
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
	d.setConnection(act, a.saddr, a.sport, a.daddr, a.dport)
}
