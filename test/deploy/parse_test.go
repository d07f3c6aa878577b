// Package deploy checks the release artifacts that no unit test covers: the Dockerfile, the two
// image configurations (fluent-bit.conf and its YAML twin fluent-bit.yaml), the Kubernetes manifests
// and the Helm values of deploy/, and the ABI check of the plugin library (scripts/check-abi.sh).
//
// The Fluent Bit configurations are read with fbconfig (cmd/siem-cef/fbconfig), the reader of
// siem-cef check-config, looking at values as written so that two files can be compared property by
// property.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cmd/siem-cef/fbconfig"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// root is the repository's top directory (go test runs in test/deploy).
var root = func() string {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return dir
}()

// repoFile returns the content of a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	return string(data)
}

// section is one section of a Fluent Bit configuration as fbconfig reads it. The tests look at
// values as written (Prop.Written: ${VAR} not expanded), which is what a file promises.
type section struct{ fbconfig.Section }

// get is the value of the first property named key (any case), as written; "" when absent.
func (s section) get(key string) string {
	p, _ := s.Lookup(key)
	return p.Written
}

// has reports whether the section has a property named key (any case).
func (s section) has(key string) bool {
	_, ok := s.Lookup(key)
	return ok
}

// all are the values of every property named key (any case), as written, in order.
func (s section) all(key string) []string {
	var out []string
	for _, p := range s.Props {
		if strings.EqualFold(p.Key, key) {
			out = append(out, p.Written)
		}
	}
	return out
}

func (s section) String() string {
	return fmt.Sprintf("[%s] (line %d, name %q)", strings.ToUpper(s.Type), s.Line, s.get("name"))
}

// config is a Fluent Bit configuration's sections, in the order Fluent Bit creates them.
type config []section

// selfContained matches what would make a file depend on another file or on variables of its own:
// none of the configurations checked here may, so that each says everything by itself.
var selfContained = regexp.MustCompile(`(?im)^(@INCLUDE|@SET)\b|^(includes|env)\s*:`)

// readConfig reads the configuration text with fbconfig, the project's reader, as a file named
// by the base of name (its extension chooses the format); name also labels the failures.
func readConfig(t *testing.T, name, text string) config {
	t.Helper()
	require.NotRegexp(t, selfContained, text, "%s: no include, no variable of its own", name)
	f, err := fbconfig.Load(tempFile(t, name, text))
	require.NoError(t, err, name)
	require.Empty(t, f.Warnings, name)
	c := make(config, len(f.Sections))
	for i, s := range f.Sections {
		c[i] = section{s}
	}
	return c
}

// readRepoConfig reads a configuration file of the repository.
func readRepoConfig(t *testing.T, rel string) config {
	t.Helper()
	return readConfig(t, rel, repoFile(t, rel))
}

// tempFile writes text to a file named name in a new temporary directory and returns its path.
func tempFile(t *testing.T, name, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), filepath.Base(name))
	require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
	return file
}

// of are the sections of one type, in order.
func (c config) of(typ string) []section {
	var out []section
	for _, s := range c {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

// named are the sections of one type whose Name is name (any case).
func (c config) named(typ, name string) []section {
	var out []section
	for _, s := range c.of(typ) {
		if strings.EqualFold(s.get("name"), name) {
			out = append(out, s)
		}
	}
	return out
}

// service is the service section; the test fails unless there is exactly one.
func (c config) service(t *testing.T) section {
	t.Helper()
	s := c.of("service")
	require.Len(t, s, 1, "[SERVICE] sections")
	return s[0]
}

// normalized is the configuration as comparable text: one line per section and per property, keys
// in lower case, values as written. Fluent Bit takes keys in any case.
func (c config) normalized() []string {
	var out []string
	for _, s := range c {
		out = append(out, "["+s.Type+"]")
		for _, p := range s.Props {
			out = append(out, "    "+strings.ToLower(p.Key)+" = "+p.Written)
		}
	}
	return out
}

// object is one Kubernetes object (or values file) as generic YAML.
type object = map[string]any

// decodeAll reads every document of a YAML stream.
func decodeAll(t *testing.T, text string) []object {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader([]byte(text)))
	var out []object
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if o != nil {
			out = append(out, o)
		}
	}
}

// at follows a path of map keys and list indexes ("spec", "template", 0, …); nil when absent.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		default:
			panic(fmt.Sprintf("path element %v", p))
		}
	}
	return v
}

// str is at(...) as a string ("" when absent or not a scalar); numbers and booleans as YAML writes them.
func str(v any, path ...any) string {
	switch x := at(v, path...).(type) {
	case string:
		return x
	case nil:
		return ""
	case map[string]any, []any:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// list is at(...) as a list (nil when absent).
func list(v any, path ...any) []any {
	l, _ := at(v, path...).([]any)
	return l
}

// byName is the element of a list of maps whose "name" is name, nil when none.
func byName(l []any, name string) any {
	for _, e := range l {
		if str(e, "name") == name {
			return e
		}
	}
	return nil
}
