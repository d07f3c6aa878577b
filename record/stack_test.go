package record_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// The decoder's own comment says nesting is bounded "so hostile input cannot exhaust the stack". That
// must hold wherever nesting can stand, including the parts the decoder steps over (metadata, a body
// that is not a map, a key that is not a string, a group marker). A Go stack overflow is fatal and
// cannot be recovered, and in the plugin it would take Fluent Bit down with it, so the check runs in
// a child process. The child lowers the stack limit to 32 MB so that a 1 MB chunk shows the problem;
// with Go's default 1 GB limit the same happens at about 9 million levels (a 9 MB record).
func TestDeepNestingBoundedStack(t *testing.T) {
	if os.Getenv("RECORD_STACK_CHILD") == "1" {
		deepNestingChild(t)
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeepNestingBoundedStack$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "RECORD_STACK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("CHILD DONE")) {
		lines := strings.SplitN(string(out), "\n", 12)
		if len(lines) > 11 {
			lines = lines[:11]
		}
		t.Fatalf("decoding deeply nested chunks crashed the process (%v):\n%s", err, strings.Join(lines, "\n"))
	}
}

func deepNestingChild(t *testing.T) {
	debug.SetMaxStack(32 << 20)
	const levels = 1 << 20
	deep := nested(levels, []byte{0x01})
	good := current(sec0, 1, flatBody("good"))
	cases := []struct {
		name string
		bad  []byte
	}{
		{"body value", current(sec0, 0, fixmap(1), mstr("a"), deep)},
		{"metadata", cat(fixarray(2), fixarray(2), eventTime(sec0, 0), deep, flatBody("x"))},
		{"body not a map", cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0), deep)},
		{"non-string key", current(sec0, 0, fixmap(1), deep, []byte{0x01})},
		{"group marker", cat(fixarray(2), fixarray(2), eventTime(0xFFFFFFFF, 0), deep, fixmap(0))},
	}
	for _, c := range cases {
		fmt.Println("child:", c.name)
		decodeAll(t, cat(c.bad, good))
	}
	fmt.Println("CHILD DONE")
}
