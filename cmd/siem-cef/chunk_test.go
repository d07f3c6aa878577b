package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const jsonl = `{"event_id": "PM-002", "pid": 1846367, "status": "Success", "container": "alpine"}

{"event_id": "ADM-001", "user": "admin", "status": "Error", "reason": "denied"}
{"event_id": "NT-001", "src_ip": "10.0.0.1", "dst_port": 443, "ratio": 0.5}
`

type decodedEvent struct {
	time    time.Time
	eventID string
}

func decodeChunk(t *testing.T, chunk []byte) []decodedEvent {
	t.Helper()
	d := record.NewDecoder()
	d.Reset(chunk)
	var res []decodedEvent
	var ev record.Event
	for {
		ok, err := d.Next(&ev)
		require.NoError(t, err)
		if !ok {
			return res
		}
		id, ok := ev.RecordNode("event_id").Str()
		require.True(t, ok, "event_id is a string")
		res = append(res, decodedEvent{ev.Time, string(id)})
	}
}

func TestChunkFileToFile(t *testing.T) {
	dir := t.TempDir()
	in, out := writeFile(t, dir, "events.jsonl", jsonl), filepath.Join(dir, "events.chunk")

	code, stdout, stderr := runCmd(t, "", "chunk", "--start", "2026-01-02T03:04:05Z", "--step", "250ms", "-o", out, in)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	assert.Equal(t, "3 events\n", stderr)

	chunk, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x92, 0x92, 0xd7, 0x00}, chunk[:4], "[[EventTime, {}], body]")
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got := decodeChunk(t, chunk)
	require.Len(t, got, 3)
	for i, id := range []string{"PM-002", "ADM-001", "NT-001"} {
		assert.True(t, start.Add(time.Duration(i)*250*time.Millisecond).Equal(got[i].time), "event %d at %v", i, got[i].time)
		assert.Equal(t, id, got[i].eventID)
	}
}

func TestChunkStdinDefaults(t *testing.T) {
	for _, args := range [][]string{{"chunk"}, {"chunk", "-"}} {
		code, stdout, stderr := runCmd(t, jsonl, args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, "3 events\n", stderr)
		start := time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
		got := decodeChunk(t, []byte(stdout))
		require.Len(t, got, 3)
		for i := range got {
			assert.True(t, start.Add(time.Duration(i)*time.Second).Equal(got[i].time), "event %d at %v", i, got[i].time)
		}
	}
}

func TestChunkLegacy(t *testing.T) {
	code, stdout, stderr := runCmd(t, jsonl, "chunk", "--legacy", "--start", "2026-02-18T10:07:28.5Z", "--step", "2s")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "3 events\n", stderr)
	assert.Equal(t, []byte{0x92, 0xd7, 0x00}, []byte(stdout[:3]), "[EventTime, body]")
	got := decodeChunk(t, []byte(stdout))
	require.Len(t, got, 3)
	start := time.Date(2026, 2, 18, 10, 7, 28, 5e8, time.UTC)
	for i, id := range []string{"PM-002", "ADM-001", "NT-001"} {
		assert.True(t, start.Add(time.Duration(i)*2*time.Second).Equal(got[i].time), "event %d at %v", i, got[i].time)
		assert.Equal(t, id, got[i].eventID)
	}

	// The same records as the current format, apart from the framing.
	code, current, _ := runCmd(t, jsonl, "chunk", "--start", "2026-02-18T10:07:28.5Z", "--step", "2s")
	require.Equal(t, exitOK, code)
	assert.Less(t, len(stdout), len(current))
}

func TestChunkEmptyInput(t *testing.T) {
	code, stdout, stderr := runCmd(t, "\n\n", "chunk")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "0 events\n", stderr)
}

func TestChunkErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.chunk")
	for _, legacy := range []bool{false, true} {
		args := []string{"chunk", "-o", out}
		if legacy {
			args = append(args, "--legacy")
		}
		code, stdout, stderr := runCmd(t, "{\"a\": 1}\n{\"a\": \n", args...)
		assert.Equal(t, exitFail, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "siem-cef chunk: standard input: line 2: ")
		_, err := os.Stat(out)
		assert.True(t, os.IsNotExist(err), "no output file on failure")
	}

	code, _, stderr := runCmd(t, "", "chunk", filepath.Join(t.TempDir(), "missing.jsonl"))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "no such file")

	// The last event's time must fit EventTime's 32-bit seconds.
	code, _, stderr = runCmd(t, jsonl, "chunk", "--start", "2106-02-07T06:28:14Z", "--step", "1s")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "outside what an EventTime holds")
}

func TestChunkFlagsAfterFile(t *testing.T) {
	dir := t.TempDir()
	in, out := writeFile(t, dir, "events.jsonl", jsonl), filepath.Join(dir, "events.chunk")
	code, stdout, stderr := runCmd(t, "", "chunk", in, "-o", out, "--legacy")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	chunk, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, byte(0xd7), chunk[1], "legacy format")
	assert.Len(t, decodeChunk(t, chunk), 3)
}
