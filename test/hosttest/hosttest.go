// Package hosttest builds the plugin and the host of test/host, and runs host scripts: what the
// end-to-end and rsyslog tests share.
package hosttest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/require"
)

// Binaries are the plugin and the host, built for one test binary.
type Binaries struct {
	Dir, SO, Host string
}

// Main builds the binaries from the repository's root (relative to the test's directory), runs the
// tests and removes them again; it is a TestMain's body.
func Main(m *testing.M, root string, bins **Binaries) {
	b, err := Build(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the plugin and the host for the tests:", err)
		os.Exit(1)
	}
	*bins = b
	code := m.Run()
	os.RemoveAll(b.Dir)
	os.Exit(code)
}

// Build builds the binaries into a new temporary directory, b.Dir, which the caller removes.
func Build(root string) (*Binaries, error) {
	dir, err := os.MkdirTemp("", "siem-cef-host")
	if err != nil {
		return nil, err
	}
	b := &Binaries{Dir: dir, SO: filepath.Join(dir, "out_siem_cef.so"), Host: filepath.Join(dir, "flb-host")}
	for _, cmd := range [][]string{
		pluginBuild(root, b.SO, ""),
		hostBuild(root, b.Host, "-rdynamic"),
	} {
		if err := run(cmd); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	return b, nil
}

func pluginBuild(root, so, tags string) []string {
	return []string{"go", "build", "-buildmode=c-shared", "-tags=" + tags, "-o", so, filepath.Join(root, "plugin")}
}

// hostBuild compiles the host. With -rdynamic it exports its cmetrics stand-ins, as the fluent-bit
// binary exports cmetrics; without, it is a Fluent Bit that offers the plugin no metrics.
func hostBuild(root, host string, flags ...string) []string {
	cmd := append([]string{"gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread"}, flags...)
	return append(cmd, "-o", host, filepath.Join(root, "test/host/host.c"), "-ldl")
}

func run(cmd []string) error {
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("%v: %w", cmd, err)
	}
	return nil
}

// Tagged builds the plugin again with build tags (a test-only hook) into the test's temporary
// directory, and returns binaries that run it in b's host.
func (b *Binaries) Tagged(t testing.TB, root, tags string) *Binaries {
	t.Helper()
	dir := t.TempDir()
	tagged := &Binaries{Dir: dir, SO: filepath.Join(dir, "out_siem_cef.so"), Host: b.Host}
	require.NoError(t, run(pluginBuild(root, tagged.SO, tags)))
	return tagged
}

// WithoutMetrics builds the host again without exporting its cmetrics stand-ins, into the test's
// temporary directory, and returns binaries that run b's plugin in it.
func (b *Binaries) WithoutMetrics(t testing.TB, root string) *Binaries {
	t.Helper()
	dir := t.TempDir()
	plain := &Binaries{Dir: dir, SO: b.SO, Host: filepath.Join(dir, "flb-host")}
	require.NoError(t, run(hostBuild(root, plain.Host)))
	return plain
}

// Run runs a host script and fails the test if the host itself failed; it returns the result lines
// (one per command) and the log.
func (b *Binaries) Run(t testing.TB, script string, args ...string) (results []string, log string) {
	t.Helper()
	cmd := exec.Command(b.Host, append(args, b.SO, "-")...)
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "host failed\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", script, stdout.String(), stderr.String())
	return strings.Split(strings.TrimSpace(stdout.String()), "\n"), stderr.String()
}

// FixtureStart is the time of the first event of a fixture chunk; each next event is a second
// later, as the golden lines have them.
var FixtureStart = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)

// ChunkFile writes JSON lines as a Fluent Bit chunk file and returns its path and the event count.
func ChunkFile(t testing.TB, jsonl []byte) (string, int) {
	t.Helper()
	chunk, n, err := fbchunk.FromJSONLines(bytes.NewReader(jsonl), FixtureStart, time.Second)
	require.NoError(t, err)
	return WriteChunk(t, chunk), n
}

// WriteChunk writes a chunk into the test's temporary directory.
func WriteChunk(t testing.TB, chunk []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chunk.msgpack")
	require.NoError(t, os.WriteFile(p, chunk, 0o644))
	return p
}
