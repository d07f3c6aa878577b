package deploy

import (
	"encoding/json"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper case
	Args string
}

func parseDockerfile(text string) []instruction {
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// TestDockerfile checks the release image by reading it (no Docker engine here): pinned bases, the Go
// of go.mod, the ABI check in the build, the plugin where plugins.conf loads it, both
// configurations, the tool, OCI labels, the ports of the configuration, no daemon mode.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(repoFile(t, "Dockerfile"))
	args := map[string]string{} // ARG defaults
	var froms, copies, labels []string
	var entrypoint, cmd []string
	var expose []string
	for _, in := range ins {
		switch in.Cmd {
		case "ARG":
			if k, v, ok := strings.Cut(in.Args, "="); ok {
				args[k] = v
			}
		case "FROM":
			froms = append(froms, expandArgs(in.Args, args))
		case "COPY":
			copies = append(copies, in.Args)
		case "LABEL":
			labels = append(labels, in.Args)
		case "ENTRYPOINT":
			require.NoError(t, json.Unmarshal([]byte(in.Args), &entrypoint), "ENTRYPOINT in exec form")
		case "CMD":
			require.NoError(t, json.Unmarshal([]byte(in.Args), &cmd), "CMD in exec form")
		case "EXPOSE":
			expose = append(expose, strings.Fields(in.Args)...)
		}
	}

	// Two stages: the Go of go.mod on Debian 12 (glibc 2.36 <= the image's 2.41), then Fluent Bit 5.1.1.
	require.Len(t, froms, 2, "a build stage and the Fluent Bit stage")
	digest := `@sha256:[0-9a-f]{64}`
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(repoFile(t, "go.mod"))
	require.NotNil(t, goVersion)
	assert.Regexp(t, `^golang:`+regexp.QuoteMeta(goVersion[1])+`\.\d+-bookworm`+digest+` AS build$`, froms[0],
		"the build stage: golang:%s.N-bookworm pinned by digest", goVersion[1])
	assert.Regexp(t, `^fluent/fluent-bit:5\.1\.1`+digest+`$`, froms[1], "the official Fluent Bit 5.1.1 image, pinned by digest")

	var run strings.Builder
	for _, in := range ins {
		if in.Cmd == "RUN" {
			run.WriteString(in.Args + "\n")
		}
	}
	assert.Contains(t, run.String(), "-buildmode=c-shared")
	assert.Contains(t, run.String(), "scripts/check-abi.sh /out/out_siem_cef.so", "the build refuses a library the image cannot load")

	copyTo := func(dst string) string {
		for _, c := range copies {
			f := strings.Fields(c)
			if f[len(f)-1] == dst {
				return c
			}
		}
		return ""
	}
	assert.Contains(t, copyTo(pluginPath), "--from=build", "the plugin at %s", pluginPath)
	assert.Contains(t, copyTo("/fluent-bit/bin/siem-cef"), "--from=build", "the siem-cef tool")
	etc := strings.Fields(copyTo(configDir + "/"))
	for _, f := range []string{"plugins.conf", "fluent-bit.conf", "fluent-bit.yaml"} {
		assert.Contains(t, etc, f, "%s copied to %s", f, configDir)
	}
	assert.Contains(t, copyTo(storagePath), "--from=build", "the storage.path directory exists")

	// Where the image configuration expects things.
	c := readRepoConfig(t, "fluent-bit.conf")
	svc := c.service(t)
	assert.Equal(t, configDir, path.Dir(svc.get("Plugins_File")))
	assert.Contains(t, expose, svc.get("HTTP_Port"))
	// A port that listens on the loopback is not published: it would reach nothing.
	onNetwork := forwardOnNetwork(c)
	for _, in := range c.named("input", "forward") {
		assert.Equal(t, slices.ContainsFunc(onNetwork, func(s section) bool { return s.Line == in.Line }),
			slices.Contains(expose, in.get("Port")), "%s: EXPOSE %s exactly when it listens beyond the loopback", in, in.get("Port"))
	}

	all := strings.Join(labels, " ")
	for _, l := range []string{"title", "description", "version", "revision", "source", "base.name", "base.digest"} {
		assert.Contains(t, all, "org.opencontainers.image."+l+"=", "OCI label %s", l)
	}

	assert.Equal(t, []string{"/fluent-bit/bin/fluent-bit"}, entrypoint)
	assert.Equal(t, []string{"-c", configDir + "/fluent-bit.conf"}, cmd)
	noDaemonFlag(t, append(entrypoint, cmd...))
}

// expandArgs replaces ${NAME} by the ARG defaults.
func expandArgs(s string, args map[string]string) string {
	return regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(s, func(m string) string {
		return args[m[2:len(m)-1]]
	})
}

// TestDockerignore: the build context leaves out git and build output, and keeps what the
// Dockerfile copies and builds from.
func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(repoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(strings.TrimPrefix(line, "/"), "/"))
		}
	}
	// As Docker matches: a pattern against the path from the context's root or against one of its
	// parent directories; "**/X" against the last element at any depth.
	ignored := func(p string) bool {
		for _, pat := range patterns {
			for q := p; q != "." && q != "/"; q = path.Dir(q) {
				var ok bool
				if rest, any := strings.CutPrefix(pat, "**/"); any {
					ok, _ = filepath.Match(rest, path.Base(q))
				} else {
					ok, _ = filepath.Match(pat, q)
				}
				if ok {
					return true
				}
			}
		}
		return false
	}
	for _, p := range []string{".git/HEAD", "build/out_siem_cef.so", "siem-cef", "cef/testdata/fuzz/x"} {
		assert.True(t, ignored(p), "%s is not sent to the builder", p)
	}
	for _, p := range []string{"go.mod", "go.sum", "plugins.conf", "fluent-bit.conf", "fluent-bit.yaml",
		"scripts/check-abi.sh", "plugin/main.go", "cmd/siem-cef/main.go", "config/config.go"} {
		assert.False(t, ignored(p), "%s is needed by the Dockerfile", p)
	}
}
