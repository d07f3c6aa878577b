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

	fail := func(line int, format string, a ...any) error {
		return &Error{File: path, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	var (
		section *Section // the current section; nil before the first header
		inGroup bool     // the lines under a "[GROUP]" key of the current section
		indent  string   // the file's indentation, set by its first indented line
	)
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		switch {
		case line == "" || line[0] == '#':
			continue

		case len(line) > 9 && strings.EqualFold(line[:9], "@INCLUDE "):
			arg := strings.TrimSpace(line[9:])
			paths, err := includePaths(l.root, arg)
			if err != nil {
				return fail(n, "@INCLUDE %s: %v", arg, err)
			}
			for _, p := range paths {
				if err := l.readClassic(p, fmt.Sprintf("%s:%d", path, n)); err != nil {
					return err
				}
			}
			continue

		case line[0] == '@' && len(line) > 3:
			if err := l.meta(path, n, line); err != nil {
				return err
			}
			continue

		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return fail(n, "bad section header %q: no ']'", line)
			}
			l.file.Sections = append(l.file.Sections, Section{Type: sectionType(line[1:end]), File: path, Line: n})
			section, inGroup = &l.file.Sections[len(l.file.Sections)-1], false
			continue

		case strings.TrimLeft(line, " \t") == "":
			continue // a line of blanks
		}

		// A property (or a group) line, indented.
		if !isBlank(line[0]) {
			return fail(n, "%q is not indented: a property line is indented under its [SECTION] header", line)
		}
		if indent == "" {
			indent = line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		}
		if !strings.HasPrefix(line, indent) {
			k := 0
			for k < len(line) && k < len(indent) && line[k] == indent[k] {
				k++
			}
			if k < len(line) && isBlank(line[k]) {
				return fail(n, "invalid indentation: tabs and spaces are mixed (the file's first property line sets the indentation)")
			}
			return fail(n, "invalid indentation: less than the file's first property line")
		}
		body := line[len(indent):]
		groupContent := false
		if isBlank(body[0]) {
			extra := len(body) - len(strings.TrimLeft(body, " \t"))
			if extra != len(indent) {
				return fail(n, "invalid indentation: more than the file's first property line")
			}
			body, groupContent = body[extra:], true
		}
		if !groupContent {
			inGroup = false
		}
		if body[0] == '#' {
			continue
		}
		sp := strings.IndexByte(body, ' ')
		if sp < 0 {
			if strings.ContainsRune(body, '\t') {
				return fail(n, "%q: a key is separated from its value by a space; Fluent Bit does not take a tab there", strings.TrimSpace(body))
			}
			return fail(n, "key %q has no value", strings.TrimSpace(body))
		}
		key, value := strings.TrimSpace(body[:sp]), body[sp+1:]
		if strings.HasPrefix(key, "[") {
			if !strings.Contains(body, "]") {
				return fail(n, "bad group name %q: no ']'", key)
			}
			if section == nil {
				return fail(n, "group %s outside of any section", key)
			}
			inGroup = true
			continue
		}
		if value == "" {
			return fail(n, "key %q has an empty value", key)
		}
		if section == nil {
			return fail(n, "property %s outside of any section", key)
		}
		if inGroup {
			continue // a group's property, not the section's
		}
		section.Props = append(section.Props, Prop{Key: key, Value: strings.TrimSpace(value), Line: n})
	}
	return nil
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
