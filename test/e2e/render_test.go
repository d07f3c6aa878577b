package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRenderPrintsWhatAFlushSends: `siem-cef render` promises the exact lines each integration
// would send. The sample events and records long enough to be shortened go through render and
// through a flush of the .so in the host, under the same properties; the lines must be the same.
func TestRenderPrintsWhatAFlushSends(t *testing.T) {
	events, err := os.ReadFile(fixtures + "events.jsonl")
	require.NoError(t, err)
	long := strings.Repeat("é=|€ x", 700)
	for _, id := range []string{"PM-001", "FM-002", "ADM-001", "API-002"} {
		events = fmt.Appendf(events, `{"event_id":%q,"event_name":%q,"command":%q,"cluster":%q,"path":%q,"message":%q,"user":%q,"status":"Audit"}`+"\n",
			id, long, long, long, long, long, long)
	}
	input := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(input, events, 0o600))

	bin := siemCEF(t)
	for _, size := range []string{"480", "8096"} {
		props := []string{"Hostname=kcs-node", "Max_Message_Size=" + size, "Syslog_Format=rfc5424"}
		args := []string{"render", "--start", fixtureStart.Format("2006-01-02T15:04:05Z07:00"), "--step", "1s"}
		for _, p := range props {
			args = append(args, "--set", p)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, append(args, input)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), stderr.String())
		rendered := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")

		chunk, n := chunkFile(t, input)
		tcp := tcpReceiver(t)
		run := runHost(t, fmt.Sprintf("register\ninstance r Address=%s %s\nflush r %s\nexit r\n", tcp.Addr, strings.Join(props, " "), chunk))
		require.Equal(t, "flush r rc=1", run.results[2], run.log)
		sent := tcp.Lines(n)
		require.Len(t, rendered, n, stderr.String())
		assert.Equal(t, rendered, sent, "Max_Message_Size %s", size)
		assert.NotContains(t, stderr.String(), "(0 shortened)", "Max_Message_Size %s: the long records were shortened", size)
	}
}

// siemCEF builds the tool.
func siemCEF(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "siem-cef")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/siem-cef").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}
