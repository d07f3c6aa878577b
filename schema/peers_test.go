package schema

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)

// decodeBody decodes one record (a JSON text, or a value for the chunk writer) as the pipeline
// does, with the Merge_Log_Key falco and the mapping's Keys.
func decodeBody(t testing.TB, body any) *record.Event { return decodeWith(t, body, Keys()) }

// decodeWith decodes one record with the given keys; without them (nil) each key's slot is looked up
// by the mapping, as for an event built by hand.
func decodeWith(t testing.TB, body any, keys *record.Keys) *record.Event {
	t.Helper()
	if text, ok := body.(string); ok {
		var err error
		body, err = fbchunk.ParseJSON([]byte(text))
		require.NoError(t, err)
	}
	chunk, err := fbchunk.AppendEvent(nil, t0, body)
	require.NoError(t, err)
	d := record.NewDecoder().WithMergeLogKey("falco").WithKeys(keys)
	d.Reset(chunk)
	rec := new(record.Event)
	ok, err := d.Next(rec)
	require.NoError(t, err)
	require.True(t, ok)
	return rec
}

// line maps one record and returns its message without the syslog header, and the problems.
func line(t *testing.T, m *Mapper, body any) (string, []Problem) {
	t.Helper()
	ev := new(product.Event)
	problems := m.Map(decodeBody(t, body), ev, nil)
	return string(cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev))), problems
}

func cefLine(t *testing.T, m *Mapper, body any) string {
	t.Helper()
	got, problems := line(t, m, body)
	assert.Empty(t, problems)
	return got
}

// Each peer fixture is detected as its source.
func TestDetectFixtures(t *testing.T) {
	want := map[string]Sensor{
		"falco_exec_captured_0.41.json":                              SensorFalco,
		"falco_open_captured_0.41.json":                              SensorFalco,
		"fluentbit_tail_cri_k8s_falco_mergelog_off_constructed.json": SensorFalco,
		"fluentbit_k8s_falco_merge_log_key_constructed.json":         SensorFalco,
		"tetragon_process_exec_docs.json":                            SensorTetragon,
		"tetragon_kprobe_sigkill_constructed.json":                   SensorTetragon,
		"tracee_exec_k8s_constructed_v0.24.json":                     SensorTracee,
		"tracee_forward_signature_constructed.json":                  SensorTracee,
		"fluentbit_plain_log_line_k8s_constructed.json":              SensorKCS,
		"unknown_shape_constructed.json":                             SensorKCS,
	}
	files, err := filepath.Glob("../test/fixtures/peers/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(want), "a fixture without an expected source")
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Equal(t, want[filepath.Base(f)], Detect(decodeBody(t, string(b))), filepath.Base(f))
	}
}

func TestDetectFingerprints(t *testing.T) {
	for body, want := range map[string]Sensor{
		`{"output_fields":{},"rule":"r","priority":"Notice"}`:             SensorFalco,
		`{"output_fields":{},"rule":"r"}`:                                 SensorKCS,
		`{"output_fields":"x","rule":"r","priority":"Notice"}`:            SensorKCS,
		`{"process_exec":{"process":{}}}`:                                 SensorTetragon,
		`{"process_kprobe":{}}`:                                           SensorTetragon,
		`{"process_lsm":{},"node_name":"n"}`:                              SensorTetragon,
		`{"process_exec":"x"}`:                                            SensorKCS,
		`{"process_other":{}}`:                                            SensorKCS,
		`{"eventName":"openat","hostProcessId":1}`:                        SensorTracee,
		`{"eventName":"openat"}`:                                          SensorKCS,
		`{"event_id":"PM-001","pid":1}`:                                   SensorKCS,
		`{"log":"{\"eventName\":\"x\",\"hostProcessId\":1}"}`:             SensorTracee,
		`{"log":"not json","rule":"r","priority":"p","output_fields":{}}`: SensorFalco,
		// Tetragon before Falco before Tracee; the last output_fields counts.
		`{"output_fields":{},"rule":"r","priority":"p","process_exit":{}}`:                  SensorTetragon,
		`{"process_exec":"x","process_exit":{}}`:                                            SensorTetragon,
		`{"eventName":"e","hostProcessId":1,"rule":"r","priority":"p","output_fields":{}}`:  SensorFalco,
		`{"output_fields":"x","output_fields":{},"rule":"r","priority":"p"}`:                SensorFalco,
		`{"output_fields":{},"output_fields":"x","rule":"r","priority":"p"}`:                SensorKCS,
		`{"output_fields":"x","rule":"r","priority":"p","eventName":"e","hostProcessId":1}`: SensorTracee,
	} {
		assert.Equal(t, want, Detect(decodeBody(t, body)), body)
	}
	for _, name := range []string{"auto", "kcs", "falco", "tetragon", "tracee"} {
		s, ok := ParseSensor(strings.ToUpper(name))
		assert.True(t, ok)
		assert.Equal(t, name, s.String())
	}
	_, ok := ParseSensor("sysdig")
	assert.False(t, ok)
}

// falcoAlert is a Falco alert with the given output_fields and priority.
func falcoAlert(priority string, fields map[string]any) map[string]any {
	return map[string]any{
		"rule": "Test rule", "priority": priority, "hostname": "node-1",
		"output":        "2026-03-12T09:40:51.100200300+0000: " + priority + " something happened (x=1)",
		"output_fields": fields, "time": "2026-03-12T09:40:51.100200300Z",
	}
}

func TestFalco(t *testing.T) {
	const tail = "cs2=node-1 cs2Label=Node name"
	tests := []struct {
		name string
		body any
		want string
	}{
		{"an accepted connection: fd.lip and fd.rip, the remote is the source",
			falcoAlert("Warning", map[string]any{"evt.type": "accept4", "fd.type": "ipv4", "fd.lip": "10.0.0.5", "fd.lport": 8080, "fd.rip": "203.0.113.9", "fd.rport": 51000}),
			head + "FNT-001|Network policy violation|6|src=203.0.113.9 act=ingress spt=51000 dst=10.0.0.5 dpt=8080 deviceDirection=0 " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"an IPv6 tuple in fd.name",
			falcoAlert("Error", map[string]any{"evt.type": "connect", "fd.name": "2001:db8::5:40022->[2001:db8::1]:443"}),
			head + "FNT-001|Network policy violation|8|c6a2=2001:db8::5 c6a2Label=Source IPv6 address act=egress spt=40022 c6a3=2001:db8::1 c6a3Label=Destination IPv6 address dpt=443 deviceDirection=1 " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"a write on a socket is egress",
			falcoAlert("Notice", map[string]any{"evt.type": "write", "fd.name": "10.0.0.5:40000->10.0.0.6:53"}),
			head + "FNT-001|Network policy violation|5|src=10.0.0.5 act=egress spt=40000 dst=10.0.0.6 dpt=53 deviceDirection=1 " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"a rename: fs.path.source and fs.path.target",
			falcoAlert("Critical", map[string]any{"evt.type": "renameat2", "fs.path.source": "/etc/passwd", "fs.path.target": "/tmp/p", "proc.exepath": "/bin/mv"}),
			head + "FFM-001|File policy violation|9|act=rename oldFilePath=/etc/passwd filePath=/tmp/p " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"a chown: the new owner in cs4, the mode",
			falcoAlert("EMERGENCY", map[string]any{"evt.type": "fchownat", "evt.arg.pathname": "/etc/shadow", "evt.arg.uid": 1000, "evt.arg.mode": "0640", "proc.cmdline": "chown 1000 /etc/shadow"}),
			head + "FFM-001|File policy violation|10|act=chown filePermission=0640 filePath=/etc/shadow " + tail + " cs4=1000 cs4Label=New owner outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"a host process: container host left out; an unknown priority keeps the rule",
			falcoAlert("Loud", map[string]any{"evt.type": "execve", "container.id": "host", "container.name": "host", "proc.exe": "/usr/bin/id", "user.uid": 1000, "group.gid": 1000, "user.name": "alice", "k8s.pod.name": "<NA>"}),
			head + "FPM-001|Process policy violation|8|flexString1=1000 flexString1Label=EGID act=exec duid=1000 filePath=/usr/bin/id " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"an unknown evt.type with no file or network field is a process; container.image as it is",
			falcoAlert("Informational", map[string]any{"evt.type": "ptrace", "container.image": "docker.io/library/alpine:3.20", "container.image.repository": "ignored"}),
			head + "FPM-001|Process policy violation|3|request=docker.io/library/alpine:3.20 " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"a unix socket's fd.name is no connection tuple: a file event",
			falcoAlert("Notice", map[string]any{"evt.type": "connect", "fd.type": "unix", "fd.name": "ffff9a4a2b6d2000->ffff9a4a2b6d2400 /run/containerd/containerd.sock"}),
			head + "FFM-001|File policy violation|5|filePath=ffff9a4a2b6d2000->ffff9a4a2b6d2400 /run/containerd/containerd.sock " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"a symlink: evt.arg.linkpath is the link made, evt.arg.target what it points to (falco_rules.yaml, Create Symlink Over Sensitive Files)",
			falcoAlert("Warning", map[string]any{"evt.type": "symlinkat", "evt.arg.target": "/etc/shadow", "evt.arg.linkpath": "/tmp/eg_symlink_sensitive"}),
			head + "FFM-001|File policy violation|6|act=create oldFilePath=/etc/shadow filePath=/tmp/eg_symlink_sensitive " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
		{"an unknown evt.type with a path is a file event without act",
			falcoAlert("Debug", map[string]any{"evt.type": "newsyscall", "fd.name": "/etc/hosts"}),
			head + "FFM-001|File policy violation|1|filePath=/etc/hosts " + tail + " outcome=Audit msg=Test rule: something happened (x\\=1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cefLine(t, &Mapper{}, tt.body))
		})
	}
}

func TestFalcoTime(t *testing.T) {
	alert := falcoAlert("Notice", map[string]any{"evt.time": int64(1773308451100200300)})
	delete(alert, "time")
	ev := new(product.Event)
	(&Mapper{}).Map(decodeBody(t, alert), ev, nil)
	assert.Equal(t, time.Unix(0, 1773308451100200300), ev.Time)

	alert["output_fields"] = map[string]any{}
	ev = new(product.Event)
	(&Mapper{}).Map(decodeBody(t, alert), ev, nil)
	assert.True(t, t0.Equal(ev.Time), "no time of its own: Fluent Bit's, not %v", ev.Time)
}

// tetragonEvent wraps an event under its key with the node and the time.
func tetragonEvent(key string, ev map[string]any) map[string]any {
	return map[string]any{key: ev, "node_name": "node-1", "cluster_name": "prod", "time": "2026-03-12T09:40:51Z"}
}

func tetragonProcess() map[string]any {
	return map[string]any{"pid": 100, "uid": 1000, "binary": "/usr/bin/nc", "arguments": "10.0.0.9 4444",
		"process_credentials": map[string]any{"uid": 1000, "euid": 0, "egid": 0}}
}

func TestTetragon(t *testing.T) {
	const common = "dpid=100 spid=99 flexString1=0 flexString1Label=EGID "
	const cs = "cs1=prod cs1Label=Cluster name cs2=node-1 cs2Label=Node name cs4=/usr/bin/nc 10.0.0.9 4444 cs4Label=Command"
	parent := map[string]any{"pid": 99}
	tests := []struct {
		name string
		body any
		want string
	}{
		{"an exit by a signal",
			tetragonEvent("process_exit", map[string]any{"process": tetragonProcess(), "parent": parent, "signal": "SIGKILL", "status": 0}),
			head + "PM-001|Process management|3|" + common + "dproc=nc duid=0 filePath=/usr/bin/nc " + cs + " outcome=Other msg=process_exit /usr/bin/nc 10.0.0.9 4444 signal SIGKILL"},
		{"an exit with a status",
			tetragonEvent("process_exit", map[string]any{"process": tetragonProcess(), "parent": parent, "status": 2}),
			head + "PM-001|Process management|3|" + common + "dproc=nc duid=0 filePath=/usr/bin/nc " + cs + " outcome=Other msg=process_exit /usr/bin/nc 10.0.0.9 4444 status 2"},
		{"a library loaded (process_loader): an observation of the process, its path the file loaded",
			tetragonEvent("process_loader", map[string]any{"process": tetragonProcess(), "parent": parent, "path": "/usr/lib/libc.so.6", "buildid": "Y2FmZQ=="}),
			head + "PM-001|Process management|3|" + common + "dproc=nc duid=0 filePath=/usr/lib/libc.so.6 " + cs + " outcome=Other msg=process_loader /usr/bin/nc /usr/lib/libc.so.6"},
		{"a connection by a kprobe policy",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "tcp_connect",
				"args":   []any{map[string]any{"sock_arg": map[string]any{"family": "AF_INET", "saddr": "10.0.0.5", "daddr": "10.0.0.9", "sport": 40000, "dport": 4444}}},
				"action": "KPROBE_ACTION_POST", "policy_name": "connect", "message": "outbound connection"}),
			head + "FNT-001|Network policy violation|8|src=10.0.0.5 " + common + "act=egress spt=40000 dst=10.0.0.9 dpt=4444 dproc=nc duid=0 deviceDirection=1 " + cs + " outcome=Audit msg=connect: outbound connection"},
		{"an accepted connection: the remote end is the source; override enforces",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "inet_csk_accept",
				"return": map[string]any{"sock_arg": map[string]any{"saddr": "10.0.0.5", "daddr": "203.0.113.9", "sport": 22, "dport": 51000}},
				"args":   []any{map[string]any{"sock_arg": map[string]any{"saddr": "10.0.0.5", "daddr": "203.0.113.9", "sport": 22, "dport": 51000}}},
				"action": "KPROBE_ACTION_OVERRIDE", "policy_name": "accept"}),
			head + "FNT-001|Network policy violation|8|src=203.0.113.9 " + common + "act=ingress spt=51000 dst=10.0.0.5 dpt=22 dproc=nc duid=0 deviceDirection=0 " + cs + " outcome=Enforce msg=accept: process_kprobe inet_csk_accept"},
		{"a bind's sockaddr_arg: the address bound is the destination of what comes in",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "security_socket_bind",
				"args": []any{map[string]any{"sockaddr_arg": map[string]any{"addr": "0.0.0.0", "port": 8080}}}, "policy_name": "bind"}),
			head + "FNT-001|Network policy violation|8|" + common + "act=ingress dst=0.0.0.0 dpt=8080 dproc=nc duid=0 deviceDirection=0 " + cs + " outcome=Audit msg=bind: process_kprobe security_socket_bind"},
		{"a system call's kprobe, named with its architecture's prefix; its path a string_arg (tetragon examples/tracingpolicy/openat_write.yaml)",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "__x64_sys_openat",
				"args": []any{map[string]any{"int_arg": -100}, map[string]any{"string_arg": "/etc/passwd"}, map[string]any{"int_arg": 577}}, "policy_name": "sys-openat"}),
			head + "FFM-001|File policy violation|8|" + common + "act=open dproc=nc duid=0 filePath=/etc/passwd " + cs + " outcome=Audit msg=sys-openat: process_kprobe __x64_sys_openat"},
		{"a symlink: the first string_arg the file it points to, the last the link made (tetragon examples/tracingpolicy/symlink-observe.yaml)",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "__x64_sys_symlinkat",
				"args": []any{map[string]any{"string_arg": "/etc/passwd"}, map[string]any{"int_arg": -100}, map[string]any{"string_arg": "/tmp/p"}}, "policy_name": "symlink"}),
			head + "FFM-001|File policy violation|8|" + common + "act=create dproc=nc duid=0 oldFilePath=/etc/passwd filePath=/tmp/p " + cs + " outcome=Audit msg=symlink: process_kprobe __x64_sys_symlinkat"},
		{"a write on arm64, its file a file_arg",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "__arm64_sys_write",
				"args": []any{map[string]any{"file_arg": map[string]any{"path": "/etc/passwd"}}, map[string]any{"bytes_arg": "ZGFlbW9u"}}, "policy_name": "w"}),
			head + "FFM-001|File policy violation|8|" + common + "act=write dproc=nc duid=0 filePath=/etc/passwd " + cs + " outcome=Audit msg=w: process_kprobe __arm64_sys_write"},
		{"an exec seen by an LSM hook",
			tetragonEvent("process_lsm", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "bprm_check_security",
				"args": []any{map[string]any{"linux_binprm_arg": map[string]any{"path": "/tmp/x"}}}, "policy_name": "exec-tmp"}),
			head + "FPM-001|Process policy violation|8|" + common + "act=exec dproc=nc duid=0 filePath=/tmp/x " + cs + " outcome=Audit msg=exec-tmp: process_lsm bprm_check_security"},
		{"an LSM hook, which process_lsm names without security_: its operation",
			tetragonEvent("process_lsm", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "path_unlink",
				"args": []any{map[string]any{"path_arg": map[string]any{"path": "/etc/passwd"}}}, "action": "KPROBE_ACTION_OVERRIDE", "policy_name": "no-rm"}),
			head + "FFM-001|File policy violation|8|" + common + "act=delete dproc=nc duid=0 filePath=/etc/passwd " + cs + " outcome=Enforce msg=no-rm: process_lsm path_unlink"},
		{"an unknown function with a path is a file event; a return action can enforce",
			tetragonEvent("process_kprobe", map[string]any{"process": tetragonProcess(), "parent": parent, "function_name": "security_mmap_file",
				"args": []any{map[string]any{"file_arg": map[string]any{"path": "/lib/x.so", "permission": "-rwxr-xr-x"}}}, "return_action": "KPROBE_ACTION_SIGKILL", "policy_name": "mmap"}),
			head + "FFM-001|File policy violation|8|" + common + "dproc=nc duid=0 filePermission=-rwxr-xr-x filePath=/lib/x.so " + cs + " outcome=Enforce msg=mmap: process_kprobe security_mmap_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cefLine(t, &Mapper{}, tt.body))
		})
	}
}

// lastIndexByte finds what bytes.LastIndexByte finds: the image hash follows the last '@'.
func TestLastIndexByte(t *testing.T) {
	for _, s := range []string{"", "@", "@@", "no-at", "docker.io/r/x@sha256:ab", "reg@host/r/x@sha256:ab", "x@"} {
		assert.Equal(t, bytes.LastIndexByte([]byte(s), '@'), lastIndexByte([]byte(s), '@'), s)
	}
}

// traceeEvent is a Tracee event with the given name, args and extra keys.
func traceeEvent(name string, args []any, extra map[string]any) map[string]any {
	ev := map[string]any{"timestamp": int64(1773308451100200300), "hostProcessId": 200, "hostParentProcessId": 199,
		"userId": 0, "processName": "sh", "eventName": name, "args": args, "executable": map[string]any{"path": "/bin/sh"}}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func arg(name string, v any) map[string]any { return map[string]any{"name": name, "value": v} }

func TestTracee(t *testing.T) {
	const common = "dpid=200 spid=199 "
	tests := []struct {
		name string
		body any
		want string
	}{
		{"a file opened",
			traceeEvent("security_file_open", []any{arg("pathname", "/etc/shadow"), arg("flags", "O_RDONLY")}, nil),
			head + "FM-001|File management|3|" + common + "act=open dproc=sh duid=0 filePath=/etc/shadow outcome=Other msg=security_file_open /etc/shadow"},
		{"a mode in octal",
			traceeEvent("chmod_common", []any{arg("pathname", "/tmp/x"), arg("mode", 493)}, nil),
			head + "FM-001|File management|3|" + common + "act=chmod dproc=sh duid=0 filePermission=0755 filePath=/tmp/x outcome=Other msg=chmod_common /tmp/x"},
		{"a stat mode: its permission bits",
			traceeEvent("chmod_common", []any{arg("pathname", "/tmp/x"), arg("mode", 0o104755)}, nil),
			head + "FM-001|File management|3|" + common + "act=chmod dproc=sh duid=0 filePermission=04755 filePath=/tmp/x outcome=Other msg=chmod_common /tmp/x"},
		{"a number that is no mode is left out",
			traceeEvent("chmod_common", []any{arg("pathname", "/tmp/x"), arg("mode", -1)}, nil),
			head + "FM-001|File management|3|" + common + "act=chmod dproc=sh duid=0 filePath=/tmp/x outcome=Other msg=chmod_common /tmp/x"},
		{"nor one past a stat mode's 16 bits",
			traceeEvent("chmod_common", []any{arg("pathname", "/tmp/x"), arg("mode", uint64(1<<64-1))}, nil),
			head + "FM-001|File management|3|" + common + "act=chmod dproc=sh duid=0 filePath=/tmp/x outcome=Other msg=chmod_common /tmp/x"},
		{"a rename",
			traceeEvent("security_inode_rename", []any{arg("old_path", "/a"), arg("new_path", "/b")}, nil),
			head + "FM-001|File management|3|" + common + "act=rename dproc=sh duid=0 oldFilePath=/a filePath=/b outcome=Other msg=security_inode_rename /b"},
		{"a bind: addr is the near end",
			traceeEvent("bind", []any{arg("addr", map[string]any{"sa_family": "AF_INET6", "sin6_addr": "::", "sin6_port": "8080"})}, nil),
			head + "NT-001|Networking|3|" + common + "act=ingress c6a3=:: c6a3Label=Destination IPv6 address dpt=8080 dproc=sh duid=0 deviceDirection=0 outcome=Other msg=bind"},
		{"an accept: addr is the far end, the source",
			traceeEvent("accept4", []any{arg("addr", map[string]any{"sa_family": "AF_INET", "sin_addr": "203.0.113.9", "sin_port": "51000"})}, nil),
			head + "NT-001|Networking|3|src=203.0.113.9 " + common + "act=ingress spt=51000 dproc=sh duid=0 deviceDirection=0 outcome=Other msg=accept4"},
		{"a packet event (docs/docs/events/builtin/extra/network-events.md): its src, dst and ports",
			traceeEvent("net_packet_dns", []any{arg("src", "8.8.8.8"), arg("dst", "192.168.200.50"), arg("src_port", 53), arg("dst_port", 34211),
				arg("payload", map[string]any{"ID": 1, "questions": []any{map[string]any{"name": "google.com"}}})}, nil),
			head + "NT-001|Networking|3|src=8.8.8.8 " + common + "spt=53 dst=192.168.200.50 dpt=34211 dproc=sh duid=0 outcome=Other msg=net_packet_dns"},
		{"a newer packet event: its metadata argument",
			traceeEvent("net_packet_dns_request", []any{arg("metadata", map[string]any{"src_ip": "10.0.0.5", "dst_ip": "10.96.0.10", "src_port": 40000, "dst_port": 53, "protocol": 17}),
				arg("dns_questions", []any{})}, nil),
			head + "NT-001|Networking|3|src=10.0.0.5 " + common + "spt=40000 dst=10.96.0.10 dpt=53 dproc=sh duid=0 outcome=Other msg=net_packet_dns_request"},
		{"an event the table does not know is a process event without act",
			traceeEvent("cgroup_mkdir", nil, nil),
			head + "PM-001|Process management|3|" + common + "dproc=sh duid=0 filePath=/bin/sh outcome=Other msg=cgroup_mkdir /bin/sh"},
		{"a signature: a severity as text, the triggering exec",
			traceeEvent("dropped_executable", []any{arg("triggeredBy", map[string]any{"name": "sched_process_exec", "args": []any{arg("pathname", "/tmp/x"), arg("argv", []any{"/tmp/x", "-q"})}})},
				map[string]any{"metadata": map[string]any{"Description": "A dropped executable ran.", "Properties": map[string]any{"Severity": "3"}}}),
			head + "FPM-001|Process policy violation|8|" + common + "act=exec dproc=sh duid=0 filePath=/tmp/x cs4=/tmp/x -q cs4Label=Command outcome=Audit msg=dropped_executable: A dropped executable ran."},
		{"a signature of Tracee 0.24, whose trigger is detectedFrom (pkg/events/findings/findings.go): a connection to the API server",
			traceeEvent("k8s_api_connection", []any{arg("ip", "10.96.0.1"), arg("detectedFrom", map[string]any{"name": "security_socket_connect",
				"args": []any{arg("remote_addr", map[string]any{"sa_family": "AF_INET", "sin_addr": "10.96.0.1", "sin_port": "443"})}})},
				map[string]any{"metadata": map[string]any{"Description": "A connection to the kubernetes API server was detected.", "Properties": map[string]any{"Severity": 2}}}),
			head + "FNT-001|Network policy violation|6|" + common + "act=egress dst=10.96.0.1 dpt=443 dproc=sh duid=0 deviceDirection=1 outcome=Audit msg=k8s_api_connection: A connection to the kubernetes API server was detected."},
		{"a signature above 4 is very high; with no trigger it is a process",
			traceeEvent("anti_debugging", nil, map[string]any{"metadata": map[string]any{"Description": "ptrace", "Properties": map[string]any{"Severity": 7}}}),
			head + "FPM-001|Process policy violation|10|" + common + "dproc=sh duid=0 filePath=/bin/sh outcome=Audit msg=anti_debugging: ptrace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cefLine(t, &Mapper{}, tt.body))
		})
	}
	for sev, want := range map[int64]int{-1: 2, 0: 2, 1: 4, 2: 6, 3: 8, 4: 10, 7: 10, 1 << 62: 10, math.MaxInt64: 10, math.MinInt64: 2} {
		ev := new(product.Event)
		(&Mapper{}).Map(decodeBody(t, traceeEvent("x", nil, map[string]any{"metadata": map[string]any{"Properties": map[string]any{"Severity": sev}}})), ev, nil)
		assert.Equal(t, want, ev.Severity, "Tracee severity %d", sev)
	}
}

// A connection's remote_addr and local_addr arguments, among others: the far end is the first
// remote_addr (else addr), the near end local_addr; egress goes from the near end, ingress from the
// far one. The walk over args stops once it holds every argument its kind wants (remote_addr, addr,
// local_addr), so each event has one of them after the other two: the first would lose its
// local_addr were local_addr not wanted, the second its remote_addr (to addr) were remote_addr not.
func TestTraceeConnectionArgs(t *testing.T) {
	sin := func(addr, port string) map[string]any {
		return map[string]any{"sa_family": "AF_INET", "sin_addr": addr, "sin_port": port}
	}
	const common = "dpid=200 spid=199 "
	tests := []struct {
		name string
		body any
		want string
	}{
		{"a connect: local_addr after remote_addr and addr",
			traceeEvent("connect", []any{arg("remote_addr", sin("198.51.100.7", "443")), arg("addr", sin("192.0.2.1", "1")),
				arg("local_addr", sin("10.0.0.5", "40000")), arg("remote_addr", sin("192.0.2.99", "2"))}, nil),
			head + "NT-001|Networking|3|src=10.0.0.5 " + common + "act=egress spt=40000 dst=198.51.100.7 dpt=443 dproc=sh duid=0 deviceDirection=1 outcome=Other msg=connect"},
		{"an accept: remote_addr after addr and local_addr",
			traceeEvent("security_socket_accept", []any{arg("addr", sin("192.0.2.1", "1")), arg("local_addr", sin("10.0.0.5", "8080")),
				arg("remote_addr", sin("198.51.100.7", "51000")), arg("remote_addr", sin("192.0.2.99", "2"))}, nil),
			head + "NT-001|Networking|3|src=198.51.100.7 " + common + "act=ingress spt=51000 dst=10.0.0.5 dpt=8080 dproc=sh duid=0 deviceDirection=0 outcome=Other msg=security_socket_accept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cefLine(t, &Mapper{}, tt.body))
		})
	}
}

// The kubernetes filter's block: host fills the node, pod_name the source, when the event has
// none; nothing else of it is taken for the workload.
func TestKubernetesFilterBlock(t *testing.T) {
	k8s := map[string]any{"host": "worker-2", "pod_name": "falco-7xk2p", "namespace_name": "falco",
		"container_name": "falco", "docker_id": "b3f1", "container_image": "falco:0.41.3", "pod_ip": "10.0.12.31"}
	assert.Equal(t, head+"PM-001|Process management|3|source=falco-7xk2p dpid=1 cs2=worker-2 cs2Label=Node name",
		cefLine(t, &Mapper{}, map[string]any{"event_id": "PM-001", "pid": 1, "kubernetes": k8s}))
	assert.Equal(t, head+"PM-001|Process management|3|source=agent-1 dpid=1 cs2=node-9 cs2Label=Node name",
		cefLine(t, &Mapper{}, map[string]any{"event_id": "PM-001", "pid": 1, "node": "node-9", "source": "agent-1", "kubernetes": k8s}),
		"the event's own node and source win")
	// Tracee's own kubernetes block is the workload's and has neither key.
	got := cefLine(t, &Mapper{}, traceeEvent("x", nil, map[string]any{"kubernetes": map[string]any{"podName": "web-1", "podNamespace": "shop"}}))
	assert.Contains(t, got, "cs3=shop cs3Label=Namespace cs5=web-1 cs5Label=Pod name")
	assert.NotContains(t, got, "cs2=")
	assert.NotContains(t, got, "source=")
}

// With Merge_Log On and no Merge_Log_Key, the kubernetes filter appends its block after the keys it
// merged from Tracee's line, which has a kubernetes block of its own: the filter's, the last, is the
// one read, as Fluent Bit's record accessor reads a repeated key, for the node and source and for a
// Map path alike.
func TestTheKubernetesFiltersBlockIsTheLastOfTwo(t *testing.T) {
	js := `{"timestamp": 1771409248123456789, "hostProcessId": 4242, "processName": "cat", "eventName": "openat", ` +
		`"args": [{"name": "pathname", "value": "/etc/shadow"}], ` +
		`"kubernetes": {"podName": "web-2", "podNamespace": "prod"}, ` +
		`"kubernetes": {"pod_name": "tracee-abc", "host": "node-7", "labels": {"cluster": "eu-1"}}}`
	chunk, _, err := fbchunk.FromJSONLines(strings.NewReader(js), t0, time.Second)
	require.NoError(t, err)
	ev := new(product.Event)
	m := &Mapper{Assign: []Assignment{{Field: FieldCluster, Path: mustPath(t, "$kubernetes['labels']['cluster']")}}}
	m.Map(decodeFirst(t, chunk), ev, nil)
	got := string(cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev)))
	for _, want := range []string{"source=tracee-abc ", "cs1=eu-1 ", "cs2=node-7 ", "cs3=prod ", "cs5=web-2 "} {
		assert.Contains(t, got, want)
	}
}

func mustPath(t *testing.T, s string) record.Path {
	t.Helper()
	p, err := record.ParsePath(s)
	require.NoError(t, err)
	return p
}

func TestSetAndMap(t *testing.T) {
	alert := falcoAlert("Notice", map[string]any{"evt.type": "execve", "k8s.ns.name": "shop", "proc.pid": 7})
	wrapped := map[string]any{"log": mustJSON(t, alert), "kubernetes": map[string]any{"host": "worker-2", "labels": map[string]any{"cluster": "prod-eu-1", "tier": "a"}}}
	m := &Mapper{Assign: []Assignment{
		{Field: FieldPID, Path: mustPath(t, "$output_fields['proc.pid']"), Value: "1"},       // found: the Map
		{Field: FieldCluster, Path: mustPath(t, "$kubernetes['labels']['cluster']")},         // in the record around the event
		{Field: FieldNamespace, Value: "override"},                                           // a Set beats the preset
		{Field: FieldNodeIP, Path: mustPath(t, "$kubernetes['pod_ip']"), Value: "10.0.0.12"}, // path missing: the Set
		{Field: FieldMessage, Path: mustPath(t, "$kubernetes['labels']")},                    // a map as JSON
		{Field: FieldContainer, Path: mustPath(t, "$nowhere")},                               // nothing: nothing
		{Field: FieldSeverity, Value: "Very-High"},                                           // beats the priority
	}}
	assert.Equal(t, head+`FPM-001|Process policy violation|10|dpid=7 act=exec cs1=prod-eu-1 cs1Label=Cluster name cs2=node-1 cs2Label=Node name cs3=override cs3Label=Namespace cs7=10.0.0.12 cs7Label=Node IP outcome=Audit msg={"cluster":"prod-eu-1","tier":"a"}`,
		cefLine(t, m, wrapped))

	// Set.event_id makes a custom source's records a type
	m = &Mapper{Assign: []Assignment{{Field: FieldEventID, Value: "FNT-900"}, {Field: FieldStatus, Value: "Blocked"}}}
	assert.Equal(t, head+"FNT-900|Network policy violation|8|dpid=3 outcome=Enforce", cefLine(t, m, `{"pid":3}`))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Severity: the type's rule, then the sensor's priority, then the integration's overrides, then a
// severity of the record's own (here by Set).
func TestSensorSeverityOrder(t *testing.T) {
	alert := falcoAlert("Notice", map[string]any{"evt.type": "execve"})
	sev := func(m *Mapper) int {
		ev := new(product.Event)
		m.Map(decodeBody(t, alert), ev, nil)
		return ev.Severity
	}
	assert.Equal(t, 5, sev(&Mapper{}), "Notice")
	assert.Equal(t, 9, sev(&Mapper{Severity: product.Overrides{{Match: "FPM", Outcome: product.OutcomeAudit, Severity: 9}}}), "an override beats the priority")
	assert.Equal(t, 2, sev(&Mapper{Severity: product.Overrides{{Match: "FPM", Outcome: product.OutcomeAny, Severity: 9}},
		Assign: []Assignment{{Field: FieldSeverity, Value: "2"}}}), "Set.severity beats all")
}

// A forced schema maps every record its way, without looking at the fingerprint.
func TestForcedSchema(t *testing.T) {
	tracee := traceeEvent("security_file_open", []any{arg("pathname", "/etc/shadow")}, nil)
	assert.Contains(t, cefLine(t, &Mapper{}, tracee), "|FM-001|")
	assert.Contains(t, cefLine(t, &Mapper{Schema: SensorKCS}, tracee), "|UNKNOWN|")
	assert.Contains(t, cefLine(t, &Mapper{Schema: SensorFalco}, tracee), "|FPM-001|")
	assert.Contains(t, cefLine(t, &Mapper{Schema: SensorTetragon}, `{"event_id":"PM-001"}`), "|FPM-001|")
}

// A plain log line becomes msg of an unknown event; a record's own message wins over it.
func TestPlainLogLine(t *testing.T) {
	assert.Equal(t, head+"UNKNOWN|Unknown event|5|msg=Falco initialized", cefLine(t, &Mapper{}, map[string]any{"log": "Falco initialized\n", "stream": "stderr"}))
	assert.Equal(t, head+"UNKNOWN|Unknown event|5|msg=a line", cefLine(t, &Mapper{}, map[string]any{"event": "a line"}))
	assert.Equal(t, head+"UNKNOWN|Unknown event|5|msg=own", cefLine(t, &Mapper{}, map[string]any{"log": "line", "message": "own"}))
	// an array for a log line is its compact JSON, as a nested message is (a map is an embedded event)
	assert.Equal(t, head+`UNKNOWN|Unknown event|5|msg=["x","y"]`, cefLine(t, &Mapper{}, map[string]any{"log": []any{"x", "y"}}))
	assert.Equal(t, head+`UNKNOWN|Unknown event|5|msg=[{"a":1}]`, cefLine(t, &Mapper{}, map[string]any{"event": []any{map[string]any{"a": 1}}}))
	// the first key holding a string or a nested value gives the line: a number does not
	assert.Equal(t, head+"UNKNOWN|Unknown event|5|msg=[]", cefLine(t, &Mapper{}, map[string]any{"log": 3, "event": []any{}}))
	// a KCS-native event in a log line is mapped as one; the log line is not its message
	assert.Equal(t, head+"PM-001|Process management|3|dpid=5", cefLine(t, &Mapper{}, map[string]any{"log": `{"event_id":"PM-001","pid":5}`}))
}

// Once warm, mapping allocates nothing, whatever the source.
func TestMapAllocatesNothing(t *testing.T) {
	files, err := filepath.Glob("../test/fixtures/peers/*.json")
	require.NoError(t, err)
	m := &Mapper{Assign: []Assignment{{Field: FieldCluster, Path: mustPath(t, "$kubernetes['labels']")}, {Field: FieldNodeIP, Value: "10.0.0.1"}}}
	ev := new(product.Event)
	var problems []Problem
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		rec := decodeBody(t, string(b))
		problems = m.Map(rec, ev, problems[:0])
		allocs := testing.AllocsPerRun(100, func() { problems = m.Map(rec, ev, problems[:0]) })
		assert.Zero(t, allocs, filepath.Base(f))
	}
}

// falcoOutput drops only a leading "<time>: <Priority> ".
func TestFalcoOutput(t *testing.T) {
	for out, want := range map[string]string{
		"2026-03-12T09:40:51.100200300+0000: Notice A shell": "A shell",
		"19:10:27.171732939: notice A shell":                 "A shell",
		"A shell was spawned: Notice x":                      "A shell was spawned: Notice x",
		"2026-03-12T09:40:51+0000: Warning A shell":          "2026-03-12T09:40:51+0000: Warning A shell",
		"2026-03-12T09:40:51+0000: Notice":                   "2026-03-12T09:40:51+0000: Notice",
		"":                                                   "",
		"x: Notice y":                                        "y",
	} {
		assert.Equal(t, want, string(falcoOutput([]byte(out), []byte("Notice"))), out)
	}
}

// Tracee's output option relative-time writes `timestamp` as the nanoseconds since Tracee started:
// no wall-clock time, so the event keeps Fluent Bit's timestamp rather than a date in 1970.
func TestTraceeRelativeTimestampKeepsFluentBitsTime(t *testing.T) {
	for _, ts := range []int64{5_123_456_789, 999_999_999_999_999_999} {
		ev := new(product.Event)
		rec := traceeEvent("sched_process_exec", nil, map[string]any{"timestamp": ts})
		(&Mapper{}).Map(decodeBody(t, rec), ev, nil)
		assert.Equal(t, t0, ev.Time.UTC(), "timestamp %d", ts)
	}
	ev := new(product.Event)
	(&Mapper{}).Map(decodeBody(t, traceeEvent("sched_process_exec", nil, map[string]any{"timestamp": int64(1e18)})), ev, nil)
	assert.Equal(t, time.Unix(0, 1e18).UTC(), ev.Time.UTC(), "the first time taken as nanoseconds since the epoch")
}
