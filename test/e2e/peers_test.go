package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const peerFixtures = "../fixtures/peers/"

// peerChunk makes a chunk of the one event of a fixture file (a JSON object, possibly on many
// lines) at fixtureStart.
func peerChunk(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	body, err := fbchunk.ParseJSON(b)
	require.NoError(t, err)
	chunk, err := fbchunk.AppendEvent(nil, fixtureStart, body)
	require.NoError(t, err)
	return writeChunk(t, chunk)
}

// TestPeerEventsThroughTheHost sends every fixture of test/fixtures/peers (Falco, Tetragon,
// Tracee, Fluent Bit's tail and kubernetes shapes, a plain log line, an unknown shape) through the
// host to a TCP receiver, one flush each, with Schema auto; each line must be the one written by
// hand in testdata/peers from the README's mapping ("Events from Falco, Tetragon and Tracee").
func TestPeerEventsThroughTheHost(t *testing.T) {
	files, err := filepath.Glob(peerFixtures + "*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var script strings.Builder
	var golden []string
	tcp := tcpReceiver(t)
	// Merge_Log_Key falco: the fixture with the kubernetes filter's Merge_Log_Key has its event there.
	fmt.Fprintf(&script, "register\ninstance peers Address=%s Hostname=kcs-node Startup_Check=off Merge_Log_Key=falco\n", tcp.Addr)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		want := readLines(t, "testdata/peers/"+name+".cef")
		require.Len(t, want, 1, name)
		golden = append(golden, want[0])
		fmt.Fprintf(&script, "flush peers %s\n", peerChunk(t, f))
	}
	script.WriteString("exit peers\nunregister\n")
	run := runHost(t, script.String())
	for _, r := range run.results[2 : 2+len(files)] {
		assert.Equal(t, "flush peers rc=1", r)
	}

	got := tcp.Lines(len(files))
	require.Len(t, got, len(files), run.log)
	for i, f := range files {
		assert.Equal(t, golden[i], got[i], filepath.Base(f))
		_, _, err := cef.ParseSyslog(got[i])
		assert.NoError(t, err, got[i])
	}
	// Every fixture maps without a field problem.
	assert.NotContains(t, run.log, "[warn]", run.log)
	assert.Contains(t, run.log, "Schema=auto Merge_Log_Key=falco")
}

// TestPeerSetAndMap: Set.<field> and Map.<field> on the Falco event of a container log line. The
// Map path of image is in the embedded event and wins over the preset's image; cluster comes from
// the kubernetes block; node_ip is a constant.
func TestPeerSetAndMap(t *testing.T) {
	chunk := peerChunk(t, peerFixtures+"fluentbit_tail_cri_k8s_falco_mergelog_off_constructed.json")
	want := readLines(t, "testdata/peers/set_map.cef")
	tcp := tcpReceiver(t)
	run := runHost(t, fmt.Sprintf(`register
instance a Address=%s Hostname=kcs-node Startup_Check=off Set.node_ip=10.0.0.12 Map.cluster=$kubernetes['labels']['app.kubernetes.io/instance'] Map.image=$output_fields['container.image.repository'] Set.cluster=unused
flush a %s
exit a
`, tcp.Addr, chunk))
	assert.Equal(t, []string{"register rc=0 name=siem_cef", "init a rc=1", "flush a rc=1", "exit a rc=1"}, run.results)
	assert.Equal(t, want, tcp.Lines(1))
	// the start-up line shows every Set and Map, in the order of the fields, Map before Set
	assert.Contains(t, run.log, "Schema=auto Map.image=$output_fields['container.image.repository'] "+
		"Map.cluster=$kubernetes['labels']['app.kubernetes.io/instance'] Set.cluster=unused Set.node_ip=10.0.0.12")
}

// TestPeerSchemaForced: Schema kcs maps a Falco alert as a KCS-native record: of its keys only
// `source` (Falco's event source, syscall) is a field of docs/events.md §6, and the type is unknown. A bad
// Schema, Map or Set refuses to start.
func TestPeerSchemaForced(t *testing.T) {
	chunk := peerChunk(t, peerFixtures+"falco_exec_captured_0.41.json")
	tcp := tcpReceiver(t)
	run := runHost(t, fmt.Sprintf(`register
instance kcs Address=%s Hostname=kcs-node Startup_Check=off Schema=kcs
instance bad Address=%s Schema=sysdig Map.node=kubernetes.host Set.src_ip=nowhere
flush kcs %s
exit kcs
`, tcp.Addr, tcp.Addr, chunk))
	assert.Equal(t, []string{"register rc=0 name=siem_cef", "init kcs rc=1", "init bad rc=0", "flush kcs rc=1", "exit kcs rc=1"}, run.results)
	assert.Equal(t, []string{"<164>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|UNKNOWN|Unknown event|5|source=syscall"}, tcp.Lines(1))
	for _, p := range []string{"property Schema", "property Map.node", "property Set.src_ip"} {
		assert.Contains(t, run.log, p)
	}
}
