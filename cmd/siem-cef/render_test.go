package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	seedRecord = "../../test/fixtures/seed-example.json"
	seedCEF    = "../../test/fixtures/seed-example.cef"
	eventsFile = "../../test/fixtures/events.jsonl"
)

func TestRenderSeedExample(t *testing.T) {
	cef, err := os.ReadFile(seedCEF)
	require.NoError(t, err)
	want := "<163>Feb 18 10:07:28 kcs-node " + strings.TrimRight(string(cef), "\n") + "\n"

	code, stdout, stderr := runCmd(t, "", "render", "--set", "Hostname=kcs-node", seedRecord)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, want, stdout)
	assert.Equal(t, "siem_cef.0: 1 sent (0 shortened), 0 filtered out, 0 skipped, 0 too large\n", stderr)

	// The same from standard input, and with the flags after the file.
	record, err := os.ReadFile(seedRecord)
	require.NoError(t, err)
	code, stdout, _ = runCmd(t, string(record), "render", "-", "--set", "hostname=kcs-node")
	require.Equal(t, exitOK, code)
	assert.Equal(t, want, stdout)

	// --start moves the header's time; another Facility its PRI (local0: 16*8+3).
	code, stdout, _ = runCmd(t, string(record), "render", "--set", "Hostname=kcs-node", "--set", "Facility=local0", "--start", "2026-03-05T01:02:03Z")
	require.Equal(t, exitOK, code)
	assert.Equal(t, "<131>Mar  5 01:02:03 kcs-node "+strings.TrimRight(string(cef), "\n")+"\n", stdout)
}

// classIDs takes the CEF Class ID (header field 4) of each line, after prefix.
func classIDs(t *testing.T, lines []string, prefix string) []string {
	t.Helper()
	var ids []string
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		fields := strings.Split(l, "|")
		require.Greater(t, len(fields), 4, l)
		ids = append(ids, fields[4])
	}
	return ids
}

func TestRenderTwoIntegrations(t *testing.T) {
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", `[OUTPUT]
    Name            siem_cef
    Integration     admin
    Address         siem-a.example.com
    Categories      Administration
    Runtime_Events  none

[OUTPUT]
    Name            siem_cef
    Integration     alerts-api
    Address         siem-b.example.com
    Categories      Alert, API
    Agent_Groups    none
`)
	wantAdmin := []string{"ADM-001", "ADM-002", "CVE-001", "MLW-001", "SD-008", "MS-001"}
	wantAlertsAPI := []string{"AG-001", "AG-002", "API-001", "API-002"}

	code, stdout, stderr := runCmd(t, "", "render", "--config", path, "--set", "Hostname=kcs-node", eventsFile)
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, len(wantAdmin)+len(wantAlertsAPI), stdout)
	assert.Equal(t, wantAdmin, classIDs(t, lines, "admin\t<"))
	assert.Equal(t, wantAlertsAPI, classIDs(t, lines, "alerts-api\t<"))
	for _, l := range lines {
		assert.Contains(t, l, " kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|", l)
	}
	assert.Equal(t, "admin: 6 sent (0 shortened), 24 filtered out, 0 skipped, 0 too large\nalerts-api: 4 sent (0 shortened), 26 filtered out, 0 skipped, 0 too large\n", stderr)

	// One of them: bare lines.
	code, stdout, stderr = runCmd(t, "", "render", "--config", path, "--integration", "alerts-api", eventsFile)
	require.Equal(t, exitOK, code, stderr)
	lines = strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	assert.Equal(t, wantAlertsAPI, classIDs(t, lines, "<"))
	assert.Equal(t, "alerts-api: 4 sent (0 shortened), 26 filtered out, 0 skipped, 0 too large\n", stderr)

	code, stdout, stderr = runCmd(t, "", "render", "--config", path, "--integration", "nope", eventsFile)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "no valid integration nope (the valid ones: admin, alerts-api)")
}

func TestRenderWarningsAndSkips(t *testing.T) {
	in := `{"event_id": "NT-001", "src_ip": "not-an-ip", "status": "Audit"}
[1, 2]
{"event_id": "ADM-001", "status": "Success"}
`
	code, stdout, stderr := runCmd(t, in, "render", "--set", "Hostname=h", "--set", "Categories=none")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	assert.Equal(t, []string{"NT-001"}, classIDs(t, lines, "<"))
	errLines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	require.Len(t, errLines, 3, stderr)
	// an event is named by its line, not by its offset in the chunk render makes of the lines
	assert.True(t, strings.HasPrefix(errLines[0], `siem_cef.0: warning: line 1 ("NT-001"): `), errLines[0])
	assert.Contains(t, errLines[0], "src_ip")
	assert.Equal(t, "siem_cef.0: warning: line 2 skipped: its body is not a map", errLines[1])
	assert.Equal(t, "siem_cef.0: 1 sent (0 shortened), 1 filtered out, 1 skipped, 0 too large", errLines[2])
}

func TestRenderErrors(t *testing.T) {
	// An invalid integration: reported as check-config reports it, status 1.
	_, want := loadProps(map[string]string{"Address": "127.0.0.1", "Protocol": "sctp"}, "siem_cef.0")
	require.Error(t, want)
	code, stdout, stderr := runCmd(t, "{}\n", "render", "--set", "Protocol=sctp")
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "siem_cef.0: invalid\n    "+want.Error()+"\n", "no file, so no section's place")

	// An invalid output next to a valid one: the valid one is still rendered.
	path := writeFile(t, t.TempDir(), "fluent-bit.conf",
		"[OUTPUT]\n    Name siem_cef\n    Integration ok\n    Address a\n\n[OUTPUT]\n    Name siem_cef\n    Address a\n    Facility local9\n")
	code, stdout, stderr = runCmd(t, `{"event_id": "ADM-001"}`+"\n", "render", "--config", path)
	assert.Equal(t, exitFail, code)
	assert.True(t, strings.HasPrefix(stdout, "ok\t<"), stdout)
	assert.Contains(t, stderr, "siem_cef.1: invalid\n    section: "+path+":6\n    property Facility: ")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "--set", "Adress=x"}, "Adress is not a siem_cef property (Integration, Address, "},
		{[]string{"render", "--set", "Address"}, "want Key=Value"},
		{[]string{"render", "--set", "Host=x"}, "Host is not a siem_cef property"},
		{[]string{"render", "--start", "soon"}, "not an RFC 3339 time"},
		{[]string{"render", "a.jsonl", "b.jsonl"}, "one input file at most"},
		{[]string{"render", "--config", "/nonexistent/fluent-bit.conf"}, "no such file or directory"},
	} {
		code, stdout, stderr := runCmd(t, "", tc.args...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Empty(t, stdout, tc.args)
		assert.Contains(t, stderr, tc.want, tc.args)
	}

	code, _, stderr = runCmd(t, "{\"a\": \n", "render")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "siem-cef render: standard input: line 1: ")
}

// TestRenderShortensAsThePluginDoes: render prints what a flush sends, so a message is shortened to
// Max_Message_Size here too (it printed an 18,339-byte line where the plugin sent 480 bytes).
func TestRenderShortensAsThePluginDoes(t *testing.T) {
	in := `{"event_id": "PM-001", "command": "` + strings.Repeat("sh -c x=1; ", 1000) + `", "cluster": "` + strings.Repeat("c", 4000) + `"}`
	code, stdout, stderr := runCmd(t, in, "render", "--set", "Max_Message_Size=480", "-")
	require.Equal(t, exitOK, code, stderr)
	line := strings.TrimSuffix(stdout, "\n")
	assert.NotContains(t, line, "\n")
	assert.LessOrEqual(t, len(line), 480)
	assert.Greater(t, len(line), 400, "cut no more than needed")
	assert.Contains(t, line, "cs4=sh -c x\\=1;")
	assert.Equal(t, "siem_cef.0: 1 sent (1 shortened), 0 filtered out, 0 skipped, 0 too large\n", stderr)
}

// render applies Aggregate and Max_Events_Per_Second as a flush does: five identical process
// events are one (cnt=5), a second token goes to the first network event, the two others are held
// back and said so before the category event, which is never held back.
func TestRenderAppliesVolumeControl(t *testing.T) {
	in := strings.Repeat(`{"event_id": "PM-002", "status": "Success", "command": "sh -c id", "pid": 7}`+"\n", 5) +
		`{"event_id": "NT-001", "status": "Audit", "dst_port": 443}` + "\n" +
		`{"event_id": "NT-001", "status": "Audit", "dst_port": 80}` + "\n" +
		`{"event_id": "NT-001", "status": "Audit", "dst_port": 22}` + "\n" +
		`{"event_id": "ADM-001", "status": "Success", "user": "alice"}` + "\n"
	code, stdout, stderr := runCmd(t, in, "render", "--set", "Hostname=kcs-node", "--set", "Aggregate=10s",
		"--set", "Max_Events_Per_Second=2", "--step", "100ms", "-")
	require.Equal(t, exitOK, code, stderr)
	hdr := "kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|"
	assert.Equal(t, "<166>Feb 18 10:07:28 "+hdr+"PM-002|Process management|3|dpid=7 cs4=sh -c id cs4Label=Command outcome=Success cnt=5 start=1771409248000 end=1771409248400\n"+
		"<163>Feb 18 10:07:28 "+hdr+"NT-001|Networking|7|dpt=443 outcome=Audit\n"+
		"<164>Feb 18 10:07:28 "+hdr+`SIEMCEF-001|Events not sent: rate ceiling|5|cnt=2 start=1771409248600 end=1771409248700 msg=NT\=2`+"\n"+
		"<166>Feb 18 10:07:28 "+hdr+"ADM-001|Administration|3|suser=alice outcome=Success\n", stdout)
	assert.Equal(t, "siem_cef.0: 4 sent (0 shortened), 0 filtered out, 0 skipped, 0 too large, 4 aggregated, 2 held back by the rate ceiling\n", stderr)
}

// When a record has a field under two spellings, the first in the record wins (docs/events.md §6):
// render reads each line's keys in their order, as the plugin gets them from Fluent Bit, and prints
// the line the plugin would send.
func TestRenderKeepsTheRecordsKeyOrder(t *testing.T) {
	const rec = `{"event_id":"ADM-1","suser":"bob","sourceUserName":"carl"}` + "\n"
	code, stdout, stderr := runCmd(t, rec, "render", "--set", "Hostname=h", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "<166>Feb 18 10:07:28 h CEF:0|Kaspersky|Kaspersky Container Security|2.0|ADM-1|Administration|3|suser=bob\n", stdout)
}

// An output that is invalid because a variable it names is not set says so where it is reported
// invalid, in render and test-connection as in check-config.
func TestAnInvalidOutputNamesTheVariableThatIsNotSet(t *testing.T) {
	t.Setenv("SIEM_CEF_TEST_UNSET", "")
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", "[OUTPUT]\n    Name siem_cef\n    Address ${SIEM_CEF_TEST_UNSET}\n")
	const want = "    warning: Address: ${SIEM_CEF_TEST_UNSET} is not set, so it expands to empty\n"
	_, _, stderr := runCmd(t, `{"event_id":"PM-001"}`+"\n", "render", "--config", path, "-")
	assert.Contains(t, stderr, "siem_cef.0: invalid\n")
	assert.Contains(t, stderr, want)
	_, stdout, _ := runCmd(t, "", "test-connection", path)
	assert.Contains(t, stdout, "siem_cef.0: invalid\n")
	assert.Contains(t, stdout, want)
}

// A warning that names no event (the aggregation table's) is written as the pipeline gives it, not
// as one about a line.
func TestRenderLeavesAWarningWithoutAnEventAlone(t *testing.T) {
	var in strings.Builder
	for i := range 4100 { // more different runtime events than the aggregation table holds
		fmt.Fprintf(&in, `{"event_id": "PM-001", "status": "Audit", "src_ip": "10.0.%d.%d"}`+"\n", i/256, i%256)
	}
	code, _, stderr := runCmd(t, in.String(), "render", "--set", "Hostname=h", "--set", "Aggregate=10s")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "siem_cef.0: warning: more than 4096 different runtime events in this chunk")
}
