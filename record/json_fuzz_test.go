package record_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/require"
)

// FuzzEmbeddedJSON: whatever text a `log` holds, decoding never panics; a well-formed JSON object
// (within the nesting bound, MaxEmbeddedJSON bytes and MaxFields keys) is always taken as the event,
// with the keys encoding/json finds, and every value of it can be walked and rendered; only a text
// beyond those limits is said to be too large.
func FuzzEmbeddedJSON(f *testing.F) {
	for _, seed := range []string{
		`{"rule":"R","priority":"Notice","output_fields":{"proc.pid":1,"k8s.ns.name":null}}`,
		`{"a":"\ud83d\ude00\ud800\u00e9\n","b":[1,-2.5e-3,18446744073709551616,true,false,null],"c":{}}`,
		`plain text`, `{"a":}`, `{"a":1}x`, ` {"x":[[[[]]]]} `, `{"a":"\u12"}`, `{"":""}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		chunk, err := fbchunk.AppendEvent(nil, time.Unix(1, 0), map[string]any{"log": text})
		require.NoError(t, err) // any string is a msgpack string
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
			if ev.EmbedTooLarge && len(text) <= record.MaxEmbeddedJSON {
				t.Fatalf("a text of %d bytes that is no JSON object taken as too large", len(text))
			}
			return
		}
		// (a repeated key counts once in m, every time in the event; each takes a colon)
		mustBe := len(text) > record.MaxEmbeddedJSON || len(m) > record.MaxFields
		mayBe := len(text) > record.MaxEmbeddedJSON || strings.Count(text, ":") > record.MaxFields
		if mustBe && !ev.EmbedTooLarge || ev.EmbedTooLarge && !mayBe {
			t.Fatalf("EmbedTooLarge %v for %d bytes and %d keys", ev.EmbedTooLarge, len(text), len(m))
		}
		if ev.EmbedTooLarge {
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
