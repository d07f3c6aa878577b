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

// tetragon maps an event of Tetragon's JSON export: process_exec, process_exit and process_loader
// are plain observations (PM); process_kprobe, process_tracepoint, process_uprobe, process_lsm and
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
	case "process_loader": // a process loaded a file (a library): an observation of the process
		loaded := str(ev.path)
		d.setBytes(FieldEventID, observationIDs[kindProcess])
		d.setBytes(FieldStatus, statusOther)
		d.setBytes(FieldPath, orElse(loaded, binary))
		d.setBytes(FieldMessage, m.join(" ", name, binary, loaded))
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

// tetragonKeys are the keys of an event that the mapping reads. The process, its parent and the
// arguments are read as the event's walk meets them (record.Walk): their bytes are read once.
type tetragonKeys struct {
	process                               tetragonProcessKeys
	ppid                                  record.Node // the parent's pid
	args                                  tetragonArgs
	signal, status                        record.Node
	function, event, symbol, name         record.Node // what the policy hooked
	action, returnAction, policy, message record.Node
	path                                  record.Node // process_loader's: the file loaded
	entered                               uint8       // the keys met of those entered (firstKey)
}

// The keys that are entered rather than kept, as bits of the entered set of the map that holds
// them: each set has its own bits.
const ( // tetragonKeys.entered: the event's
	keyProcess uint8 = 1 << iota
	keyParent
	keyArgs
)

const ( // tetragonProcessKeys.entered: the process's
	keyCreds uint8 = 1 << iota
	keyUser
	keyPod
)

const ( // tetragonPodKeys.entered: the pod's and its container's
	keyContainer uint8 = 1 << iota
	keyImage
)

// read takes the keys of the event's map, the first of a repeated key.
func (ev *tetragonKeys) read(m record.Node) {
	w := m.WalkPairs()
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		switch string(k) {
		case "process":
			if firstKey(&ev.entered, keyProcess) {
				if outer, ok := w.EnterMap(); ok {
					ev.process.read(&w)
					w.Leave(outer)
				}
			}
		case "parent":
			if firstKey(&ev.entered, keyParent) {
				enterKeys(&w, []string{"pid"}, &ev.ppid)
			}
		case "args":
			if firstKey(&ev.entered, keyArgs) {
				if outer, ok := w.EnterArray(); ok {
					ev.args.read(&w)
					w.Leave(outer)
				}
			}
		case "signal":
			keepFirst(&ev.signal, w.Value())
		case "status":
			keepFirst(&ev.status, w.Value())
		case "function_name":
			keepFirst(&ev.function, w.Value())
		case "event":
			keepFirst(&ev.event, w.Value())
		case "symbol":
			keepFirst(&ev.symbol, w.Value())
		case "name":
			keepFirst(&ev.name, w.Value())
		case "action":
			keepFirst(&ev.action, w.Value())
		case "return_action":
			keepFirst(&ev.returnAction, w.Value())
		case "policy_name":
			keepFirst(&ev.policy, w.Value())
		case "message":
			keepFirst(&ev.message, w.Value())
		case "path":
			keepFirst(&ev.path, w.Value())
		}
	}
}

// tetragonProcess maps what every event says of the process, its user and where it runs, and
// returns the process's binary and arguments.
func (m *Mapper) tetragonProcess(b *tetragonBody, ev *tetragonKeys, d *draft) (binary, args []byte) {
	p := &ev.process
	binary, args = str(p.binary), str(p.arguments)
	d.set(FieldPID, scalar(p.pid))
	d.set(FieldPPID, scalar(ev.ppid))
	d.set(FieldEUID, scalar(p.euid))
	d.set(FieldEUID, scalar(p.uid)) // the effective UID, when credentials are not exported
	d.set(FieldEGID, scalar(p.egid))
	d.setBytes(FieldUser, str(p.user))
	d.setBytes(FieldProcess, basename(binary))
	d.setBytes(FieldCommand, m.join(" ", binary, args))
	p.pod.set(d)
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
	pid, uid, binary, arguments, docker record.Node
	euid, egid                          record.Node // of process_credentials
	user                                record.Node // the user's name
	pod                                 tetragonPodKeys
	entered                             uint8
}

// read takes the keys of the process's map, the first of a repeated key.
func (p *tetragonProcessKeys) read(w *record.Walk) {
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		switch string(k) {
		case "pid":
			keepFirst(&p.pid, w.Value())
		case "process_credentials":
			if firstKey(&p.entered, keyCreds) {
				enterKeys(w, []string{"euid", "egid"}, &p.euid, &p.egid)
			}
		case "uid":
			keepFirst(&p.uid, w.Value())
		case "user":
			if firstKey(&p.entered, keyUser) {
				enterKeys(w, []string{"name"}, &p.user)
			}
		case "binary":
			keepFirst(&p.binary, w.Value())
		case "arguments":
			keepFirst(&p.arguments, w.Value())
		case "pod":
			if firstKey(&p.entered, keyPod) {
				if outer, ok := w.EnterMap(); ok {
					p.pod.read(w)
					w.Leave(outer)
				}
			}
		case "docker":
			keepFirst(&p.docker, w.Value())
		}
	}
}

// tetragonPodKeys are the keys of the pod, its container and the container's image that the
// mapping reads.
type tetragonPodKeys struct {
	name, namespace, ctrName, ctrID, imageName, imageID record.Node
	entered                                             uint8
}

// read takes the pod's keys, the first of a repeated key, up to the last it needs.
func (p *tetragonPodKeys) read(w *record.Walk) {
	for left := 3; left > 0; {
		k, ok := w.Key()
		if !ok {
			return
		}
		switch string(k) {
		case "name":
			left -= keepFirstCount(&p.name, w)
		case "namespace":
			left -= keepFirstCount(&p.namespace, w)
		case "container":
			if firstKey(&p.entered, keyContainer) {
				left--
				if outer, ok := w.EnterMap(); ok {
					p.readContainer(w)
					w.Leave(outer)
				}
			}
		}
	}
}

// readContainer takes the container's keys, the first of a repeated key, up to the last it needs.
func (p *tetragonPodKeys) readContainer(w *record.Walk) {
	for left := 3; left > 0; {
		k, ok := w.Key()
		if !ok {
			return
		}
		switch string(k) {
		case "name":
			left -= keepFirstCount(&p.ctrName, w)
		case "id":
			left -= keepFirstCount(&p.ctrID, w)
		case "image":
			if firstKey(&p.entered, keyImage) {
				left--
				enterKeys(w, []string{"name", "id"}, &p.imageName, &p.imageID)
			}
		}
	}
}

// keepFirstCount takes the value at which w is into *n unless n holds one already, and counts it.
func keepFirstCount(n *record.Node, w *record.Walk) int {
	if n.Kind() != record.NodeAbsent {
		return 0
	}
	*n = w.Value()
	return 1
}

// set maps the pod, its container and the container's image.
func (p *tetragonPodKeys) set(d *draft) {
	d.setBytes(FieldPod, str(p.name))
	d.setBytes(FieldNamespace, str(p.namespace))
	d.setBytes(FieldContainer, str(p.ctrName))
	d.setBytes(FieldContainerID, containerID(str(p.ctrID)))
	d.setBytes(FieldImage, str(p.imageName))
	if id := str(p.imageID); id != nil { // registry/repository@sha256:…
		if at := lastIndexByte(id, '@'); at >= 0 {
			d.setBytes(FieldImageHash, id[at+1:])
		}
	}
}

// lastIndexByte is bytes.LastIndexByte, found by bytes.IndexByte when c is in b once at most (an
// image's reference: long, with one '@'), which looks at many bytes at once where LastIndexByte
// looks at one; a b with more falls back to LastIndexByte, so that no content costs a call per byte.
func lastIndexByte(b []byte, c byte) int {
	i := bytes.IndexByte(b, c)
	if i < 0 || bytes.IndexByte(b[i+1:], c) < 0 {
		return i
	}
	return bytes.LastIndexByte(b, c)
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
	// text is the first string_arg: a system call's path (openat's), taken for a file event
	// that no file or path argument names; lastText the last. Of two (renameat's, linkat's,
	// symlinkat's), the first is the existing file, the last the path made.
	text, lastText []byte
	texts          int
	sport, dport   record.Value
	sock, exec     bool
	// sockaddr: the socket is a sockaddr_arg's address, the destination whatever the direction (a
	// connect's far end, a bind's near one)
	sockaddr bool
}

// read takes the arguments from the walk of their array; the first socket and the first path win.
func (a *tetragonArgs) read(w *record.Walk) {
	for outer, ok := w.EnterElemMap(); ok; outer, ok = w.EnterElemMap() {
		a.readArg(w)
		w.Leave(outer)
	}
}

// readArg takes one argument, a map whose key says its type.
func (a *tetragonArgs) readArg(arg *record.Walk) {
	var sockArg, skbArg, sockaddrArg, fileArg, pathArg, binprmArg, stringArg record.Node
	walkKeys(arg, []string{"sock_arg", "skb_arg", "sockaddr_arg", "file_arg", "path_arg", "linux_binprm_arg", "string_arg"},
		&sockArg, &skbArg, &sockaddrArg, &fileArg, &pathArg, &binprmArg, &stringArg)
	switch {
	case stringArg.Kind() == record.NodeString:
		if a.text == nil {
			a.text = str(stringArg)
		}
		a.lastText = str(stringArg)
		a.texts++
	case sockArg.Kind() == record.NodeMap || skbArg.Kind() == record.NodeMap:
		if !a.sock {
			a.readSocket(orMap(sockArg, skbArg))
		}
		a.sock = true
	case sockaddrArg.Kind() == record.NodeMap:
		if !a.sock {
			var addr, port record.Node
			getKeys(sockaddrArg, []string{"addr", "port"}, &addr, &port)
			a.daddr, a.dport, a.sockaddr = str(addr), scalar(port), true
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
	a := &ev.args
	fam := a.family(syscallName(fn))

	d.setBytes(FieldEventID, violationIDs[fam.kind])
	d.setBytes(FieldStatus, tetragonStatus(ev))
	switch fam.kind {
	case kindNetwork:
		a.connection(fam.act(), d)
	case kindFile:
		d.setBytes(FieldOperation, fam.act())
		if a.path == nil && a.texts > 1 { // a path made from another
			d.setBytes(FieldPath, a.lastText)
			d.setBytes(FieldOldPath, a.text)
		}
		d.setBytes(FieldPath, orElse(a.path, a.text))
		d.setBytes(FieldFileMode, a.mode)
	case kindProcess:
		act := fam.act()
		if a.exec {
			act = actExec
		}
		d.setBytes(FieldOperation, act)
		d.setBytes(FieldPath, orElse(a.path, binary))
	}
	msg := str(ev.message)
	if len(msg) == 0 { // the hook's name is joined only when the policy gave no message
		msg = m.join(" ", name, fn)
	}
	d.setBytes(FieldMessage, m.join(": ", str(ev.policy), msg))
}

// syscallPrefixes are what Tetragon puts before a system call's name in the symbol a kprobe hooks
// (__x64_sys_openat): the architecture's, then sys_.
var syscallPrefixes = [...]string{"__x64_", "__arm64_", "__ia32_", "__s390x_", "__riscv_"}

// syscallName is the system call a hooked symbol names (__x64_sys_openat: openat), else the symbol.
func syscallName(fn []byte) []byte {
	if len(fn) < 2 || fn[0] != '_' || fn[1] != '_' {
		return fn // the usual symbol, told without a look at each prefix
	}
	for _, p := range syscallPrefixes {
		if rest, ok := bytes.CutPrefix(fn, []byte(p)); ok {
			return bytes.TrimPrefix(rest, []byte("sys_"))
		}
	}
	return fn
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
// source is the remote one. A sockaddr_arg's address stays the destination.
func (a *tetragonArgs) connection(act []byte, d *draft) {
	if bytes.Equal(act, actIngress) && !a.sockaddr {
		a.saddr, a.daddr, a.sport, a.dport = a.daddr, a.saddr, a.dport, a.sport
	}
	d.setConnection(act, a.saddr, a.sport, a.daddr, a.dport)
}
