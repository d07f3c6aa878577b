package deploy

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cmd/siem-cef/fbconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The paths the image and the configurations agree on.
const (
	pluginPath   = "/fluent-bit/plugins/out_siem_cef.so"
	pluginsFile  = "/fluent-bit/etc/plugins.conf"
	parsersFile  = "/fluent-bit/etc/parsers.conf" // in the Fluent Bit image
	storagePath  = "/fluent-bit/buffer"
	httpPort     = "2020"
	healthPath   = "/api/v1/health"
	forwardPort  = "24224"
	configDir    = "/fluent-bit/etc"      // the image's configuration directory
	k8sConfigDir = "/fluent-bit/etc/conf" // where the ConfigMap is mounted (as the Helm chart does)
)

// TestYAMLTwin: fluent-bit.yaml has the sections, keys and values of fluent-bit.conf, in the same
// order; keys compared in any case, as Fluent Bit takes them.
func TestYAMLTwin(t *testing.T) {
	classic := readRepoConfig(t, "fluent-bit.conf")
	yml := readRepoConfig(t, "fluent-bit.yaml")
	require.Equal(t, classic.normalized(), yml.normalized(),
		"fluent-bit.yaml must say what fluent-bit.conf says (left: fluent-bit.conf)")
}

// TestImageConfigs: the configuration of the image, in both formats, is one Fluent Bit can run
// with a Go output: never a daemon, the plugins file, health endpoint, storage, workers, retries.
func TestImageConfigs(t *testing.T) {
	for _, name := range []string{"fluent-bit.conf", "fluent-bit.yaml"} {
		t.Run(name, func(t *testing.T) {
			c := readRepoConfig(t, name)
			checkNodeConfig(t, c)
			assert.Equal(t, "${HOSTNAME}", c.named("output", "siem_cef")[0].get("Hostname"))
			assert.Equal(t, "${SIEM_ADDRESS}", c.named("output", "siem_cef")[0].get("Address"),
				"the image is configured with SIEM_ADDRESS (README)")
		})
	}
}

// TestPluginsFile: plugins.conf loads the library from the path the Dockerfile puts it at.
func TestPluginsFile(t *testing.T) {
	p := readRepoConfig(t, "plugins.conf").of("plugins")
	require.Len(t, p, 1)
	assert.Equal(t, []string{pluginPath}, p[0].all("Path"))
}

// checkNodeConfig checks what every configuration of this project must have, a forward input
// closed to whom may not send included. It returns the siem_cef outputs.
func checkNodeConfig(t *testing.T, c config) []section {
	t.Helper()
	svc := c.service(t)
	// A Go plugin's runtime does not survive the fork of daemon mode.
	assert.True(t, strings.EqualFold(svc.get("Daemon"), "off"), "Daemon Off, got %q", svc.get("Daemon"))
	assert.Equal(t, pluginsFile, svc.get("Plugins_File"))
	assert.Empty(t, c.of("plugins"), "the library is loaded by Plugins_File, not by a [PLUGINS] section here")
	assert.Equal(t, parsersFile, svc.get("Parsers_File"))
	assert.True(t, strings.EqualFold(svc.get("HTTP_Server"), "on"), "HTTP_Server On")
	assert.Equal(t, httpPort, svc.get("HTTP_Port"))
	assert.True(t, strings.EqualFold(svc.get("Health_Check"), "on"), "Health_Check On")
	assert.Equal(t, storagePath, svc.get("storage.path"))

	inputs := c.of("input")
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		assert.Equal(t, "filesystem", in.get("storage.type"), "%s: storage.type filesystem", in)
		if db := in.get("DB"); db != "" {
			assert.Equal(t, storagePath, path.Dir(db), "%s: the tail database is kept with the buffer", in)
			// A file the database does not know, at the first start or created while Fluent Bit was
			// down, is read from its start: by default tail starts at its end.
			assert.True(t, strings.EqualFold(in.get("Read_From_Head"), "on"), "%s: Read_From_Head On", in)
		}
		if strings.EqualFold(in.get("Name"), "forward") {
			assert.Equal(t, forwardPort, in.get("Port"))
		}
	}
	checkForwardClosed(t, c)

	outs := c.named("output", "siem_cef")
	require.NotEmpty(t, outs, "no siem_cef output")
	for _, o := range outs {
		assert.NotEmpty(t, o.get("Match"), "%s: Match", o)
		assert.NotEmpty(t, o.get("Address"), "%s: Address", o)
		assert.Equal(t, "1", o.get("Workers"), "%s: Workers 1", o)
		assert.Equal(t, "no_limits", o.get("Retry_Limit"), "%s: Retry_Limit no_limits", o)
		// Fluent Bit keeps these for itself: the plugin would never see them.
		for _, k := range []string{"Host", "Port", "tls"} {
			assert.False(t, o.has(k), "%s: %s is kept by Fluent Bit; the plugin reads Address", o, k)
		}
		assert.NotEqual(t, "on", strings.ToLower(o.get("tls")), "%s: tls On makes Fluent Bit refuse to start", o)
	}
	return outs
}

// checkWithProjectTools reads a configuration with fbconfig, as siem-cef check-config does, and runs
// check-config on it: the plugin's own validation must accept every siem_cef output. env is set for
// both.
func checkWithProjectTools(t *testing.T, text, name string, env map[string]string) *fbconfig.File {
	t.Helper()
	file := tempFile(t, name, text)
	for k, v := range env {
		t.Setenv(k, v)
	}
	f, err := fbconfig.Load(file)
	require.NoError(t, err)
	outs := f.Outputs("siem_cef")
	require.NotEmpty(t, outs)
	for _, o := range outs {
		assert.NotEmpty(t, o.Raw("Address"), "%s: Address", o.Location())
	}

	cmd := exec.Command(siemCEF(t), "check-config", file)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "siem-cef check-config %s:\n%s", name, out)
	assert.Contains(t, string(out), "siem_cef.0: OK")
	return f
}

// siemCEF builds the siem-cef tool once per test binary.
var siemCEFPath string

func siemCEF(t *testing.T) string {
	t.Helper()
	if siemCEFPath != "" {
		return siemCEFPath
	}
	dir, err := os.MkdirTemp("", "siem-cef-deploy")
	require.NoError(t, err)
	bin := filepath.Join(dir, "siem-cef")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/siem-cef")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
	}
	require.NoError(t, err, "building siem-cef:\n%s", out)
	siemCEFPath = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if siemCEFPath != "" {
		os.RemoveAll(filepath.Dir(siemCEFPath))
	}
	os.Exit(code)
}

// TestImageConfigsCheckConfig: siem-cef check-config accepts both image configurations once
// SIEM_ADDRESS is set, and finds the same output in both.
func TestImageConfigsCheckConfig(t *testing.T) {
	env := map[string]string{"SIEM_ADDRESS": "siem.example.com:514", "SIEM_PROTOCOL": "udp", "HOSTNAME": "node-7"}
	var got [][]fbconfig.Prop
	for _, name := range []string{"fluent-bit.conf", "fluent-bit.yaml"} {
		f := checkWithProjectTools(t, repoFile(t, name), name, env)
		o := f.Outputs("siem_cef")
		require.Len(t, o, 1)
		assert.Equal(t, "siem.example.com:514", o[0].Raw("Address"))
		assert.Equal(t, "udp", o[0].Raw("Protocol"))
		assert.Equal(t, "node-7", o[0].Raw("Hostname"))
		props := make([]fbconfig.Prop, len(o[0].Props))
		for i, p := range o[0].Props {
			props[i] = fbconfig.Prop{Key: strings.ToLower(p.Key), Value: p.Value}
		}
		got = append(got, props)
	}
	assert.Equal(t, got[0], got[1], "fbconfig reads the same output from both formats")
}

// TestREADMEsWorkingConfiguration: the configuration the README gives a user to start from passes
// check-config without a warning, and its tail input sends what the file held before Fluent Bit
// started (DB and Read_From_Head).
func TestREADMEsWorkingConfiguration(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## A working configuration\n.*?```ini\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, m, "the README's working configuration")
	text := string(m[1])
	c := readConfig(t, "README.conf", text)
	for _, in := range c.named("input", "tail") {
		assert.Equal(t, storagePath, path.Dir(in.get("DB")), "%s: DB in the image's buffer volume, a directory that exists", in)
		assert.True(t, strings.EqualFold(in.get("Read_From_Head"), "on"), "%s: Read_From_Head On", in)
	}
	assert.Empty(t, c.of("plugins"), "the plugin is loaded by a plugins file or -e: Fluent Bit 5.1 aborts on a [PLUGINS] section here")
	out, err := exec.Command(siemCEF(t), "check-config", tempFile(t, "fluent-bit.conf", text)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "siem_cef.0: OK")
	assert.NotContains(t, string(out), "warning", "%s", out)
}
