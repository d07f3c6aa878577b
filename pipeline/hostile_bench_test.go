package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record/fbchunk"
)

// hostileRecords are the records of the README's "Hostile input" bounds: every field a KCS record
// maps filled with 4,000 characters, of plain ASCII or of characters that are multibyte or escaped,
// and a record of 200 fields of 4,000 characters, most of which no key carries.
func hostileRecords() map[string]map[string]any {
	fields := []string{"source", "reason", "artifact", "user", "container_id", "image", "image_hash",
		"operation", "process", "file_mode", "old_path", "path", "cluster", "node", "namespace", "command",
		"pod", "container", "message"}
	fill := func(unit string) map[string]any {
		rec := map[string]any{"event_id": "FM-001", "status": "Audit", "src_ip": "192.168.1.2"}
		for _, f := range fields {
			rec[f] = strings.Repeat(unit, 4000/len([]rune(unit)))
		}
		return rec
	}
	wide := fill("é=|€")
	for i := range 200 - len(wide) {
		wide[fmt.Sprintf("extra_%03d", i)] = strings.Repeat("x", 4000)
	}
	return map[string]map[string]any{"ascii-19x4000": fill("a"), "escaped-19x4000": fill("é=|€"), "200-fields": wide}
}

// BenchmarkHostileRecord: decode, map and encode one worst-case record, shortened to the smallest and
// to the default Max_Message_Size. BenchmarkRun's events are the baseline.
func BenchmarkHostileRecord(b *testing.B) {
	for name, body := range hostileRecords() {
		chunk, err := fbchunk.AppendEvent(nil, t0, body)
		if err != nil {
			b.Fatal(err)
		}
		for _, size := range []int{480, 8096} {
			b.Run(fmt.Sprintf("%s/%d", name, size), func(b *testing.B) {
				p := New(loadConfig(b, map[string]string{"Max_Message_Size": fmt.Sprint(size)}))
				emit := func(msg []byte) error { return nil }
				b.SetBytes(int64(len(chunk)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Run(chunk, emit, func(string) {}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
			})
		}
	}
}

// BenchmarkBlankRun: a record whose command starts with 256 KiB of blanks (spaces, or U+3000,
// which is no ASCII), against one of as many letters: trimming steps over a run of spaces a word
// at a time, other blanks a character at a time.
func BenchmarkBlankRun(b *testing.B) {
	const n = 256 << 10
	for _, c := range []struct{ name, command string }{
		{"letters", strings.Repeat("a", n) + "x"},
		{"spaces", strings.Repeat(" ", n) + "x"},
		{"ideographic-spaces", strings.Repeat("\u3000", n/3) + "x"},
	} {
		chunk, err := fbchunk.AppendEvent(nil, t0, map[string]any{"event_id": "PM-002", "status": "Audit", "command": c.command})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			p := New(loadConfig(b, nil))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(chunk, func([]byte) error { return nil }, func(string) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
