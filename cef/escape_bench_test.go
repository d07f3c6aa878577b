package cef

import (
	"math"
	"strings"
	"testing"
)

// BenchmarkEscape: escaping and measuring 4,000 characters of plain ASCII, of characters escaped or
// outside ASCII, and of another script; a Falco alert's text, of many '='; and the short values of
// the usual event.
func BenchmarkEscape(b *testing.B) {
	for _, c := range []struct{ name, v string }{
		{"ascii", strings.Repeat("a", 4000)},
		{"escaped", strings.Repeat("é=|€", 1000)},
		{"cyrillic", strings.Repeat("ключ ", 800)},
		{"falco", falcoOutput},
		{"short", "/usr/bin/curl"},
	} {
		v := []byte(c.v)
		dst := appendEscaped(nil, v, valueEscaping)
		b.Run(c.name+"/append", func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				dst = appendEscaped(dst[:0], v, valueEscaping)
			}
		})
		b.Run(c.name+"/measure", func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				prefix{}.grow(v, math.MaxInt, math.MaxInt, valueEscaping)
			}
		})
	}
}

// falcoOutput is the text of a Falco alert as the message carries it: its fields as key=value.
const falcoOutput = "Read sensitive file untrusted: Sensitive file opened for reading by non-trusted program | " +
	"file=/etc/shadow gparent=systemd ggparent=<NA> gggparent=<NA> evt_type=openat user=root user_uid=0 " +
	"user_loginuid=-1 process=cat proc_exepath=/bin/busybox parent=containerd-shim command=cat /etc/shadow " +
	"terminal=0 container_id=9cc6d64c75d0 container_name=lab9-target container_image_repository=alpine " +
	"container_image_tag=3.20 k8s_pod_name=<NA> k8s_ns_name=<NA>"
