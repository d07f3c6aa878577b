package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer that a running command and the test can use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeFile writes a file into dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// loadProps is config.Load over a map, the plugin's view of a section.
func loadProps(props map[string]string, name string) (*config.Config, error) {
	return config.Load(config.GetterFunc(func(k string) string { return props[k] }), name)
}

// runCmd runs the program in-process with stdin and returns the exit status and both outputs.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, stdout, stderr := runCmd(t, "", args...)
		assert.Equal(t, exitOK, code, args)
		assert.Empty(t, stderr, args)
		assert.True(t, strings.HasPrefix(stdout, "usage: siem-cef COMMAND"), stdout)
		assert.Contains(t, stdout, "\n  listen ")
		assert.Contains(t, stdout, "\n  chunk ")
	}
}

func TestCommandHelp(t *testing.T) {
	for _, name := range []string{"listen", "chunk"} {
		for _, args := range [][]string{{name, "-h"}, {name, "--help"}, {"help", name}} {
			code, stdout, stderr := runCmd(t, "", args...)
			assert.Equal(t, exitOK, code, args)
			assert.Empty(t, stderr, args)
			assert.True(t, strings.HasPrefix(stdout, "usage: siem-cef "+name+" "), stdout)
			assert.Contains(t, stdout, "\nflags:\n")
		}
	}
	code, stdout, _ := runCmd(t, "", "listen", "-h")
	require.Equal(t, exitOK, code)
	for _, f := range []string{"-tcp ADDR", "-udp ADDR", "-json", "-count N", "-timeout DUR", "-out FILE"} {
		assert.Contains(t, stdout, f)
	}
	code, stdout, _ = runCmd(t, "", "chunk", "-h")
	require.Equal(t, exitOK, code)
	for _, f := range []string{"-start RFC3339", "-step DUR", "-legacy", "-o FILE", "2026-02-18T10:07:28Z"} {
		assert.Contains(t, stdout, f)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: siem-cef COMMAND"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"help", "nope"}, `unknown command "nope"`},
		{[]string{"listen", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"listen"}, "give --tcp ADDR, --udp ADDR, --tls ADDR, or several"},
		{[]string{"listen", "--tcp", "127.0.0.1:0", "extra"}, "unexpected arguments"},
		{[]string{"listen", "--tcp", "127.0.0.1:0", "--count", "-1"}, "--count must not be negative"},
		{[]string{"listen", "--tcp", "127.0.0.1:0", "--timeout", "soon"}, "invalid value"},
		{[]string{"chunk", "--start", "yesterday"}, "not an RFC 3339 time"},
		{[]string{"chunk", "--start", "1969-12-31T23:59:59Z"}, "outside what an EventTime holds"},
		{[]string{"chunk", "a.jsonl", "b.jsonl"}, "one input file at most"},
	} {
		code, stdout, stderr := runCmd(t, "", tc.args...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Empty(t, stdout, tc.args)
		assert.Contains(t, stderr, tc.want, tc.args)
		assert.Contains(t, stderr, "usage: siem-cef", tc.args)
	}
}

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		positional []string
		o          string
		legacy     bool
	}{
		{nil, nil, "", false},
		{[]string{"in"}, []string{"in"}, "", false},
		{[]string{"-o", "out", "in"}, []string{"in"}, "out", false},
		{[]string{"in", "-o", "out", "--legacy"}, []string{"in"}, "out", true},
		{[]string{"-", "-o", "out"}, []string{"-"}, "out", false},
		{[]string{"a", "--", "-o", "b"}, []string{"a", "-o", "b"}, "", false},
		{[]string{"--legacy", "--", "-x"}, []string{"-x"}, "", true},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		o := fs.String("o", "", "")
		legacy := fs.Bool("legacy", false, "")
		positional, err := parseInterleaved(fs, tc.args)
		require.NoError(t, err, tc.args)
		assert.Equal(t, tc.positional, positional, tc.args)
		assert.Equal(t, tc.o, *o, tc.args)
		assert.Equal(t, tc.legacy, *legacy, tc.args)
	}
}
