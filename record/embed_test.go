package record_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeWith decodes the one event of a body (built by the chunk writer) with a Merge_Log_Key.
func decodeWith(t *testing.T, mergeLogKey string, body map[string]any) (*record.Decoder, *record.Event) {
	t.Helper()
	chunk, err := fbchunk.AppendEvent(nil, time.Unix(sec0, 0), body)
	require.NoError(t, err)
	d := record.NewDecoder().WithMergeLogKey(mergeLogKey)
	d.Reset(chunk)
	ev := new(record.Event)
	ok, err := d.Next(ev)
	require.NoError(t, err)
	require.True(t, ok)
	return d, ev
}

func keys(fields []record.Field) []string {
	var k []string
	for _, f := range fields {
		k = append(k, string(f.Key))
	}
	return k
}

// Strings of every length around the 31 bytes a fixstr holds, keys and values, escaped or not,
// read back as they were written, and so does what follows them.
func TestEmbeddedJSONStringsOfEveryLength(t *testing.T) {
	for n := 0; n <= 40; n++ {
		text := strings.Repeat("k", n)
		escaped := strings.Repeat(`\"`, n/2) + strings.Repeat("v", n%2)
		_, ev := decodeWith(t, "", map[string]any{"log": `{"` + text + `":"` + escaped + `","after":[1]}`})
		body := ev.Body()
		require.Equal(t, []string{text, "after"}, keys(body), "%d bytes", n)
		sameValue(t, s(strings.Repeat(`"`, n/2)+strings.Repeat("v", n%2)), body[0].Value, text)
		sameValue(t, s("[1]"), fieldValue(t, body[1]), "after")
	}
}

// A container log line that is a JSON object is the event; the record around it stays reachable.
func TestEmbeddedJSONInLog(t *testing.T) {
	_, ev := decodeWith(t, "", map[string]any{
		"stream":     "stdout",
		"log":        ` {"rule":"R","n":-12,"big":18446744073709551615,"f":1.5e3,"ok":true,"none":null,"s":"a\"b\\c\/d\ne\u00e9\ud83d\ude00\ud800x","of":{"k8s.pod.name":"web-1","list":[1,"x"]}}` + "\n",
		"kubernetes": map[string]any{"host": "worker-2"},
	})
	assert.Equal(t, "log", string(ev.EmbeddedKey))
	assert.Equal(t, []string{"kubernetes", "log", "stream"}, keys(ev.Fields))
	assert.Equal(t, []string{"rule", "n", "big", "f", "ok", "none", "s", "of"}, keys(ev.Body()))
	body := ev.Body()
	sameValue(t, s("R"), body[0].Value, "rule")
	sameValue(t, i(-12), body[1].Value, "n")
	sameValue(t, u(18446744073709551615), body[2].Value, "big")
	sameValue(t, fl(1500), body[3].Value, "f")
	sameValue(t, b(true), body[4].Value, "ok")
	sameValue(t, none(), body[5].Value, "none")
	sameValue(t, s("a\"b\\c/d\neé😀\uFFFDx"), body[6].Value, "s")
	sameValue(t, s(`{"k8s.pod.name":"web-1","list":[1,"x"]}`), fieldValue(t, body[7]), "of")

	pod, ok := body[7].Raw.Get("k8s.pod.name").Str()
	assert.True(t, ok)
	assert.Equal(t, "web-1", string(pod))
	host, _ := ev.RecordNode("kubernetes").Get("host").Str()
	assert.Equal(t, "worker-2", string(host))
	for _, f := range body {
		assert.NotEqual(t, "kubernetes", string(f.Key), "the body is the event's, not the record's")
	}

	// FindPath: the record as Fluent Bit holds it first, then the embedded event
	for path, want := range map[string]string{
		"$kubernetes['host']":         "worker-2",
		"$of['k8s.pod.name']":         "web-1",
		"$of['list'][1]":              "x",
		"$stream":                     "stdout",
		"$of['list'][2]":              "",
		"$kubernetes['host']['deep']": "",
	} {
		p, err := record.ParsePath(path)
		require.NoError(t, err)
		got, _ := ev.FindPath(p).Str()
		assert.Equal(t, want, string(got), path)
	}
}

func TestEmbeddedSources(t *testing.T) {
	falco := `{"rule":"R","priority":"Notice"}`
	tests := []struct {
		name     string
		mergeKey string
		body     map[string]any
		from     string // "" when the body itself is the event
		keys     []string
	}{
		{"a plain log line stays the record", "", map[string]any{"log": "Falco initialized", "stream": "stderr"}, "", []string{"log", "stream"}},
		{"a log line that only starts like JSON", "", map[string]any{"log": `{"rule":`}, "", []string{"log"}},
		{"a JSON array is not an event", "", map[string]any{"log": `[1,2]`}, "", []string{"log"}},
		{"trailing text after the object", "", map[string]any{"log": falco + ` x`}, "", []string{"log"}},
		{"Tracee's forward output", "", map[string]any{"event": falco}, "event", []string{"rule", "priority"}},
		{"log before event", "", map[string]any{"event": `{"e":1}`, "log": `{"l":1}`}, "log", []string{"l"}},
		{"a broken log, a good event", "", map[string]any{"event": `{"e":1}`, "log": `{"l":}`}, "event", []string{"e"}},
		{"the Merge_Log_Key's map", "falco", map[string]any{"falco": map[string]any{"rule": "R"}, "log": `{"l":1}`}, "falco", []string{"rule"}},
		{"the Merge_Log_Key's JSON string", "falco", map[string]any{"falco": falco}, "falco", []string{"rule", "priority"}},
		{"no Merge_Log_Key set: a map is not looked into", "", map[string]any{"falco": map[string]any{"rule": "R"}}, "", []string{"falco"}},
		{"the Merge_Log_Key missing", "falco", map[string]any{"log": falco}, "log", []string{"rule", "priority"}},
		{"a map under log is a field of the record", "", map[string]any{"log": map[string]any{"a": 1}}, "", []string{"log"}},
		{"a map under event too", "", map[string]any{"event": map[string]any{"a": 1}}, "", []string{"event"}},
		{"an empty object", "", map[string]any{"log": `{ }`}, "log", nil},
		{"nested too deep", "", map[string]any{"log": `{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`}, "", []string{"log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ev := decodeWith(t, tt.mergeKey, tt.body)
			assert.Equal(t, tt.from, string(ev.EmbeddedKey))
			assert.Equal(t, tt.keys, keys(ev.Body()))
		})
	}
}

// Malformed JSON text leaves the record as it is.
func TestEmbeddedMalformedJSON(t *testing.T) {
	for _, text := range []string{
		`{"a":}`, `{"a":1,}`, `{"a" 1}`, `{"a":tru}`, `{"a":"x`, `{"a":"\x"}`, `{"a":"\u12"}`, `{a:1}`,
		`{"a":1`, `{"a":[1,]}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":nul}`, `{"a":1}}`, `{"a":"b"`,
	} {
		_, ev := decodeWith(t, "", map[string]any{"log": text})
		assert.Nil(t, ev.EmbeddedKey, text)
		assert.Equal(t, []string{"log"}, keys(ev.Body()), text)
	}
}

// An event with nothing embedded after one with: the decoder leaves nothing of the first behind.
func TestEmbeddedReset(t *testing.T) {
	var chunk []byte
	var err error
	for _, body := range []map[string]any{
		{"log": `{"rule":"R"}`},
		{"event_id": "PM-001"},
	} {
		chunk, err = fbchunk.AppendEvent(chunk, time.Unix(sec0, 0), body)
		require.NoError(t, err)
	}
	d := record.NewDecoder()
	d.Reset(chunk)
	var ev record.Event
	ok, err := d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	assert.Equal(t, []string{"rule"}, keys(ev.Body()))
	ok, err = d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	assert.Nil(t, ev.EmbeddedKey)
	assert.Equal(t, []string{"event_id"}, keys(ev.Body()))
}

// Decoding events carried as JSON text allocates nothing once the decoder is warm.
func TestEmbeddedDecodeAllocatesNothing(t *testing.T) {
	const n = 50
	var chunk []byte
	var err error
	for range n {
		chunk, err = fbchunk.AppendEvent(chunk, time.Unix(sec0, 0), map[string]any{
			"log":        `{"rule":"Terminal shell","priority":"Notice","output_fields":{"proc.pid":1846367,"proc.cmdline":"bash -c \"id\"","k8s.ns.name":null,"f":0.5},"tags":["a","b"]}`,
			"kubernetes": map[string]any{"host": "worker-2", "labels": map[string]any{"app": "falco"}},
		})
		require.NoError(t, err)
	}
	d := record.NewDecoder()
	var ev record.Event
	count := 0
	run := func() {
		count = 0
		d.Reset(chunk)
		for {
			ok, err := d.Next(&ev)
			if !ok || err != nil {
				break
			}
			if ev.EmbeddedKey != nil {
				count++
			}
		}
	}
	run()
	require.Equal(t, n, count)
	allocs := testing.AllocsPerRun(50, run)
	assert.Equal(t, n, count)
	assert.Zero(t, allocs, "%v allocations per chunk of %d events", allocs, n)
}

// A key given twice: the event carried in the record is the first log's, as the decoder's contract
// says ("the first of each key"), with and without the mapping's keys (embedBySlots).
func TestEmbeddedEventIsTheFirstOfARepeatedKey(t *testing.T) {
	chunk := current(sec0, 0, fixmap(3),
		mstr("log"), mstr(`{"first":1}`),
		mstr("log"), mstr(`{"second":2}`),
		mstr("msg"), mstr("x"))
	for name, d := range map[string]*record.Decoder{
		"no keys":   record.NewDecoder(),
		"with keys": record.NewDecoder().WithKeys(record.NewKeys("log", "event", "msg")),
	} {
		d.Reset(chunk)
		var ev record.Event
		ok, err := d.Next(&ev)
		require.NoError(t, err, name)
		require.True(t, ok, name)
		require.Equal(t, "log", string(ev.EmbeddedKey), name)
		assert.Equal(t, []string{"first"}, keys(ev.Body()), name)
	}
}
