package schema

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withDecoys rewrites a JSON text so that every key of every object is given twice, its value and
// a decoy of it (another string, number or truth value; an empty map or array; a string for
// null), the decoy after the value or, with decoyFirst, before it.
func withDecoys(t *testing.T, text string, decoyFirst bool) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var value func() (v, decoy string)
	value = func() (string, string) {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch tok := tok.(type) {
		case json.Delim:
			var b strings.Builder
			b.WriteRune(rune(tok))
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if tok == '[' {
					v, _ := value()
					b.WriteString(v)
					continue
				}
				key, err := dec.Token()
				require.NoError(t, err)
				k, _ := json.Marshal(key)
				v, decoy := value()
				first, second := v, decoy
				if decoyFirst {
					first, second = decoy, v
				}
				b.WriteString(string(k) + ":" + first + "," + string(k) + ":" + second)
			}
			end, err := dec.Token()
			require.NoError(t, err)
			b.WriteRune(rune(end.(json.Delim)))
			if tok == '[' {
				return b.String(), "[]"
			}
			return b.String(), "{}"
		case string:
			v, _ := json.Marshal(tok)
			decoy, _ := json.Marshal("decoy-" + tok)
			return string(v), string(decoy)
		case json.Number:
			return tok.String(), tok.String() + "1"
		case bool:
			return map[bool]string{true: "true", false: "false"}[tok], map[bool]string{true: "false", false: "true"}[tok]
		}
		return "null", `"decoy"`
	}
	v, _ := value()
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF)
	return v
}

// A key given twice counts the first time, in every map the Tetragon and Tracee mappings read
// (as record.Node.Get gives it): an event whose every key is followed by
// a decoy maps as the event itself. The decoys would change the line if they counted: put first,
// they do.
func TestRepeatedKeyCountsTheFirstTime(t *testing.T) {
	forward, err := os.ReadFile("../test/fixtures/peers/tracee_forward_signature_constructed.json")
	require.NoError(t, err)
	var tracee struct{ Event string }
	require.NoError(t, json.Unmarshal(forward, &tracee))
	events := []string{tracee.Event,
		`{"process_kprobe":{"process":{"pid":1,"binary":"/bin/nc","process_credentials":{"euid":5,"egid":6},"user":{"name":"bob"},
			"pod":{"name":"web-1","namespace":"shop","container":{"id":"containerd://abc","name":"c","image":{"id":"a/b@sha256:1","name":"a/b:1"}}}},
			"parent":{"pid":2},"function_name":"tcp_connect","args":[{"sock_arg":{"saddr":"10.0.0.1","daddr":"10.0.0.2","sport":4000,"dport":443}}],
			"action":"KPROBE_ACTION_SIGKILL","policy_name":"p","message":"m"},"node_name":"n1","cluster_name":"c1","time":"2026-03-12T09:43:10Z"}`,
		`{"process_kprobe":{"process":{"pid":1,"binary":"/bin/nc","uid":7,"docker":"abc"},"event":"security_socket_accept",
			"args":[{"sockaddr_arg":{"addr":"10.0.0.9","port":80}}],"return_action":"KPROBE_ACTION_OVERRIDE"}}`,
		`{"process_lsm":{"process":{"pid":1,"binary":"/bin/sh"},"symbol":"x","args":[{"file_arg":{"path":"/etc/x","permission":"-rw-r--r--"}}]}}`,
		`{"process_lsm":{"process":{"pid":1,"binary":"/bin/sh"},"name":"x","args":[{"linux_binprm_arg":{"path":"/tmp/x"}}]}}`,
		`{"process_exit":{"process":{"pid":1,"binary":"/bin/sh","arguments":"-c x"},"parent":{"pid":2},"signal":"SIGKILL","status":3}}`,
		`{"eventName":"bind","hostProcessId":5,"hostParentProcessId":4,"userId":0,"processName":"nc","timestamp":1773308451100200300,
			"args":[{"name":"addr","value":{"sin_addr":"10.0.0.1","sin_port":80}}],"containerId":"abc",
			"container":{"name":"web","image":"nginx","imageDigest":"sha256:1"},"kubernetes":{"podName":"p","podNamespace":"n"}}`,
		`{"eventName":"sched_process_exec","hostProcessId":5,"executable":{"path":"/bin/e"},"args":[{"name":"argv","value":["ls","-l"]}]}`,
		`{"eventName":"fchmodat","hostProcessId":5,"args":[{"name":"pathname","value":"/a"},{"name":"mode","value":420}]}`,
	}
	for _, text := range events {
		want := cefLine(t, &Mapper{}, map[string]any{"log": text})
		assert.Equal(t, want, cefLine(t, &Mapper{}, map[string]any{"log": withDecoys(t, text, false)}), text)
		assert.NotEqual(t, want, cefLine(t, &Mapper{}, map[string]any{"log": withDecoys(t, text, true)}), text)
	}
}

// An argument of a Tracee event given twice counts the first time it holds a value the mapping
// takes, and the arguments after those the event's family uses are not read: a name first given
// a value that is none (a number for a path, a truth value for a mode) is still taken from the
// next, and one that follows the arguments used changes nothing.
func TestTraceeArgumentCountsTheFirstTimeItHoldsAValue(t *testing.T) {
	for text, want := range map[string][]string{
		`{"eventName":"execve","hostProcessId":5,"executable":{"path":"/bin/e"},"args":[{"name":"argv","value":["a","-x"]},
			{"name":"pathname","value":7},{"name":"pathname","value":"/bin/a"},{"name":"pathname","value":"/bin/b"},
			{"name":"argv","value":["b"]}]}`: {"filePath=/bin/a ", "cs4=a -x ", "msg=execve /bin/a"},
		`{"eventName":"fchmodat","hostProcessId":5,"args":[{"name":"mode","value":true},{"name":"pathname","value":"/a"},
			{"name":"mode","value":420},{"name":"oldpath","value":"/o"},{"name":"mode","value":511},{"name":"pathname","value":"/b"}]}`: {
			"filePermission=0644 ", "oldFilePath=/o ", "filePath=/a ", "msg=fchmodat /a"},
	} {
		got := cefLine(t, &Mapper{}, map[string]any{"log": text})
		for _, w := range want {
			assert.Contains(t, got, w, text)
		}
	}
}

// Every kind of event has its IDs and the arguments a Tracee event of it is read for: a kind added
// without them would map its events with no ID, or read none of their arguments.
func TestEveryKindHasItsEntries(t *testing.T) {
	for k := range numKinds {
		assert.NotEmpty(t, violationIDs[k], "kind %d", k)
		assert.NotEmpty(t, observationIDs[k], "kind %d", k)
		assert.NotZero(t, kindArgs[k], "kind %d", k)
	}
}
