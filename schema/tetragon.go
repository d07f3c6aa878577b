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
	var name []byte
	var ev record.Node
	body := rec.Body()
	for i := range body {
		if isTetragonEvent(body[i].Key) && body[i].Raw.Kind() == record.NodeMap {
			name, ev = body[i].Key, body[i].Raw
			break
		}
	}
	proc, parent := ev.Get("process"), ev.Get("parent")

	d.set(FieldPID, scalar(proc.Get("pid")))
	d.set(FieldPPID, scalar(parent.Get("pid")))
	creds := proc.Get("process_credentials")
	d.set(FieldEUID, scalar(creds.Get("euid")))
	d.set(FieldEUID, scalar(proc.Get("uid"))) // the effective UID, when credentials are not exported
	d.set(FieldEGID, scalar(creds.Get("egid")))
	d.setBytes(FieldUser, str(proc.Get("user").Get("name")))
	binary, args := str(proc.Get("binary")), str(proc.Get("arguments"))
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
		// the message ends with how the process ended: the signal that killed it, or its status
		start := len(m.buf)
		m.join(" ", name, binary, args)
		if sig := str(ev.Get("signal")); sig != nil {
			m.buf = append(append(m.buf, " signal "...), sig...)
		} else if code, ok := scalar(ev.Get("status")).AsInt(); ok && code != 0 {
			m.buf = strconv.AppendInt(append(m.buf, " status "...), code, 10)
		}
		d.setBytes(FieldMessage, m.buf[start:len(m.buf):len(m.buf)])
	default:
		m.tetragonPolicy(name, ev, binary, d)
	}
}

// tetragonPolicy maps a policy's hook event: what it is about comes from its arguments (a socket,
// a file or path, a program being executed) and the hooked function.
func (m *Mapper) tetragonPolicy(name []byte, ev record.Node, binary []byte, d *draft) {
	fn := orElse(str(ev.Get("function_name")), str(ev.Get("event")), str(ev.Get("symbol")), str(ev.Get("name")))
	o, known := lookupOp(fn)
	k := kindProcess
	if known {
		k = o.kind
	}
	var path, mode, saddr, daddr []byte
	var sport, dport record.Value
	sock, exec := false, false
	it := ev.Get("args").Elems()
	for {
		a, ok := it.NextElem()
		if !ok {
			break
		}
		switch {
		case a.Get("sock_arg").Kind() == record.NodeMap || a.Get("skb_arg").Kind() == record.NodeMap:
			s := a.Get("sock_arg")
			if s.Kind() != record.NodeMap {
				s = a.Get("skb_arg")
			}
			if !sock {
				saddr, daddr = str(s.Get("saddr")), str(s.Get("daddr"))
				sport, dport = scalar(s.Get("sport")), scalar(s.Get("dport"))
			}
			sock = true
		case a.Get("sockaddr_arg").Kind() == record.NodeMap:
			if !sock {
				daddr, dport = str(a.Get("sockaddr_arg").Get("addr")), scalar(a.Get("sockaddr_arg").Get("port"))
			}
			sock = true
		case a.Get("file_arg").Kind() == record.NodeMap || a.Get("path_arg").Kind() == record.NodeMap:
			fa := a.Get("file_arg")
			if fa.Kind() != record.NodeMap {
				fa = a.Get("path_arg")
			}
			if path == nil {
				path, mode = str(fa.Get("path")), str(fa.Get("permission"))
			}
		case a.Get("linux_binprm_arg").Kind() == record.NodeMap:
			if path == nil {
				path = str(a.Get("linux_binprm_arg").Get("path"))
			}
			exec = true
		}
	}
	switch {
	case sock:
		k = kindNetwork
	case exec:
		k = kindProcess
	case path != nil && !known:
		k = kindFile
	}

	d.setBytes(FieldEventID, violationIDs[k])
	d.setBytes(FieldStatus, statusAudit)
	action, returnAction := str(ev.Get("action")), str(ev.Get("return_action"))
	for _, e := range tetragonEnforcing {
		if string(action) == e || string(returnAction) == e {
			d.put(FieldStatus, record.String(statusEnforce))
		}
	}
	switch k {
	case kindNetwork:
		act := o.flowAct()
		if !known {
			act = nil
		}
		d.setBytes(FieldOperation, act)
		// saddr is the local end of the socket: on an accepted connection the source is the remote.
		if bytes.Equal(act, actIngress) {
			saddr, daddr, sport, dport = daddr, saddr, dport, sport
		}
		d.setBytes(FieldSrcIP, saddr)
		d.set(FieldSrcPort, sport)
		d.setBytes(FieldDstIP, daddr)
		d.set(FieldDstPort, dport)
	case kindFile:
		if known {
			d.setBytes(FieldOperation, o.act)
		}
		d.setBytes(FieldPath, path)
		d.setBytes(FieldFileMode, mode)
	default:
		if exec || known && o.kind == kindProcess {
			d.setBytes(FieldOperation, actExec)
		}
		d.setBytes(FieldPath, orElse(path, binary))
	}
	policy := str(ev.Get("policy_name"))
	d.setBytes(FieldMessage, m.join(": ", policy, orElse(str(ev.Get("message")), m.join(" ", name, fn))))
}
