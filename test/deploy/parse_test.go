// Package deploy checks the release artifacts that no unit test covers: the Dockerfile, the two
// image configurations (fluent-bit.conf and its YAML twin fluent-bit.yaml), the Kubernetes manifests
// and the Helm values of deploy/, and the ABI check of the plugin library (scripts/check-abi.sh).
//
// The Fluent Bit configurations are read here with two small readers of their own (classic and
// YAML) that keep every section and property as written, the service section included, so that
// two files can be compared property by property; fbconfig, the project's reader, is used on top
// to check that the plugin's own tools read the same outputs.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// section is one section of a Fluent Bit configuration, every property as written.
type section struct {
	Type  string // lower case: service, input, filter, output, plugins, …
	Line  int
	Props []prop
}

type prop struct {
	Key   string
	Value string
	Line  int
}

// get is the value of the first property named key (any case), "" when absent.
func (s section) get(key string) string {
	for _, p := range s.Props {
		if strings.EqualFold(p.Key, key) {
			return p.Value
		}
	}
	return ""
}

// has reports whether the section has a property named key (any case).
func (s section) has(key string) bool {
	for _, p := range s.Props {
		if strings.EqualFold(p.Key, key) {
			return true
		}
	}
	return false
}

// all are the values of every property named key (any case), in order.
func (s section) all(key string) []string {
	var out []string
	for _, p := range s.Props {
		if strings.EqualFold(p.Key, key) {
			out = append(out, p.Value)
		}
	}
	return out
}

func (s section) String() string {
	return fmt.Sprintf("[%s] (line %d, name %q)", strings.ToUpper(s.Type), s.Line, s.get("name"))
}

// config is a parsed Fluent Bit configuration.
type config []section

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

// service is the [SERVICE] section; the test fails unless there is exactly one.
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
			out = append(out, "    "+strings.ToLower(p.Key)+" = "+p.Value)
		}
	}
	return out
}

// parseClassic reads Fluent Bit's classic format as flb_cf_fluentbit.c does, for what these files
// use: a header [NAME] at column 0, indented "Key Value" lines (the key ends at the first space or
// tab, the value is trimmed), '#' comment lines and blank lines. @INCLUDE and @SET are refused:
// none of the files checked here may depend on another file or on variables of its own.
func parseClassic(text string) (config, error) {
	var (
		c   config
		cur *section
	)
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case line[0] == '@':
			return nil, fmt.Errorf("line %d: %q: @ commands are not used in these files", n, line)
		case line[0] == '[':
			if !strings.HasSuffix(trimmed, "]") || len(trimmed) < 3 {
				return nil, fmt.Errorf("line %d: bad section header %q", n, line)
			}
			c = append(c, section{Type: strings.ToLower(strings.TrimSpace(trimmed[1 : len(trimmed)-1])), Line: n})
			cur = &c[len(c)-1]
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil {
				return nil, fmt.Errorf("line %d: property before any section", n)
			}
			key, value, _ := strings.Cut(trimmed, " ")
			if k, v, ok := strings.Cut(trimmed, "\t"); ok && len(k) < len(key) {
				key, value = k, v
			}
			value = strings.TrimSpace(value)
			if value == "" {
				return nil, fmt.Errorf("line %d: key %q has no value", n, key)
			}
			cur.Props = append(cur.Props, prop{Key: key, Value: value, Line: n})
		default:
			return nil, fmt.Errorf("line %d: %q is neither a section header nor an indented property", n, line)
		}
	}
	return c, nil
}

// parseYAMLConfig reads Fluent Bit's YAML format as flb_cf_yaml.c does, for what these files use:
// the service map and the pipeline lists inputs, filters and outputs, scalar values as written
// (quotes removed), in file order: service first, then the pipeline's sections in order.
func parseYAMLConfig(text string) (config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the document is not a map of sections")
	}
	props := func(m *yaml.Node) ([]prop, error) {
		if m.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: a section is a map", m.Line)
		}
		var out []prop
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: %s: only scalar values are used in these files", k.Line, k.Value)
			}
			out = append(out, prop{Key: k.Value, Value: v.Value, Line: k.Line})
		}
		return out, nil
	}
	var c config
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "service":
			p, err := props(v)
			if err != nil {
				return nil, err
			}
			c = append(c, section{Type: "service", Line: k.Line, Props: p})
		case "pipeline":
			if v.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("line %d: pipeline is a map", v.Line)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				kind, list := v.Content[j], v.Content[j+1]
				typ, ok := map[string]string{"inputs": "input", "filters": "filter", "outputs": "output"}[kind.Value]
				if !ok || list.Kind != yaml.SequenceNode {
					return nil, fmt.Errorf("line %d: pipeline.%s is not a list of inputs, filters or outputs", kind.Line, kind.Value)
				}
				for _, item := range list.Content {
					p, err := props(item)
					if err != nil {
						return nil, err
					}
					c = append(c, section{Type: typ, Line: item.Line, Props: p})
				}
			}
		default:
			return nil, fmt.Errorf("line %d: top-level key %q is not used in these files", k.Line, k.Value)
		}
	}
	return c, nil
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
