package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkABI runs scripts/check-abi.sh on so with GLIBC_MAX=glibcMax ("" for its default, the image's
// glibc); it returns the output and whether the check passed.
func checkABI(t *testing.T, so, glibcMax string) (string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", "check-abi.sh"), so)
	cmd.Env = os.Environ()
	if glibcMax != "" {
		cmd.Env = append(cmd.Env, "GLIBC_MAX="+glibcMax)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "running check-abi.sh: %s", out)
		require.Equal(t, 1, exit.ExitCode(), "check-abi.sh fails with status 1 for a bad library:\n%s", out)
	}
	return string(out), err == nil
}

// TestCheckABI: the plugin passes against the image's glibc, and the same library fails, naming
// the symbols, against an older one; a library with another dependency and without the entry
// points fails too. (make check-abi runs the check on a fresh build as part of make test.)
func TestCheckABI(t *testing.T) {
	dir := t.TempDir()
	so := filepath.Join(dir, "out_siem_cef.so")
	build := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", so, "./plugin")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the plugin:\n%s", out)

	got, ok := checkABI(t, so, "")
	assert.True(t, ok, got)
	assert.Contains(t, got, "check-abi: ok:")
	assert.Contains(t, got, "libc.so.6")

	// Go's runtime imports pthread_create@GLIBC_2.34 from glibc 2.34 on; 2.17 is older than any
	// version a current toolchain links to.
	got, ok = checkABI(t, so, "2.17")
	assert.False(t, ok, "a library that needs a newer glibc than the image's must fail:\n%s", got)
	assert.Regexp(t, `imports \w+@GLIBC_2\.\d+, newer than the image's glibc 2\.17`, got)
	assert.Contains(t, got, "FAIL")

	// A C library with a dependency the image lacks and none of Fluent Bit's entry points.
	src := filepath.Join(dir, "bad.c")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dep.c"), []byte("int dep(void) { return 1; }\n"), 0o644))
	require.NoError(t, os.WriteFile(src, []byte("int dep(void);\nint f(void) { return dep(); }\n"), 0o644))
	for _, c := range [][]string{
		{"gcc", "-shared", "-fPIC", "-o", filepath.Join(dir, "libdep.so"), filepath.Join(dir, "dep.c")},
		{"gcc", "-shared", "-fPIC", "-o", filepath.Join(dir, "bad.so"), src, "-L" + dir, "-Wl,--no-as-needed", "-ldep"},
	} {
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		require.NoError(t, err, "%v:\n%s", c, out)
	}
	got, ok = checkABI(t, filepath.Join(dir, "bad.so"), "")
	assert.False(t, ok, got)
	assert.Contains(t, got, "needs libdep.so, which the Fluent Bit image does not have")
	assert.Contains(t, got, "does not export FLBPluginRegister")
	assert.Contains(t, got, "exports neither FLBPluginFlushCtx nor FLBPluginFlush")
}
