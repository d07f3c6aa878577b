package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A panic in a flush goes no further than the plugin's entry point. Built with the panichook tag,
// the plugin panics while it emits an event that carries the hook's marker, after the flush has
// taken its lane. The host goes on: that flush answers RETRY with one error line naming the entry
// point and where the panic started, and the next flush delivers on a new lane.
func TestAPanicInAFlushDoesNotReachTheHost(t *testing.T) {
	tagged := bins.Tagged(t, "../..", "panichook")
	r := tcpReceiver(t)
	var poisoned []byte
	var err error
	for _, msg := range []string{"before", "siem-cef:panic-hook", "after"} {
		poisoned, err = fbchunk.AppendEvent(poisoned, fixtureStart, map[string]any{"event_id": "PM-001", "message": msg})
		require.NoError(t, err)
	}
	fine, err := fbchunk.AppendEvent(nil, fixtureStart, map[string]any{"event_id": "PM-002", "message": "next flush"})
	require.NoError(t, err)

	results, log := tagged.Run(t, fmt.Sprintf("register\ninstance t Address=%s\nflush t %s\nflush t %s\nexit t\n",
		r.Addr, writeChunk(t, poisoned), writeChunk(t, fine)))
	assert.Equal(t, []string{"register rc=0 name=siem_cef", "init t rc=1", "flush t rc=2", "flush t rc=1", "exit t rc=1"}, results)
	panics := regexp.MustCompile(`(?m)^\[error\] \[siem_cef:siem_cef\.0\] FLBPluginFlushCtx recovered from a panic at plugin/panichook\.go:\d+: "injected by the panichook build tag"$`)
	assert.Len(t, panics.FindAllString(log, -1), 1, log)
	assert.Equal(t, 1, strings.Count(log, "recovered from a panic"), log)
	lines := r.Lines(1)
	require.Len(t, lines, 1, "nothing of the flush that panicked was sent")
	assert.Contains(t, lines[0], "msg=next flush")
}
