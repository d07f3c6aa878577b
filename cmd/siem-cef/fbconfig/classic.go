package fbconfig

import (
	"fmt"
	"strings"
)

// readClassic reads one file of the classic format (flb_cf_fluentbit.c read_config). from is
// "file:line" of the @INCLUDE that names it, "" for the main file.
func (l *loader) readClassic(path, from string) error {
	data, err := l.open(path, from)
	if err != nil {
		return err
	}
	l.stack = append(l.stack, path)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()

	c := &classicFile{l: l, path: path, section: -1}
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		if err := c.line(i+1, strings.TrimSuffix(line, "\r")); err != nil {
			return err
		}
	}
	return nil
}

// classicFile is the state of reading one classic file.
type classicFile struct {
	l       *loader
	path    string
	section int    // the current section's index in l.file.Sections; -1 before the first header
	inGroup bool   // the lines under a "[GROUP]" key of the current section
	indent  string // the file's indentation, set by its first indented line
}

func (c *classicFile) fail(line int, format string, a ...any) error {
	return &Error{File: c.path, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// line reads line n: a comment or blank line, an @ command, a section header or a property.
func (c *classicFile) line(n int, line string) error {
	switch {
	case line == "" || line[0] == '#' || strings.TrimLeft(line, " \t") == "":
		return nil
	case len(line) > 9 && strings.EqualFold(line[:9], "@INCLUDE "):
		return c.include(n, strings.TrimSpace(line[9:]))
	case line[0] == '@' && len(line) > 3:
		return c.l.meta(c.path, n, line)
	case line[0] == '[':
		return c.header(n, line)
	}
	return c.property(n, line)
}

// include reads the files an @INCLUDE names, from the main file's directory.
func (c *classicFile) include(n int, arg string) error {
	paths, err := includePaths(c.l.root, arg)
	if err != nil {
		return c.fail(n, "@INCLUDE %s: %v", arg, err)
	}
	for _, p := range paths {
		if err := c.l.readClassic(p, fmt.Sprintf("%s:%d", c.path, n)); err != nil {
			return err
		}
	}
	return nil
}

// header starts a section.
func (c *classicFile) header(n int, line string) error {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return c.fail(n, "bad section header %q: no ']'", line)
	}
	c.l.file.Sections = append(c.l.file.Sections, Section{Type: sectionType(line[1:end]), File: c.path, Line: n})
	c.section, c.inGroup = len(c.l.file.Sections)-1, false
	return nil
}

// property reads an indented line: a property of the current section, a group header, or a
// group's own property (indented twice), which is not the section's.
func (c *classicFile) property(n int, line string) error {
	body, nested, err := c.unindent(n, line)
	if err != nil {
		return err
	}
	if !nested {
		c.inGroup = false
	}
	if body[0] == '#' {
		return nil
	}
	sp := strings.IndexByte(body, ' ')
	if sp < 0 {
		if strings.ContainsRune(body, '\t') {
			return c.fail(n, "%q: a key is separated from its value by a space; Fluent Bit does not take a tab there", strings.TrimSpace(body))
		}
		return c.fail(n, "key %q has no value", strings.TrimSpace(body))
	}
	key, value := strings.TrimSpace(body[:sp]), body[sp+1:]
	if strings.HasPrefix(key, "[") {
		if !strings.Contains(body, "]") {
			return c.fail(n, "bad group name %q: no ']'", key)
		}
		if c.section < 0 {
			return c.fail(n, "group %s outside of any section", key)
		}
		c.inGroup = true
		return nil
	}
	if value == "" {
		return c.fail(n, "key %q has an empty value", key)
	}
	if c.section < 0 {
		return c.fail(n, "property %s outside of any section", key)
	}
	if c.inGroup {
		return nil // a group's property, not the section's
	}
	s := &c.l.file.Sections[c.section]
	s.Props = append(s.Props, Prop{Key: key, Value: strings.TrimSpace(value), Line: n})
	return nil
}

// unindent checks a property line's indentation against the file's and returns the line without
// it; nested is a line indented twice (a group's content).
func (c *classicFile) unindent(n int, line string) (body string, nested bool, err error) {
	if !isBlank(line[0]) {
		return "", false, c.fail(n, "%q is not indented: a property line is indented under its [SECTION] header", line)
	}
	if c.indent == "" {
		c.indent = line[:len(line)-len(strings.TrimLeft(line, " \t"))]
	}
	if !strings.HasPrefix(line, c.indent) {
		k := 0
		for k < len(line) && k < len(c.indent) && line[k] == c.indent[k] {
			k++
		}
		if k < len(line) && isBlank(line[k]) {
			return "", false, c.fail(n, "invalid indentation: tabs and spaces are mixed (the file's first property line sets the indentation)")
		}
		return "", false, c.fail(n, "invalid indentation: less than the file's first property line")
	}
	body = line[len(c.indent):]
	if !isBlank(body[0]) {
		return body, false, nil
	}
	extra := len(body) - len(strings.TrimLeft(body, " \t"))
	if extra != len(c.indent) {
		return "", false, c.fail(n, "invalid indentation: more than the file's first property line")
	}
	return body[extra:], true, nil
}

// meta handles a line "@COMMAND params" other than @INCLUDE (flb_cf_meta_property_add, flb_meta_run).
func (l *loader) meta(path string, n int, line string) error {
	sp := strings.IndexByte(line, ' ')
	if sp < 0 {
		return &Error{File: path, Line: n, Msg: fmt.Sprintf("%q: an @ command takes its arguments after a space (@SET KEY=VALUE, @INCLUDE FILE)", line)}
	}
	cmd, params := strings.TrimSpace(line[1:sp]), strings.TrimSpace(line[sp+1:])
	if !strings.EqualFold(cmd, "SET") {
		l.file.Warnings = append(l.file.Warnings, fmt.Sprintf("%s:%d: unknown command @%s: Fluent Bit ignores it", path, n, cmd))
		return nil
	}
	eq := strings.IndexByte(params, '=')
	if eq < 0 {
		l.file.Warnings = append(l.file.Warnings, fmt.Sprintf("%s:%d: @SET %s: no '=': Fluent Bit ignores it", path, n, params))
		return nil
	}
	l.pendingVars = append(l.pendingVars, variable{name: params[:eq], value: params[eq+1:], file: path, line: n, meta: true})
	return nil
}

// sectionType is the kind of a classic section, lower-cased, plurals as their singular.
func sectionType(header string) string {
	t := strings.ToLower(header)
	switch t {
	case "outputs", "inputs", "filters", "customs":
		t = strings.TrimSuffix(t, "s")
	}
	return t
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }
