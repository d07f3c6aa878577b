package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewCommandsHelp(t *testing.T) {
	code, stdout, _ := runCmd(t, "", "help")
	require.Equal(t, exitOK, code)
	for _, name := range []string{"check-config", "test-connection", "render"} {
		assert.Contains(t, stdout, "\n  "+name+" ")
		code, out, stderr := runCmd(t, "", name, "-h")
		assert.Equal(t, exitOK, code, name)
		assert.Empty(t, stderr, name)
		assert.True(t, strings.HasPrefix(out, "usage: siem-cef "+name+" "), out)
	}
}

const goodConf = `[SERVICE]
    Flush 1

[OUTPUT]
    Name         siem_cef
    Match        kcs.*
    Address      siem.example.com:6514
    Hostname     node-1
    Workers      1
    Retry_Limit  no_limits

[OUTPUT]
    Name         stdout
    Match        *

[OUTPUT]
    Name            siem_cef
    Match           kcs.*
    Integration     ir
    Address         [2001:db8::1]:514
    Protocol        udp
    Hostname        node-1
    Categories      none
    Agent_Groups    prod-agents
    Runtime_Events  FPM, FNT
    Workers         1
    Retry_Limit     no_limits
`

func TestCheckConfigGood(t *testing.T) {
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", goodConf)
	code, stdout, stderr := runCmd(t, "", "check-config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)

	first, err := loadProps(map[string]string{"Address": "siem.example.com:6514", "Hostname": "node-1"}, "siem_cef.0")
	require.NoError(t, err)
	second, err := loadProps(map[string]string{"Integration": "ir", "Address": "[2001:db8::1]:514", "Protocol": "udp",
		"Hostname": "node-1", "Categories": "none", "Agent_Groups": "prod-agents", "Runtime_Events": "FPM, FNT"}, "siem_cef.1")
	require.NoError(t, err)
	// The stdout output between them does not count: the plugin numbers its own instances.
	assert.Equal(t, "siem_cef.0: OK\n"+
		"    section: "+path+":4\n"+
		"    config: "+first.String()+"\n"+
		"    filter: "+filter.New(first.Selection).String()+"\n"+
		"siem_cef.1: OK\n"+
		"    section: "+path+":16\n"+
		"    config: "+second.String()+"\n"+
		"    filter: "+filter.New(second.Selection).String()+"\n", stdout)
	// What the filter says, written out once by hand.
	assert.Contains(t, stdout, "    filter: category events: none; runtime events: FPM FNT from agent groups prod-agents\n")
	assert.Contains(t, stdout, "Integration=siem_cef.0 Address=siem.example.com:6514 Protocol=tcp ")
	assert.Contains(t, stdout, "Integration=ir Address=[2001:db8::1]:514 Protocol=udp ")
}

func TestCheckConfigBad(t *testing.T) {
	bad := map[string]string{
		"Address":         "siem.example.com:70000",
		"Protocol":        "sctp",
		"Facility":        "local9",
		"Connect_Timeout": "0",
		"Categories":      "Administration, Bogus",
		"Startup_Check":   "sometimes",
	}
	var b strings.Builder
	b.WriteString("[OUTPUT]\n    Name siem_cef\n    Address siem.example.com\n    Workers 1\n    Retry_Limit no_limits\n\n")
	b.WriteString("[OUTPUT]\n    Name siem_cef\n    Workers 1\n    Retry_Limit no_limits\n")
	for k, v := range bad {
		b.WriteString("    " + k + " " + v + "\n")
	}
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", b.String())

	code, stdout, stderr := runCmd(t, "", "check-config", path)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stderr)

	_, want := loadProps(bad, "siem_cef.1")
	require.Error(t, want)
	lines := strings.Split(want.Error(), "\n")
	require.Len(t, lines, len(bad), "every bad property is reported")
	var expected strings.Builder
	expected.WriteString("siem_cef.1: invalid\n    section: " + path + ":7\n")
	for _, l := range lines {
		expected.WriteString("    " + l + "\n")
	}
	assert.True(t, strings.HasPrefix(stdout, "siem_cef.0: OK\n"), stdout)
	assert.Contains(t, stdout, "\n"+expected.String())
	assert.True(t, strings.HasSuffix(stdout, expected.String()), "the errors, then nothing: the keys are all known\n%s", stdout)
	assert.Contains(t, stdout, `    property Protocol: "sctp" is not accepted; use `)
}

func TestCheckConfigWarnings(t *testing.T) {
	t.Setenv("SIEM_CEF_TEST_UNSET", "")
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", `[OUTPUT]
    Name           siem_cef
    Host           siem.example.com
    Port           514
    Address        siem.example.com
    tls.verify     off
    net.keepalive  on
    Adress         typo.example.com
    ConnectTimeout 3
    Vendor         ${SIEM_CEF_TEST_UNSET}
`)
	code, stdout, stderr := runCmd(t, "", "check-config", path)
	assert.Equal(t, exitOK, code, "warnings do not fail")
	assert.Empty(t, stderr)
	cfg, err := loadProps(map[string]string{"Address": "siem.example.com"}, "siem_cef.0")
	require.NoError(t, err)
	assert.Equal(t, "siem_cef.0: OK\n"+
		"    section: "+path+":1\n"+
		"    config: "+cfg.String()+"\n"+
		"    filter: "+filter.New(cfg.Selection).String()+"\n"+
		"    warning: Host is kept by Fluent Bit and never reaches the plugin: use Address host:port\n"+
		"    warning: Port is kept by Fluent Bit and never reaches the plugin: use Address host:port\n"+
		"    warning: tls.verify is kept by Fluent Bit and never reaches the plugin: TLS to the SIEM is set with the plugin's own settings (Protocol tls, TLS_CA_File, …), and tls On stops Fluent Bit from starting with a Go output\n"+
		"    warning: net.keepalive is kept by Fluent Bit and never reaches the plugin: it has no effect on siem_cef's own connection (see Connect_Timeout, Write_Timeout)\n"+
		"    warning: Adress is not a siem_cef property: Fluent Bit accepts it silently and the plugin ignores it (did you mean Address?)\n"+
		"    warning: ConnectTimeout is not a siem_cef property: Fluent Bit accepts it silently and the plugin ignores it (did you mean Connect_Timeout?)\n"+
		"    warning: Vendor: ${SIEM_CEF_TEST_UNSET} is not set, so it expands to empty\n"+
		"    warning: Workers is not set: without it every flush runs on Fluent Bit's engine thread, and a slow SIEM stalls every other input and output; set Workers 1\n"+
		"    warning: Retry_Limit is not set: Fluent Bit retries a failed flush once, then drops the chunk; set Retry_Limit no_limits\n",
		stdout)
}

// A plugin property given twice, in a classic section or as a YAML list, reaches the plugin as its
// first value only (Fluent Bit's output_get_property): check-config says so, once per property.
func TestCheckConfigWarnsOfARepeatedProperty(t *testing.T) {
	const want = `warning: Categories is given more than once: the plugin gets its first value ("Alert") only; ` +
		"give it once, with a comma list where it takes several\n"
	for name, text := range map[string]string{
		"fluent-bit.conf": "[OUTPUT]\n    Name siem_cef\n    Match *\n    Address siem.example.com\n" +
			"    categories Alert\n    Categories API\n    CATEGORIES CI/CD\n    Match kcs.*\n",
		"fluent-bit.yaml": "pipeline:\n  outputs:\n    - name: siem_cef\n      match: '*'\n      address: siem.example.com\n" +
			"      Categories:\n        - Alert\n        - API\n",
	} {
		code, stdout, stderr := runCmd(t, "", "check-config", writeFile(t, t.TempDir(), name, text))
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, 1, strings.Count(stdout, want), "%s:\n%s", name, stdout)
		assert.NotContains(t, stdout, "Match is given", "%s: Fluent Bit's own keys are its business", name)
	}
}

// Fluent Bit 5.1.1 crashes at the second hot reload of a Go output with workers: check-config warns
// of each such output when the service turns hot reload on.
func TestCheckConfigWarnsOfHotReloadWithWorkers(t *testing.T) {
	const crash = "warning: Hot_Reload On with Workers 2: Fluent Bit 5.1.1 crashes (SIGSEGV) at the second hot reload"
	for _, tc := range []struct {
		name, text string
		warned     bool
	}{
		{"fluent-bit.conf", "[SERVICE]\n    Hot_Reload On\n[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 2\n", true},
		{"fluent-bit.yaml", "service:\n  hot_reload: on\npipeline:\n  outputs:\n    - name: siem_cef\n      address: siem\n      workers: 2\n", true},
		{"fluent-bit.conf", "[SERVICE]\n    Hot_Reload Off\n[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 2\n", false},
		{"fluent-bit.conf", "[SERVICE]\n    Hot_Reload On\n[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 0\n", false},
		// Fluent Bit keeps the last of its own keys: no worker, and hot reload off
		{"fluent-bit.conf", "[SERVICE]\n    Hot_Reload On\n[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 2\n    Workers 0\n", false},
		{"fluent-bit.conf", "[SERVICE]\n    Hot_Reload On\n    Hot_Reload Off\n[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 2\n", false},
		{"fluent-bit.conf", "[SERVICE]\n    Hot_Reload Off\n    Hot_Reload On\n[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 1\n    Workers 2\n", true},
	} {
		code, stdout, stderr := runCmd(t, "", "check-config", writeFile(t, t.TempDir(), tc.name, tc.text))
		require.Equal(t, exitOK, code, stderr)
		if tc.warned {
			assert.Contains(t, stdout, crash, tc.text)
		} else {
			assert.NotContains(t, stdout, "Hot_Reload On with Workers", tc.text)
		}
		if strings.HasSuffix(tc.text, "Workers 0\n") {
			assert.Contains(t, stdout, `warning: Workers "0": with no worker every flush runs on Fluent Bit's engine thread`, tc.text)
		}
	}
}

// Fluent Bit 5.1 reads a [PLUGINS] section only in the file Plugins_File names: in the
// configuration it takes each key for a library path and aborts.
func TestCheckConfigWarnsOfAPluginsSectionInTheConfiguration(t *testing.T) {
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", "[PLUGINS]\n    Path /fluent-bit/plugins/out_siem_cef.so\n"+
		"[OUTPUT]\n    Name siem_cef\n    Address siem\n    Workers 1\n    Retry_Limit no_limits\n")
	code, stdout, stderr := runCmd(t, "", "check-config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "siem_cef.0: OK")
	assert.Contains(t, stderr, "warning: "+path+":1: a [PLUGINS] section in the configuration: Fluent Bit 5.1 takes each of its keys for a library path")
}

func TestCheckConfigTLSOn(t *testing.T) {
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", "[OUTPUT]\n    Name siem_cef\n    Address siem.example.com\n    tls On\n    Workers 0\n    Retry_Limit 5\n")
	code, stdout, _ := runCmd(t, "", "check-config", path)
	assert.Equal(t, exitFail, code, "Fluent Bit would not start")
	assert.Equal(t, "siem_cef.0: invalid\n"+
		"    section: "+path+":1\n"+
		"    tls On stops Fluent Bit from starting: a Go output cannot declare TLS support; remove it and use the plugin's own TLS settings (Protocol tls, TLS_CA_File, …)\n"+
		"    warning: Workers \"0\": with no worker every flush runs on Fluent Bit's engine thread, and a slow SIEM stalls every other input and output; set Workers 1\n",
		stdout)

	// tls Off only warns.
	path = writeFile(t, t.TempDir(), "fluent-bit.conf", "[OUTPUT]\n    Name siem_cef\n    Address siem.example.com\n    tls Off\n    Workers 1\n    Retry_Limit 5\n")
	code, stdout, _ = runCmd(t, "", "check-config", path)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "    warning: tls is kept by Fluent Bit and never reaches the plugin: ")
}

// TestPluginProperties: every property the plugin reads is known to check-config and render
// --set, those that config.Load reads only for some protocols (TLS_*, Framing) included.
func TestPluginProperties(t *testing.T) {
	for _, p := range []string{"Address", "Protocol", "Framing", "RELP_Window", "TLS_CA_File", "TLS_Cert_File",
		"TLS_Key_File", "TLS_Server_Name", "TLS_Verify", "Aggregate", "Max_Events_Per_Second", "Set.status", "Map.pod"} {
		assert.Equal(t, p, pluginProperty(strings.ToLower(p)), p)
	}
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", "[OUTPUT]\n    Name siem_cef\n    Address siem.example.com\n"+
		"    Protocol tls\n    TLS_Verify off\n    TLS_Server_Name siem\n    Workers 1\n    Retry_Limit no_limits\n")
	code, stdout, _ := runCmd(t, "", "check-config", path)
	assert.Equal(t, exitOK, code)
	assert.NotContains(t, stdout, "warning", "TLS_Verify and TLS_Server_Name are siem_cef properties")
}

func TestCheckConfigYAMLAndIncludes(t *testing.T) {
	t.Setenv("SIEM_CEF_TEST_ADDRESS", "siem.example.com:1514")
	dir := t.TempDir()
	writeFile(t, dir, "outputs/siem.yaml", `pipeline:
  outputs:
    - name: siem_cef
      match: '*'
      address: ${SIEM_CEF_TEST_ADDRESS}
      integration: ${NAME}
      hostname: node-1
      workers: 1
      retryLimit: no_limits
`)
	path := writeFile(t, dir, "fluent-bit.yaml", "env:\n  NAME: from-yaml\nincludes:\n  - outputs/siem.yaml\n")
	code, stdout, stderr := runCmd(t, "", "check-config", path)
	require.Equal(t, exitOK, code, stderr)
	cfg, err := loadProps(map[string]string{"Address": "siem.example.com:1514", "Integration": "from-yaml", "Hostname": "node-1"}, "siem_cef.0")
	require.NoError(t, err)
	assert.Equal(t, "siem_cef.0: OK\n"+
		"    section: "+filepath.Join(dir, "outputs/siem.yaml")+":3\n"+
		"    config: "+cfg.String()+"\n"+
		"    filter: "+filter.New(cfg.Selection).String()+"\n", stdout)
}

func TestCheckConfigFailures(t *testing.T) {
	dir := t.TempDir()
	none := writeFile(t, dir, "none.conf", "[OUTPUT]\n    Name stdout\n    Match *\n")
	code, stdout, stderr := runCmd(t, "", "check-config", none)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "siem-cef check-config: "+none+": no output with Name siem_cef\n", stderr)

	loop := writeFile(t, dir, "loop.conf", "@INCLUDE loop.conf\n")
	code, stdout, stderr = runCmd(t, "", "check-config", loop)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "siem-cef check-config: "+loop+":1: include loop: "+loop+" → "+loop+"\n", stderr)

	code, _, stderr = runCmd(t, "", "check-config", filepath.Join(dir, "missing.conf"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "missing.conf: no such file or directory")

	code, _, stderr = runCmd(t, "", "check-config", "--", "-[")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "no such file")

	for _, args := range [][]string{{"check-config"}, {"check-config", "a.conf", "b.conf"}} {
		code, stdout, stderr := runCmd(t, "", args...)
		assert.Equal(t, exitUsage, code, args)
		assert.Empty(t, stdout, args)
		assert.Contains(t, stderr, "give one configuration file", args)
		assert.Contains(t, stderr, "usage: siem-cef check-config FILE", args)
	}

	// A file-level warning goes to stderr and does not fail.
	path := writeFile(t, dir, "meta.conf", "@SET NOEQUALS\n[OUTPUT]\n    Name siem_cef\n    Address a\n    Workers 1\n    Retry_Limit 1\n")
	code, _, stderr = runCmd(t, "", "check-config", path)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "siem-cef check-config: warning: "+path+":1: @SET NOEQUALS: no '=': Fluent Bit ignores it\n", stderr)
}

// check-config reads Aggregate and Max_Events_Per_Second as the plugin does: shown in the effective
// configuration when valid, refused with the property named when not.
func TestCheckConfigVolumeControl(t *testing.T) {
	dir := t.TempDir()
	conf := strings.Replace(goodConf, "    Workers      1\n", "    Workers      1\n    Aggregate    10s\n    Max_Events_Per_Second 500\n", 1)
	code, stdout, stderr := runCmd(t, "", "check-config", writeFile(t, dir, "good.conf", conf))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, " Max_Message_Size=8096 Aggregate=10s Max_Events_Per_Second=500 ")
	assert.NotContains(t, stdout, "warning:")

	conf = strings.Replace(goodConf, "    Workers      1\n", "    Workers      1\n    Aggregate    on\n    Max_Events_Per_Second -5\n", 1)
	code, stdout, _ = runCmd(t, "", "check-config", writeFile(t, dir, "bad.conf", conf))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stdout, `property Aggregate: "on" is not accepted; use off, or a Go duration (10s, 1m) or whole seconds from 1s to 1h`)
	assert.Contains(t, stdout, `property Max_Events_Per_Second: "-5" is not accepted; use a number of events per second (0 for no ceiling) from 0 to 1000000`)
}

// Two outputs with one Integration: their log lines and their metrics' name label are the same, so
// the second is warned of, naming the first.
func TestCheckConfigSameIntegrationTwice(t *testing.T) {
	path := writeFile(t, t.TempDir(), "fluent-bit.conf", `[OUTPUT]
    Name         siem_cef
    Integration  soc
    Address      siem-a
    Workers      1
    Retry_Limit  no_limits

[OUTPUT]
    Name         siem_cef
    Integration  soc
    Address      siem-b
    Workers      1
    Retry_Limit  no_limits
`)
	code, stdout, stderr := runCmd(t, "", "check-config", path)
	assert.Equal(t, exitOK, code, "warnings do not fail")
	assert.Empty(t, stderr)
	assert.Equal(t, 1, strings.Count(stdout, "warning: "), stdout)
	assert.Contains(t, stdout, "    warning: Integration soc is also siem_cef.0's (section "+path+":1): "+
		"their log lines cannot be told apart and their metrics overwrite each other; give each output an Integration of its own\n")
}

// Workers 1, the setting the README and check-config recommend, is the usual one under Hot_Reload
// On, and is warned of too.
func TestCheckConfigWarnsOfHotReloadWithOneWorker(t *testing.T) {
	text := "[SERVICE]\n    Hot_Reload On\n[OUTPUT]\n    Name siem_cef\n    Match *\n    Address siem\n    Workers 1\n    Retry_Limit no_limits\n"
	code, stdout, stderr := runCmd(t, "", "check-config", writeFile(t, t.TempDir(), "fluent-bit.conf", text))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "warning: Hot_Reload On with Workers 1: Fluent Bit 5.1.1 crashes (SIGSEGV)")
}

// A Fluent Bit key given twice (Match, Workers: Fluent Bit keeps the last) is no plugin property
// given twice: no "is given more than once" warning, which would name no property.
func TestCheckConfigRepeatedFluentBitKeyIsNoPluginProperty(t *testing.T) {
	text := "[OUTPUT]\n    Name siem_cef\n    Match a\n    Match b\n    Address siem\n    Workers 1\n    Workers 1\n    Retry_Limit no_limits\n"
	code, stdout, stderr := runCmd(t, "", "check-config", writeFile(t, t.TempDir(), "fluent-bit.conf", text))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "given more than once")
}

// Only [SERVICE]'s Hot_Reload turns hot reload on: a key of that name elsewhere (here an input's)
// does not, and draws no crash warning.
func TestCheckConfigHotReloadOnlyFromTheService(t *testing.T) {
	text := "[SERVICE]\n    Hot_Reload Off\n[INPUT]\n    Name dummy\n    Hot_Reload On\n[OUTPUT]\n    Name siem_cef\n    Match *\n    Address siem\n    Workers 1\n    Retry_Limit no_limits\n"
	code, stdout, stderr := runCmd(t, "", "check-config", writeFile(t, t.TempDir(), "fluent-bit.conf", text))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "Hot_Reload On with Workers")
}
