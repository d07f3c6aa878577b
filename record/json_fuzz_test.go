package record_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/record"
)

// FuzzEmbeddedJSON: whatever text a `log` holds, decoding never panics; a well-formed JSON object
// (within the nesting bound) is always taken as the event, with the keys encoding/json finds, and
// every value of it can be walked and rendered.
func FuzzEmbeddedJSON(f *testing.F) {
	for _, seed := range []string{
		`{"rule":"R","priority":"Notice","output_fields":{"proc.pid":1,"k8s.ns.name":null}}`,
		`{"a":"\ud83d\ude00\ud800\u00e9\n","b":[1,-2.5e-3,18446744073709551616,true,false,null],"c":{}}`,
		`plain text`, `{"a":}`, `{"a":1}x`, ` {"x":[[[[]]]]} `, `{"a":"\u12"}`, `{"":""}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		chunk, err := record.AppendEvent(nil, time.Unix(1, 0), map[string]any{"log": text})
		if err != nil {
			t.Skip()
		}
		d := record.NewDecoder()
		d.Reset(chunk)
		var ev record.Event
		ok, err := d.Next(&ev)
		if !ok || err != nil {
			t.Fatalf("the event did not decode: %v", err)
		}
		for _, fl := range ev.Body() {
			_ = fl.Raw.AppendJSON(nil)
			_ = fl.Raw.Get("a").Index(0).Value()
		}
		var m map[string]json.RawMessage
		trimmed := strings.TrimLeft(text, " \t\r\n")
		if !strings.HasPrefix(trimmed, "{") || !json.Valid([]byte(text)) || json.Unmarshal([]byte(text), &m) != nil ||
			bytes.Count([]byte(text), []byte("[")) > 200 || bytes.Count([]byte(text), []byte("{")) > 200 {
			return
		}
		if ev.EmbeddedKey == nil {
			t.Fatalf("a JSON object was not taken as the event: %q", text)
		}
		seen := map[string]bool{}
		for _, fl := range ev.Body() {
			seen[string(fl.Key)] = true
		}
		for k := range m {
			if !seen[k] && !strings.ContainsRune(k, utf8.RuneError) { // encoding/json replaces invalid bytes; the decoder keeps them
				t.Fatalf("key %q missing from the event of %q", k, text)
			}
		}
	})
}
