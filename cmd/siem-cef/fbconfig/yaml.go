package fbconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readYAML reads one file of the YAML format (flb_cf_yaml.c read_config). from is "file:line" of
// the include that names it, "" for the main file.
func (l *loader) readYAML(path, from string) error {
	data, err := l.open(path, from)
	if err != nil {
		return err
	}
	l.stack = append(l.stack, path)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()

	y := &yamlFile{l: l, path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 0
			if rest, ok := strings.CutPrefix(msg, "line "); ok {
				if i := strings.Index(rest, ": "); i > 0 {
					if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
						msg, line = rest[i+2:], n
					}
				}
			}
			return &Error{File: path, Line: line, Msg: "invalid YAML: " + msg, Err: err}
		}
		if len(doc.Content) == 0 {
			continue
		}
		if err := y.document(doc.Content[0]); err != nil {
			return err
		}
	}
}

type yamlFile struct {
	l    *loader
	path string
}

func (y *yamlFile) errorf(n *yaml.Node, format string, a ...any) error {
	return &Error{File: y.path, Line: n.Line, Msg: fmt.Sprintf(format, a...)}
}

// check refuses what Fluent Bit's event parser does not take anywhere: aliases.
func (y *yamlFile) check(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return y.errorf(n, "YAML aliases (*%s) are not accepted by Fluent Bit", n.Value)
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// document reads the top-level map: env, includes, service and pipeline matter here; the other
// sections (parsers, plugins, …) are not read.
func (y *yamlFile) document(top *yaml.Node) error {
	if isNull(top) {
		return nil
	}
	if top.Kind != yaml.MappingNode {
		return y.errorf(top, "the top level must be a map of sections (service, pipeline, …)")
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if err := y.check(k); err != nil {
			return err
		}
		if err := y.check(v); err != nil {
			return err
		}
		var err error
		switch strings.ToLower(k.Value) {
		case "env":
			err = y.env(v)
		case "includes":
			err = y.includes(v)
		case "service":
			if !isNull(v) {
				err = y.plugin("service", v)
			}
		case "pipeline":
			err = y.pipeline(v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// env reads the variables: a map NAME: value, or a list of maps with name and value (or uri).
func (y *yamlFile) env(v *yaml.Node) error {
	add := func(at *yaml.Node, name, value string) {
		y.l.pendingVars = append(y.l.pendingVars, variable{name: name, value: value, file: y.path, line: at.Line})
	}
	switch {
	case isNull(v):
	case v.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
				return y.errorf(k, "env: the value of a variable is a scalar (nested maps and lists are not allowed)")
			}
			add(k, k.Value, val.Value)
		}
	case v.Kind == yaml.SequenceNode:
		for _, item := range v.Content {
			if item.Kind != yaml.MappingNode {
				return y.errorf(item, "env: each item of the list is a map with name and value")
			}
			var name, value, uri string
			for i := 0; i+1 < len(item.Content); i += 2 {
				k, val := item.Content[i], item.Content[i+1]
				if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
					return y.errorf(k, "env: the fields of a variable are scalars")
				}
				switch strings.ToLower(k.Value) {
				case "name":
					name = val.Value
				case "value":
					value = val.Value
				case "uri":
					uri = val.Value
				case "refresh_interval":
				default:
					if name == "" {
						name, value = k.Value, val.Value
					}
				}
			}
			if uri != "" {
				value = uri
			}
			if name != "" {
				add(item, name, value)
			}
		}
	default:
		return y.errorf(v, "env is a map of variables or a list of {name, value}")
	}
	return nil
}

// includes reads each file named, relative to this file's directory.
func (y *yamlFile) includes(v *yaml.Node) error {
	var items []*yaml.Node
	switch {
	case isNull(v):
	case v.Kind == yaml.ScalarNode:
		items = []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		items = v.Content
	default:
		return y.errorf(v, "includes is a list of files")
	}
	for _, item := range items {
		if item.Kind != yaml.ScalarNode {
			return y.errorf(item, "includes: each item is a file name")
		}
		paths, err := includePaths(filepath.Dir(y.path), item.Value)
		if err != nil {
			return y.errorf(item, "including %s: %v", item.Value, err)
		}
		for _, p := range paths {
			if err := y.l.readYAML(p, fmt.Sprintf("%s:%d", y.path, item.Line)); err != nil {
				return err
			}
		}
	}
	return nil
}

// pipeline reads inputs, filters and outputs: each a list of plugin maps.
func (y *yamlFile) pipeline(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return y.errorf(v, "pipeline is a map of inputs, filters and outputs")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, list := v.Content[i], v.Content[i+1]
		typ := strings.ToLower(k.Value)
		switch typ {
		case "inputs", "filters", "outputs":
		default:
			return y.errorf(k, "the pipeline component %q is not valid: use inputs, filters or outputs", k.Value)
		}
		if err := y.check(list); err != nil {
			return err
		}
		if isNull(list) {
			continue
		}
		if list.Kind != yaml.SequenceNode {
			return y.errorf(list, "pipeline %s is a list of plugins", typ)
		}
		for _, item := range list.Content {
			if err := y.plugin(strings.TrimSuffix(typ, "s"), item); err != nil {
				return err
			}
		}
	}
	return nil
}

// plugin reads one plugin map (or the service map) into a section.
func (y *yamlFile) plugin(typ string, m *yaml.Node) error {
	if err := y.check(m); err != nil {
		return err
	}
	if m.Kind != yaml.MappingNode {
		return y.errorf(m, "each %s is a map of properties (name: …)", typ)
	}
	s := Section{Type: typ, File: y.path, Line: m.Line}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if err := y.check(k); err != nil {
			return err
		}
		if err := y.check(v); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return y.errorf(k, "a property name is a scalar")
		}
		key := yamlKey(strings.TrimSpace(k.Value))
		switch v.Kind {
		case yaml.ScalarNode:
			s.Props = append(s.Props, Prop{Key: key, Value: strings.TrimSpace(v.Value), Line: k.Line})
		case yaml.SequenceNode:
			scalars := true
			for _, item := range v.Content {
				if err := y.check(item); err != nil {
					return err
				}
				scalars = scalars && item.Kind == yaml.ScalarNode
			}
			switch {
			case structured(typ, key):
				continue // not a plugin property
			case !scalars:
				// flb_cf_yaml.c takes only scalars in a property's list: "unexpected event
				// 'mapping-start-event' in state 'plugin-values'".
				return y.errorf(v, "%s: a property's list holds scalars only; Fluent Bit refuses the file", key)
			}
			for _, item := range v.Content {
				s.Props = append(s.Props, Prop{Key: key, Value: strings.TrimSpace(item.Value), Line: item.Line})
			}
		default:
			// Any other map is a group that the plugin is handed as a property it cannot set ("could
			// not configure property"), and Fluent Bit exits.
			if !structured(typ, key) {
				return y.errorf(k, "%s: a map is not a property value; Fluent Bit refuses the file (write one property per entry, e.g. Set.cluster: prod)", key)
			}
		}
	}
	y.l.file.Sections = append(y.l.file.Sections, s)
	return nil
}

// structured reports the keys whose value flb_cf_yaml.c reads as a structure, not as a property:
// processors and routes, and an input's telemetry.
func structured(typ, key string) bool {
	switch strings.ToLower(key) {
	case "processors", "routes":
		return true
	case "telemetry":
		return typ == "input"
	}
	return false
}

// yamlKey translates a key as flb_cf_key_translate does for YAML: a key that starts with a
// lower-case letter and has no '_' goes from camelCase to snake_case; any other key is kept.
func yamlKey(key string) string {
	if key == "" || key[0] < 'a' || key[0] > 'z' {
		return key
	}
	if strings.Contains(key, "_") {
		return strings.ToLower(key)
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
