package record_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
)

// FuzzDecoder: on any bytes the decoder never panics, never loops (each call moves on or stops),
// returns only its documented errors, hands out strings that lie inside the chunk, and holds no more
// than its limits: at most MaxFields keys, nested values left unrendered, and rendered as JSON of at
// most MaxRenderedJSON bytes.
func FuzzDecoder(f *testing.F) {
	t0 := time.Date(2026, 2, 18, 10, 7, 28, 5, time.UTC)
	good, _ := fbchunk.AppendEvent(nil, t0, map[string]any{"event_id": "PM-002", "pid": 1846367, "nested": map[string]any{"a": []any{1, "x", nil, 2.5, true}}})
	legacy, _ := fbchunk.AppendLegacyEvent(nil, t0, map[string]any{"event_id": "ADM-001", "user": "alice"})
	embedded, _ := fbchunk.AppendEvent(nil, t0, map[string]any{"log": `{"rule":"R","output_fields":{"proc.pid":1,"a":[1,"x"]}}`, "kubernetes": map[string]any{"host": "n"}})
	f.Add(embedded)
	f.Add(good)
	f.Add(legacy)
	f.Add(append(append([]byte{}, good...), legacy...))
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0x80}) // group start
	f.Add([]byte{0x92, 0xcb, 0x41, 0xda, 0x66, 0x6f, 0x0c, 0x00, 0x00, 0x00, 0x81, 0xa1, 0x61, 0x01})
	f.Add([]byte{0x92, 0x92, 0x01, 0x80, 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, chunk []byte) {
		d := record.NewDecoder()
		d.Reset(chunk)
		var ev record.Event
		for calls := 0; ; calls++ {
			if calls > len(chunk)+1 {
				t.Fatalf("Next returned true %d times on %d bytes", calls, len(chunk))
			}
			ok, err := d.Next(&ev)
			if !ok {
				var ce *record.ChunkError
				if err != nil && !errors.As(err, &ce) {
					t.Fatalf("end with %T %v", err, err)
				}
				return
			}
			var re *record.RecordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("true with %T %v", err, err)
			}
			if err != nil {
				continue
			}
			if ev.Offset < 0 || ev.Offset >= len(chunk) {
				t.Fatalf("event offset %d outside %d bytes", ev.Offset, len(chunk))
			}
			if d.Markers() > calls+1 {
				t.Fatalf("%d markers counted in %d calls", d.Markers(), calls+1)
			}
			if len(ev.Fields) > record.MaxFields || len(ev.Embedded) > record.MaxFields {
				t.Fatalf("%d keys, %d embedded: more than %d", len(ev.Fields), len(ev.Embedded), record.MaxFields)
			}
			for _, fl := range ev.Fields {
				if len(fl.Key) > len(chunk) || len(fl.Value.Bytes) > max(len(chunk), record.MaxRenderedJSON) {
					t.Fatalf("field %q larger than the chunk allows", fl.Key)
				}
			}
			// a field's Value is its Raw node's, however the decoder read it: mappings take either
			for _, fl := range append(ev.Fields[:len(ev.Fields):len(ev.Fields)], ev.Embedded...) {
				if v, raw := fl.Value, fl.Raw.Value(); v.Kind != raw.Kind || string(v.Bytes) != string(raw.Bytes) || v.Uint() != raw.Uint() {
					t.Fatalf("field %q decoded as %+v, its node as %+v", fl.Key, v, raw)
				}
			}
			// nested values stay reachable: walking them never panics; rendered, they are JSON
			for _, fl := range ev.Body() {
				if k := fl.Raw.Kind(); (k == record.NodeMap || k == record.NodeArray) && !fl.Value.IsZero() {
					t.Fatalf("%q rendered while decoding", fl.Key)
				}
				if text := fl.Raw.AppendJSON(nil); len(text) > record.MaxRenderedJSON || !json.Valid(text) && fl.Raw.Kind() >= record.NodeArray {
					t.Fatalf("%q rendered as %d bytes, not JSON within the limit: %.200q", fl.Key, len(text), text)
				}
				_ = fl.Raw.Get("a").Index(0).Value()
			}
		}
	})
}
