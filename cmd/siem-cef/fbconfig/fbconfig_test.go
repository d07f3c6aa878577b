package fbconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// integrations lists the Integration property of each section.
func integrations(sections []Section) []string {
	var names []string
	for _, s := range sections {
		names = append(names, s.Get("Integration"))
	}
	return names
}

func TestClassic(t *testing.T) {
	t.Setenv("FBCONFIG_TEST_HOST", "siem.example.com")
	t.Setenv("FBCONFIG_TEST_PORT", "") // empty: unset, as Fluent Bit takes it, so the default applies
	os.Unsetenv("FBCONFIG_TEST_UNSET") //nolint:errcheck
	f, err := Load("testdata/classic/main.conf")
	require.NoError(t, err)
	assert.Equal(t, Classic, f.Format)
	assert.Empty(t, f.Warnings)
	// The glob conf.d/*.conf is read in the directory's order (glob(3) with GLOB_NOSORT, as Fluent
	// Bit calls it), which the file system decides; b.conf includes c.inc.
	files := []string{"testdata/classic/main.conf", "testdata/classic/first.conf"}
	globbed := []string{"main-late"}
	for _, name := range directoryOrder(t, "testdata/classic/conf.d") {
		switch name {
		case "a.conf":
			files, globbed = append(files, "testdata/classic/conf.d/a.conf"), append(globbed, "a")
		case "b.conf":
			files, globbed = append(files, "testdata/classic/conf.d/b.conf", "testdata/classic/conf.d/c.inc"), append(globbed, "c", "b")
		}
	}
	assert.Equal(t, files, f.Files)

	var types []string
	for _, s := range f.Sections {
		types = append(types, s.Type)
	}
	assert.Equal(t, []string{"output", "service", "input", "output", "output", "output", "output", "output"}, types)

	outs := f.Outputs("siem_cef")
	// In creation order: the include at the top, the main file's, then the glob, with c.inc
	// (included by b.conf from the main file's directory) before b.conf's own section.
	require.Equal(t, append([]string{"first"}, globbed...), integrations(outs))
	assert.Len(t, f.Outputs("STDOUT"), 1)
	assert.Empty(t, f.Outputs("siem"))

	first := outs[0]
	assert.Equal(t, "testdata/classic/first.conf", first.File)
	assert.Equal(t, 1, first.Line)
	assert.Equal(t, "SIEM_CEF", first.Name())
	assert.Equal(t, "first.example.com", first.Get("address"), "tab indentation, consistent in its file")

	m := outs[1]
	assert.Equal(t, "testdata/classic/main.conf:14", m.Location())
	assert.Equal(t, "siem.example.com:514", m.Get("Address"), "${VAR} from the environment, ${VAR:-default}; the first Address wins")
	assert.Equal(t, "udp", m.Get("PROTOCOL"), "the last @SET wins, wherever it is")
	assert.Equal(t, "Kaspersky", m.Get("Vendor"), "trailing blanks trimmed")
	assert.Equal(t, "", m.Get("Hostname"))
	p, ok := m.Lookup("hostname")
	require.True(t, ok)
	assert.Equal(t, []string{"FBCONFIG_TEST_UNSET"}, p.Unset)
	assert.Equal(t, "${FBCONFIG_TEST_UNSET}", p.Written)
	assert.Equal(t, 25, p.Line)

	// Reserved keys: Get never returns them, Raw does.
	for key, raw := range map[string]string{
		"Host": "ignored.example.com", "tls.verify": "off", "Workers": "1", "Match": "kcs.*", "Name": "siem_cef",
	} {
		assert.Equal(t, "", m.Get(key), key)
		assert.Equal(t, raw, m.Raw(key), key)
	}
	assert.Equal(t, "", m.Raw("Retry_Limit"))
	_, ok = m.Lookup("Retry_Limit")
	assert.False(t, ok)

	var keys []string
	for _, p := range m.Props {
		keys = append(keys, p.Key)
	}
	assert.Equal(t, []string{"Name", "Match", "Address", "Protocol", "Integration", "Host", "address", "tls.verify",
		"Workers", "Hostname", "Vendor"}, keys)
	assert.Equal(t, "second.example.com", m.Props[6].Value, "a repeated key is kept; Get takes the first")
}

func TestYAML(t *testing.T) {
	t.Setenv("FBCONFIG_TEST_HOST", "siem.example.com")
	f, err := Load("testdata/yaml/main.yaml")
	require.NoError(t, err)
	assert.Equal(t, YAML, f.Format)
	assert.Equal(t, []string{"testdata/yaml/main.yaml", "testdata/yaml/inc/outputs.yaml", "testdata/yaml/inc/more.yaml"}, f.Files)

	outs := f.Outputs("siem_cef")
	require.Equal(t, []string{"more", "included", "yaml-main"}, integrations(outs))
	assert.Len(t, f.Outputs("stdout"), 1)
	var types []string
	for _, s := range f.Sections {
		types = append(types, s.Type)
	}
	assert.Equal(t, []string{"output", "output", "service", "input", "output", "output"}, types,
		"the included outputs, the service map, tail, siem_cef and stdout")
	svc := f.Sections[2]
	assert.Equal(t, "testdata/yaml/main.yaml:10", svc.Location())
	assert.Equal(t, "info", svc.Raw("Log_Level"))

	more := outs[0]
	assert.Equal(t, "testdata/yaml/inc/more.yaml:3", more.Location())
	assert.Equal(t, "more.example.com", more.Get("Address"))
	assert.Equal(t, "0x10", more.Raw("port"), "a scalar as written")
	assert.Equal(t, "", more.Get("port"))

	m := outs[2]
	assert.Equal(t, "testdata/yaml/main.yaml:20", m.Location())
	assert.Equal(t, "siem.example.com:6514", m.Get("address"), "env: numbers are their text")
	p, _ := m.Lookup("address")
	assert.Equal(t, "${FBCONFIG_TEST_HOST}:${PORT}", p.Written, "the value as the file has it")
	assert.Equal(t, "udp", m.Get("Protocol"))
	assert.Equal(t, "yaml-main", m.Get("Integration"), "a variable of an included file's env list")
	assert.Equal(t, "3", m.Get("Connect_Timeout"), "connectTimeout is translated to connect_timeout")
	assert.Equal(t, "off", m.Get("Startup_Check"), "a YAML boolean is passed as written")
	assert.Equal(t, "Alert", m.Get("Categories"), "a list gives the key once per item; the first wins")
	assert.Equal(t, "", m.Get("Hostname"))
	_, ok := m.Lookup("hostname")
	assert.True(t, ok, "an empty value is still a property")
	assert.Equal(t, "false", m.Raw("Retry_Limit"), "retryLimit → retry_limit, reserved")
	assert.Equal(t, "", m.Get("Retry_Limit"))
	assert.Equal(t, "1", m.Raw("workers"))
	_, ok = m.Lookup("processors")
	assert.False(t, ok, "processors are not a plugin property")
	var cats []string
	for _, p := range m.Props {
		if p.Key == "categories" {
			cats = append(cats, p.Value)
		}
	}
	assert.Equal(t, []string{"Alert", "API"}, cats)
}

func TestYAMLKey(t *testing.T) {
	for in, want := range map[string]string{
		"address":                "address",
		"connectTimeout":         "connect_timeout",
		"Connect_Timeout":        "Connect_Timeout",
		"connect_Timeout":        "connect_timeout",
		"ConnectTimeout":         "ConnectTimeout",
		"storage.totalLimitSize": "storage.total_limit_size",
		"tls.verify":             "tls.verify",
		"":                       "",
	} {
		assert.Equal(t, want, yamlKey(in), in)
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "a", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	for _, tc := range []struct {
		in, out string
		unset   []string
	}{
		{"plain", "plain", nil},
		{"${A}", "a", nil},
		{"x${A}y${A}z", "xayaz", nil},
		{"${B}", "", []string{"B"}},
		{"x${B}y${C}", "xy", []string{"B", "C"}},
		{"${B:-dflt}", "dflt", nil},
		{"${A:-dflt}", "a", nil},
		{"${EMPTY}", "", nil},
		{"${EMPTY:-dflt}", "dflt", nil},
		{"${B:-}", "", nil},
		{"${A", "${A", nil},
		{"${}x", "${}x", nil},
		{"$A {A}", "$A {A}", nil},
	} {
		out, unset := expand(tc.in, lookup)
		assert.Equal(t, tc.out, out, tc.in)
		assert.Equal(t, tc.unset, unset, tc.in)
	}
}

func TestLookupVariables(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("from-file\n"), 0o644))
	conf := filepath.Join(dir, "fluent-bit.conf")
	require.NoError(t, os.WriteFile(conf, []byte(`@SET OVER=from-set
@SET FILEVAR=file://`+secret+`
@SET SPACED = x
@SET NOEQUALS
@FOO bar
[OUTPUT]
    Name siem_cef
    A ${OVER}
    B ${FILEVAR}
    C ${SPACED}
    D ${ENVONLY}
    E ${HOSTNAME}
`), 0o644))
	env := map[string]string{"OVER": "from-env", "ENVONLY": "env"}
	f, err := load(conf, func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	require.NoError(t, err)
	s := f.Outputs("siem_cef")[0]
	assert.Equal(t, "from-set", s.Get("A"), "@SET wins over the environment")
	assert.Equal(t, "from-file", s.Get("B"), "file:// is the file's content without its newline")
	assert.Equal(t, "", s.Get("C"), "@SET SPACED = x sets \"SPACED \"")
	assert.Equal(t, "env", s.Get("D"))
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Equal(t, host, s.Get("E"), "HOSTNAME falls back to the host name")
	assert.Equal(t, []string{
		conf + ":4: @SET NOEQUALS: no '=': Fluent Bit ignores it",
		conf + ":5: unknown command @FOO: Fluent Bit ignores it",
	}, f.Warnings)
}

func TestReserved(t *testing.T) {
	for _, k := range []string{"host", "Port", "IPV6", "match", "Match_Regex", "alias", "log_level",
		"log_suppress_interval", "Retry_Limit", "workers", "storage.total_limit_size", "tls", "TLS.Verify",
		"tls.ca_file", "net.keepalive", "oauth2", "oauth2.token_url", "name", "routes"} {
		assert.True(t, Reserved(k), k)
	}
	for _, k := range []string{"Address", "tls_ca_file", "TLS_CA_File", "Integration", "storage.type", "hosts", "network"} {
		assert.False(t, Reserved(k), k)
	}
}

func writeConf(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestClassicSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		text string
		line int
		msg  string
	}{
		{"[OUTPUT\n    Name x\n", 1, `bad section header "[OUTPUT": no ']'`},
		{"[OUTPUT]\nName x\n", 2, `"Name x" is not indented`},
		{"[OUTPUT]\n    Name\tsiem_cef\n", 2, "Fluent Bit does not take a tab there"},
		{"[OUTPUT]\n    Workers\n", 2, `key "Workers" has no value`},
		{"[OUTPUT]\n    Name \n", 2, `key "Name" has an empty value`},
		{"[OUTPUT]\n    Name x\n  Match *\n", 3, "less than the file's first property line"},
		{"[OUTPUT]\n    Name x\n\t\tMatch *\n", 3, "tabs and spaces are mixed"},
		{"[OUTPUT]\n  Name x\n     Match *\n", 3, "more than the file's first property line"},
		{"    Name x\n", 1, "property Name outside of any section"},
		{"@SETX\n", 1, "an @ command takes its arguments after a space"},
	} {
		path := writeConf(t, "fluent-bit.conf", tc.text)
		_, err := Load(path)
		var fe *Error
		require.ErrorAs(t, err, &fe, tc.text)
		assert.Equal(t, path, fe.File, tc.text)
		assert.Equal(t, tc.line, fe.Line, tc.text)
		assert.Contains(t, fe.Msg, tc.msg, tc.text)
		assert.True(t, strings.HasPrefix(err.Error(), path+":"), err.Error())
	}
}

func TestClassicAccepted(t *testing.T) {
	// Blank lines, CRLF endings, indented comments, a group and its lines, text after ']'.
	path := writeConf(t, "fluent-bit.conf", "[OUTPUT] trailing\r\n"+
		"    # indented comment\r\n"+
		"    Name   siem_cef\r\n"+
		"      \r\n"+
		"    [GROUP] x\r\n"+
		"        Inside yes\r\n"+
		"    Address a.example.com\r\n")
	f, err := Load(path)
	require.NoError(t, err)
	s := f.Outputs("siem_cef")
	require.Len(t, s, 1)
	assert.Equal(t, "a.example.com", s[0].Get("Address"))
	assert.Equal(t, "", s[0].Get("Inside"), "a group's property is not the section's")
	assert.Len(t, s[0].Props, 2)
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"missing-include.conf", []string{"testdata/errors/missing-include.conf:3: cannot read testdata/errors/nope.conf: no such file or directory"}},
		{"loop-a.conf", []string{"testdata/errors/loop-b.conf:3: include loop: testdata/errors/loop-a.conf → testdata/errors/loop-b.conf → testdata/errors/loop-a.conf"}},
		{"twice.conf", []string{"testdata/errors/twice.conf:2: testdata/errors/common.inc is already included (from testdata/errors/twice.conf:1): Fluent Bit refuses to read a file twice"}},
		{"glob.conf", []string{"testdata/errors/glob.conf:1: @INCLUDE nothing/*.conf: no file matches testdata/errors/nothing/*.conf"}},
		{"bad.yaml", []string{"testdata/errors/bad.yaml:", "invalid YAML: "}},
		{"loop.yaml", []string{"testdata/errors/loop.yaml:2: include loop: testdata/errors/loop.yaml → testdata/errors/loop.yaml"}},
		{"missing.yaml", []string{"testdata/errors/missing.yaml:2: cannot read testdata/errors/missing-file.yaml: no such file or directory"}},
		{"pipeline.yaml", []string{"testdata/errors/pipeline.yaml:2: the pipeline component \"sinks\" is not valid"}},
		{"absent.conf", []string{"testdata/errors/absent.conf: cannot read testdata/errors/absent.conf: no such file or directory"}},
	} {
		_, err := Load("testdata/errors/" + tc.file)
		require.Error(t, err, tc.file)
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w, tc.file)
		}
		var fe *Error
		assert.True(t, errors.As(err, &fe), tc.file)
	}
	_, err := Load("testdata/errors/absent.conf")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestYAMLErrors(t *testing.T) {
	for _, tc := range []struct{ text, msg string }{
		{"- a\n- b\n", "the top level must be a map"},
		{"env:\n  A:\n    B: c\n", "nested maps and lists are not allowed"},
		{"pipeline:\n  outputs:\n    name: x\n", "pipeline outputs is a list of plugins"},
		{"pipeline:\n  outputs:\n    - x\n", "each output is a map of properties"},
		{"a: &x 1\npipeline:\n  outputs:\n    - name: *x\n", "YAML aliases"},
		{"includes:\n  - {a: b}\n", "each item is a file name"},
		// Fluent Bit 5.1.1 exits: "could not configure property 'set'", and a YAML error for the list
		{"pipeline:\n  outputs:\n    - name: siem_cef\n      set:\n        cluster: prod\n", "set: a map is not a property value"},
		{"pipeline:\n  outputs:\n    - name: siem_cef\n      severity: [{PM: 5}]\n", "severity: a property's list holds scalars only"},
		{"pipeline:\n  outputs:\n    - name: siem_cef\n      telemetry:\n        a: b\n", "telemetry: a map is not a property value"},
	} {
		path := writeConf(t, "fluent-bit.yaml", tc.text)
		_, err := Load(path)
		require.Error(t, err, tc.text)
		assert.Contains(t, err.Error(), tc.msg, tc.text)
	}

	// What flb_cf_yaml.c reads as a structure: processors and routes, an input's telemetry.
	path := writeConf(t, "fluent-bit.yaml", "pipeline:\n  inputs:\n    - name: dummy\n      telemetry:\n        a: b\n"+
		"  outputs:\n    - name: siem_cef\n      routes:\n        - a\n      processors:\n        logs:\n          - name: content_modifier\n")
	_, err := Load(path)
	require.NoError(t, err)

	// Empty documents and several documents are fine.
	path = writeConf(t, "fluent-bit.yml", "---\n---\npipeline:\n  outputs:\n    - name: siem_cef\n---\npipeline:\n  outputs:\n    - name: siem_cef\n")
	f, err := Load(path)
	require.NoError(t, err)
	assert.Len(t, f.Outputs("siem_cef"), 2)
}

func TestRootDirFollowsSymlinks(t *testing.T) {
	// Fluent Bit takes relative includes from the real main file's directory.
	real := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(real, "main.conf"), []byte("@INCLUDE out.conf\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(real, "out.conf"), []byte("[OUTPUT]\n    Name siem_cef\n"), 0o644))
	link := filepath.Join(t.TempDir(), "fluent-bit.conf")
	require.NoError(t, os.Symlink(filepath.Join(real, "main.conf"), link))
	f, err := Load(link)
	require.NoError(t, err)
	assert.Len(t, f.Outputs("siem_cef"), 1)
}

func TestIsTrue(t *testing.T) {
	for v, want := range map[string]bool{"on": true, "On": true, "TRUE": true, "yes": true, " on ": true,
		"off": false, "1": false, "": false, "y": false} {
		assert.Equal(t, want, IsTrue(v), "%q", v)
	}
}

// directoryOrder lists dir's names as the kernel returns them (getdents), unsorted.
func directoryOrder(t *testing.T, dir string) []string {
	d, err := os.Open(dir)
	require.NoError(t, err)
	defer d.Close()
	names, err := d.Readdirnames(-1)
	require.NoError(t, err)
	return names
}

// A glob's files come in the directory's order, a name starting with '.' only for a pattern that
// does: the order of conf.d below is made so that names and creation differ.
func TestIncludeGlobInTheDirectorysOrder(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"z.conf", "a.conf", ".hidden.conf", "m.conf", "x.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o600))
	}
	var want []string
	for _, name := range directoryOrder(t, dir) {
		if strings.HasSuffix(name, ".conf") && name[0] != '.' {
			want = append(want, filepath.Join(dir, name))
		}
	}
	got, err := includePaths(dir, "*.conf")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	hidden, err := includePaths(dir, ".*.conf")
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, ".hidden.conf")}, hidden)
}
