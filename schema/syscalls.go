package schema

import (
	"bytes"
	"strings"
	"time"
	"unsafe"

	"github.com/kcs-siem/siem-cef/record"
)

// kind is what a sensor's event is about: a process, a file or a connection.
type kind uint8

const (
	kindProcess kind = iota
	kindFile
	kindNetwork
	numKinds // the tables by kind have an entry for each: TestEveryKindHasItsEntries
)

// The event IDs written for the sensors' events: a rule alert is a policy violation (FPM, FFM,
// FNT), a plain observation is not (PM, FM, NT). Each type has the one ID -001.
var (
	violationIDs   = [numKinds][]byte{kindProcess: []byte("FPM-001"), kindFile: []byte("FFM-001"), kindNetwork: []byte("FNT-001")}
	observationIDs = [numKinds][]byte{kindProcess: []byte("PM-001"), kindFile: []byte("FM-001"), kindNetwork: []byte("NT-001")}
)

// The operations of docs/events.md §5 (act).
var (
	actExec    = []byte("exec")
	actOpen    = []byte("open")
	actClose   = []byte("close")
	actRead    = []byte("read")
	actWrite   = []byte("write")
	actCreate  = []byte("create")
	actDelete  = []byte("delete")
	actChmod   = []byte("chmod")
	actChown   = []byte("chown")
	actRename  = []byte("rename")
	actEgress  = []byte("egress")
	actIngress = []byte("ingress")
)

// op is what a system call, an LSM hook or a kernel function named by a sensor does.
type op struct {
	kind kind
	act  []byte // nil when the operation is none of docs/events.md §5's
}

// opNames names the system calls (Falco's evt.type, Tracee's syscall events), Tracee's LSM and
// kernel events and the kernel functions Tetragon's kprobes hook, and ops says what each does (by
// its index in opNames, the Slot opKeys gives the name: a hash instead of a Go map's). read and
// write are file operations; on a socket they become ingress and egress.
var (
	opNames []string
	ops     []op
	opKeys  *record.Keys
)

func init() {
	add := func(k kind, act []byte, names ...string) {
		for _, n := range names {
			opNames = append(opNames, n)
			ops = append(ops, op{k, act})
			// An LSM hook is also named without its prefix (Tetragon's process_lsm: file_open).
			if hook, ok := strings.CutPrefix(n, "security_"); ok {
				opNames = append(opNames, hook)
				ops = append(ops, op{k, act})
			}
		}
	}
	add(kindProcess, actExec, "execve", "execveat", "sched_process_exec", "security_bprm_check",
		"process_execute_failed", "bprm_execve", "security_bprm_creds_for_exec", "sys_execve")
	add(kindFile, actOpen, "open", "openat", "openat2", "open_by_handle_at", "security_file_open", "fd_install")
	add(kindFile, actCreate, "creat", "mkdir", "mkdirat", "mknod", "mknodat", "symlink", "symlinkat",
		"link", "linkat", "security_inode_mknod", "security_inode_symlink", "security_inode_mkdir",
		"security_inode_create", "security_path_mkdir", "security_path_mknod", "security_path_symlink")
	add(kindFile, actDelete, "unlink", "unlinkat", "rmdir", "security_inode_unlink", "security_inode_rmdir",
		"security_path_unlink", "security_path_rmdir")
	add(kindFile, actRename, "rename", "renameat", "renameat2", "security_inode_rename", "security_path_rename")
	add(kindFile, actChmod, "chmod", "fchmod", "fchmodat", "fchmodat2", "chmod_common", "security_path_chmod")
	add(kindFile, actChown, "chown", "fchown", "fchownat", "lchown", "chown_common", "security_path_chown")
	add(kindFile, actRead, "read", "pread", "pread64", "readv", "preadv", "preadv2", "vfs_read", "vfs_readv")
	add(kindFile, actWrite, "write", "pwrite", "pwrite64", "writev", "pwritev", "pwritev2", "vfs_write",
		"vfs_writev", "magic_write")
	add(kindFile, actClose, "close", "close_range")
	add(kindNetwork, actEgress, "connect", "sendto", "sendmsg", "sendmmsg", "security_socket_connect",
		"tcp_connect", "tcp_sendmsg", "udp_sendmsg", "net_tcp_connect")
	add(kindNetwork, actIngress, "accept", "accept4", "listen", "bind", "recvfrom", "recvmsg", "recvmmsg",
		"security_socket_accept", "security_socket_listen", "security_socket_bind", "inet_csk_accept",
		"tcp_recvmsg", "udp_recvmsg")
	add(kindNetwork, nil, "socket", "tcp_close", "security_socket_create", "shutdown")
	opKeys = record.NewKeys(opNames...)
}

// family is what a sensor's event is about and the operation that named it, when the table knows
// that name. Each sensor reads its fields, classifies the event into a family, then maps it by
// family.
type family struct {
	kind  kind
	op    op
	known bool // op is the table's entry for the event's operation
}

// familyOf classifies an event by the name of its operation (a system call, a hook, a kernel
// function); an unknown name gives a process event, which the sensor's own fields may change.
func familyOf(name []byte) family {
	i := opKeys.Index(name)
	if i < 0 {
		return family{} // a process's
	}
	return family{kind: ops[i].kind, op: ops[i], known: true}
}

// act is the operation written in act: the known operation when it is of the family's kind, or on
// a socket the traffic it makes; else none.
func (f family) act() []byte {
	switch {
	case !f.known:
		return nil
	case f.kind == kindNetwork:
		return f.op.flowAct()
	case f.op.kind == f.kind:
		return f.op.act
	}
	return nil
}

// flowAct is the traffic operation of a read or write on a socket.
func (o op) flowAct() []byte {
	switch {
	case o.kind == kindNetwork:
		return o.act
	case bytes.Equal(o.act, actRead):
		return actIngress
	case bytes.Equal(o.act, actWrite):
		return actEgress
	}
	return nil
}

// parseTime reads an RFC 3339 time as the sensors write it.
func parseTime(b []byte) (time.Time, bool) {
	// RFC 3339 text is at most 35 bytes ("2006-01-02T15:04:05.999999999-07:00"); a longer one is
	// none, refused before time.Parse, whose error copies the text twice.
	if len(b) == 0 || len(b) > 64 {
		return time.Time{}, false
	}
	// The string does not outlive the call on success; on failure only the error, discarded, copies it.
	t, err := time.Parse(time.RFC3339Nano, unsafe.String(&b[0], len(b)))
	return t, err == nil
}

// nanoTime reads a time in nanoseconds since the epoch, a number or an RFC 3339 string.
func nanoTime(n record.Node) (time.Time, bool) { return nanoTimeOf(n.Value()) }

// nanoTimeOf is nanoTime of a value the decoder read.
func nanoTimeOf(v record.Value) (time.Time, bool) {
	switch v.Kind {
	case record.KindString:
		return parseTime(v.Bytes)
	case record.KindNone:
		return time.Time{}, false
	}
	// Below 10^18 ns (2001-09-09) a count is no wall-clock time: Tracee's relative-time option
	// writes the nanoseconds since its start. The caller keeps Fluent Bit's timestamp then.
	if ns, ok := v.AsInt(); ok && ns >= 1e18 {
		return time.Unix(0, ns), true
	}
	return time.Time{}, false
}

// splitHostPort splits "10.0.0.1:80", "[2001:db8::1]:80" or "2001:db8::1:80" at its last colon.
func splitHostPort(b []byte) (host, port []byte) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 {
		return b, nil
	}
	host, port = b[:i], b[i+1:]
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, port
}
