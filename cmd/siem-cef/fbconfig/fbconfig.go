// Package fbconfig reads a Fluent Bit configuration file the way Fluent Bit 5.1 does, far enough to
// find its sections and the properties each plugin instance gets: the classic format (`[OUTPUT]`,
// `Key Value`, `@INCLUDE`, `@SET`) and the YAML format (`env`, `includes`, `pipeline`), with
// `${VAR}` expanded as Fluent Bit expands it.
//
// What Fluent Bit 5.1.1 does, from its source (src/config_format/flb_cf_fluentbit.c, flb_cf_yaml.c,
// src/flb_env.c, src/flb_output.c), and how this package follows it:
//
//   - The format is chosen by the main file's name: .yaml and .yml are YAML, anything else is
//     classic. An included file is read in the format of the file that includes it.
//   - Classic @INCLUDE: a relative path is taken from the directory of the main file (not of the
//     including file), after symbolic links are resolved. (Fluent Bit first tries the path from its
//     own working directory; this package cannot know that directory and skips that step.) A path
//     with '*' is a glob, read in name order (Fluent Bit: directory order), and a glob that matches
//     nothing is an error, as is a missing file.
//   - YAML includes: a relative path is taken from the directory of the including file.
//   - A file read twice is an error in both formats: an include loop, or the same file included
//     from two places.
//   - Classic: a section header starts at column 0; properties are indented, with the same
//     indentation throughout a file; '#' starts a comment line; the key ends at the first space
//     (not a tab); key and value are trimmed; a key with nothing after it is an error. Lines made
//     only of blanks are skipped (Fluent Bit may reject one shorter or longer than the indentation).
//   - @SET KEY=VALUE and the YAML env section set variables for the whole configuration, whatever
//     their place in it; the last setting of a variable wins. KEY and VALUE are not trimmed around
//     '='. A value "file://PATH" is replaced by the file's content.
//   - ${VAR} and ${VAR:-default} are expanded in every value when the configuration is complete:
//     the configuration's variables first, then the environment (an empty environment variable is
//     unset), and HOSTNAME falls back to the machine's host name. An unset variable expands to
//     empty; Fluent Bit warns, and so does [Prop.Unset].
//   - YAML: the service section is a section of type "service", as [SERVICE] is in the classic
//     format; its keys are translated as a plugin's are.
//   - YAML keys are translated as Fluent Bit translates them: a key that starts with a lower-case
//     letter and has no '_' goes from camelCase to snake_case (connectTimeout → connect_timeout).
//     Scalars are taken as written (1, true, 0x10 stay "1", "true", "0x10"); a list of scalars
//     gives the key once per item; maps (processors, groups) are not plugin properties.
package fbconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Format is the syntax of a configuration file.
type Format int

// The formats Fluent Bit reads.
const (
	Classic Format = iota
	YAML
)

func (f Format) String() string {
	if f == YAML {
		return "yaml"
	}
	return "classic"
}

// maxFiles is Fluent Bit's FLB_CF_FILE_NUM_LIMIT.
const maxFiles = 1000

// File is a configuration with everything it includes.
type File struct {
	Path   string // the main file, as given to Load
	Format Format
	// Files are every file read, in the order their reading began; Files[0] is Path.
	Files []string
	// Sections in the order Fluent Bit creates them: in file order, an included file's sections at
	// the place of its inclusion. YAML pipeline inputs, filters and outputs are sections of type
	// input, filter and output.
	Sections []Section
	// Warnings are what Fluent Bit would warn about while reading: an ignored @ command, a @SET
	// without '='.
	Warnings []string
}

// Section is one section: [OUTPUT] in the classic format, one item of pipeline.outputs in YAML.
type Section struct {
	// Type is the section's kind in lower case: "output", "input", "filter", "service", … ("outputs"
	// in a classic header is "output", as Fluent Bit takes it).
	Type  string
	File  string // the file the section is in
	Line  int    // the line of its header (classic) or of its first key (YAML)
	Props []Prop // every property in file order, repeated keys included
}

// Prop is one property of a section.
type Prop struct {
	Key   string // as written (YAML: after Fluent Bit's camelCase translation)
	Value string // trimmed, ${VAR} expanded
	// Written is the value trimmed but not expanded, as the file has it: what a reviewer of the
	// file reads, and what two files are compared on.
	Written string
	Line    int
	// Unset are the variables the value uses that are not set; each expanded to empty (or to its
	// :- default).
	Unset []string
}

// Error is a configuration that Fluent Bit would refuse to read.
type Error struct {
	File string
	Line int // 0 when it is not about one line
	Msg  string
	Err  error // the underlying error, if any
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Reserved reports whether Fluent Bit keeps a key for itself, so that a Go output plugin never gets
// its value: host, port, ipv6, match, match_regex, alias, log_level, log_suppress_interval,
// retry_limit, workers, storage.total_limit_size, tls and every tls.*, every net.*, every oauth2*.
// Name and routes are not passed either.
func Reserved(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "name", "routes",
		"host", "port", "ipv6", "match", "match_regex", "alias", "log_level", "log_suppress_interval",
		"retry_limit", "workers", "storage.total_limit_size", "tls":
		return true
	}
	return strings.HasPrefix(k, "tls.") || strings.HasPrefix(k, "net.") || strings.HasPrefix(k, "oauth2")
}

// IsTrue reports whether Fluent Bit takes a value as true (flb_utils_bool): on, true or yes, in any
// case.
func IsTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes":
		return true
	}
	return false
}

// Lookup returns the first property named key (any case), reserved or not.
func (s Section) Lookup(key string) (Prop, bool) {
	for _, p := range s.Props {
		if strings.EqualFold(p.Key, key) {
			return p, true
		}
	}
	return Prop{}, false
}

// Last returns the last property named key (any case): the one Fluent Bit keeps of its own keys
// (Reserved, and the service's), which it sets again at each, where a plugin reads the first.
func (s Section) Last(key string) (Prop, bool) {
	for i := len(s.Props) - 1; i >= 0; i-- {
		if strings.EqualFold(s.Props[i].Key, key) {
			return s.Props[i], true
		}
	}
	return Prop{}, false
}

// Raw is the value of the first property named key (any case), reserved keys included; "" when
// absent.
func (s Section) Raw(key string) string {
	p, _ := s.Lookup(key)
	return p.Value
}

// Get is the value a Go output plugin reads with output_get_property: the first property named
// key (any case), "" when absent, and always "" for a key Fluent Bit keeps ([Reserved]).
func (s Section) Get(key string) string {
	if Reserved(key) {
		return ""
	}
	return s.Raw(key)
}

// Name is the plugin the section instantiates (its Name property).
func (s Section) Name() string { return s.Raw("name") }

// Location is "file:line" of the section, for messages.
func (s Section) Location() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Outputs are the output sections whose Name is name (any case; "name://…" as well, as Fluent Bit
// accepts), in the order Fluent Bit creates their instances.
func (f *File) Outputs(name string) []Section {
	var out []Section
	for _, s := range f.Sections {
		if s.Type != "output" {
			continue
		}
		n := s.Name()
		if i := strings.Index(n, "://"); i > 0 {
			n = n[:i]
		}
		if strings.EqualFold(n, name) {
			out = append(out, s)
		}
	}
	return out
}

// Load reads the configuration file at path and every file it includes.
func Load(path string) (*File, error) {
	return load(path, os.LookupEnv)
}

func load(path string, lookupEnv func(string) (string, bool)) (*File, error) {
	l := &loader{
		file:      &File{Path: path, Format: formatOf(path)},
		vars:      map[string]string{},
		lookupEnv: lookupEnv,
	}
	var err error
	if l.file.Format == YAML {
		err = l.readYAML(path, "")
	} else {
		l.root = rootDir(path)
		err = l.readClassic(path, "")
	}
	if err != nil {
		return nil, err
	}
	for _, v := range l.pendingVars {
		if err := l.setVar(v); err != nil {
			return nil, err
		}
	}
	for i := range l.file.Sections {
		s := &l.file.Sections[i]
		for j := range s.Props {
			p := &s.Props[j]
			p.Written = p.Value
			p.Value, p.Unset = expand(p.Value, l.lookup)
		}
	}
	return l.file, nil
}

func formatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return YAML
	}
	return Classic
}

// rootDir is where Fluent Bit takes relative classic includes from: the directory of the main
// file's real path. It is the directory as written when that is the same place, for shorter
// messages.
func rootDir(path string) string {
	dir := filepath.Dir(path)
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return dir
	}
	realDir := filepath.Dir(real)
	a, errA := os.Stat(dir)
	b, errB := os.Stat(realDir)
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return dir
	}
	return realDir
}

// variable is one @SET or env entry, set once the whole configuration is read.
type variable struct {
	name, value string
	file        string
	line        int
	meta        bool // @SET: a failure is a warning (Fluent Bit ignores it), not an error
}

type loader struct {
	file        *File
	root        string // classic: the directory relative includes are taken from
	vars        map[string]string
	pendingVars []variable
	lookupEnv   func(string) (string, bool)

	read  []readFile // every file read so far
	stack []string   // the chain of files being read, for loop messages
}

type readFile struct {
	info os.FileInfo
	path string
	from string // "file:line" of the include, "" for the main file
}

// open checks that path may be read (not read before, not too many files) and returns its content.
// from is "file:line" of the include that names it.
func (l *loader) open(path, from string) ([]byte, error) {
	fail := func(msg string, err error) error {
		if from == "" {
			return &Error{File: path, Msg: msg, Err: err}
		}
		file, line := splitLocation(from)
		return &Error{File: file, Line: line, Msg: msg, Err: err}
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fail(fmt.Sprintf("cannot read %s: %v", path, unwrapPath(err)), err)
	}
	if !info.Mode().IsRegular() {
		return nil, fail(path+" is not a regular file", nil)
	}
	for _, r := range l.read {
		if !os.SameFile(r.info, info) {
			continue
		}
		for i, s := range l.stack {
			if sameFile(s, path) {
				chain := append(append([]string{}, l.stack[i:]...), path)
				return nil, fail("include loop: "+strings.Join(chain, " → "), nil)
			}
		}
		first := "as the main file"
		if r.from != "" {
			first = "from " + r.from
		}
		return nil, fail(fmt.Sprintf("%s is already included (%s): Fluent Bit refuses to read a file twice", path, first), nil)
	}
	if len(l.read) >= maxFiles {
		return nil, fail(fmt.Sprintf("more than %d configuration files: Fluent Bit reads no more", maxFiles), nil)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail(fmt.Sprintf("cannot read %s: %v", path, unwrapPath(err)), err)
	}
	l.read = append(l.read, readFile{info: info, path: path, from: from})
	l.file.Files = append(l.file.Files, path)
	return data, nil
}

func sameFile(a, b string) bool {
	x, errX := os.Stat(a)
	y, errY := os.Stat(b)
	return errX == nil && errY == nil && os.SameFile(x, y)
}

// unwrapPath drops the operation and path of an *os.PathError, which the message already names.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func splitLocation(loc string) (string, int) {
	i := strings.LastIndexByte(loc, ':')
	var n int
	if i < 0 {
		return loc, 0
	}
	fmt.Sscanf(loc[i+1:], "%d", &n)
	return loc[:i], n
}

// includePaths resolves an include: a glob when it has '*' (it must match), else one path. dir is
// where a relative path is taken from.
func includePaths(dir, pattern string) ([]string, error) {
	p := pattern
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if !strings.Contains(pattern, "*") {
		return []string{p}, nil
	}
	matches, err := globUnsorted(p)
	if err != nil {
		return nil, fmt.Errorf("bad pattern %s: %v", p, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("no file matches %s (Fluent Bit refuses an include that matches nothing)", p)
	}
	return matches, nil
}

// globUnsorted matches p as glob(3) with GLOB_NOSORT, which Fluent Bit calls: in the directory's
// order, not the names' (the outputs' numbers, which name integrations, follow it), and a name
// starting with '.' only by a pattern that does. A '*' before the last element is matched by
// filepath.Glob, in the names' order.
func globUnsorted(p string) ([]string, error) {
	dir, base := filepath.Split(p)
	if strings.Contains(dir, "*") {
		return filepath.Glob(p)
	}
	if _, err := filepath.Match(base, ""); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, nil // nothing matches, as glob(3) finds nothing in a directory it cannot read
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var matches []string
	for _, n := range names {
		if ok, _ := filepath.Match(base, n); ok && (n[0] != '.' || base[0] == '.') {
			matches = append(matches, filepath.Join(dir, n))
		}
	}
	return matches, nil
}

// setVar sets a @SET or env variable as flb_env_set does: a value "file://PATH" is the content of
// PATH without one trailing newline.
func (l *loader) setVar(v variable) error {
	value := v.value
	if len(value) > len("file://") && strings.HasPrefix(value, "file://") {
		path := value[len("file://"):]
		data, err := os.ReadFile(path)
		msg := ""
		switch {
		case err != nil:
			msg = fmt.Sprintf("variable %s: cannot read %s: %v", v.name, path, unwrapPath(err))
		default:
			value = string(data)
			if n := len(value); n > 0 && (value[n-1] == '\n' || value[n-1] == '\r') {
				value = value[:n-1]
			}
			if value == "" {
				msg = fmt.Sprintf("variable %s: %s is empty", v.name, path)
			}
		}
		if msg != "" {
			if v.meta { // flb_meta_run's result is ignored: the variable stays unset
				l.file.Warnings = append(l.file.Warnings, fmt.Sprintf("%s:%d: %s; the variable is not set", v.file, v.line, msg))
				return nil
			}
			return &Error{File: v.file, Line: v.line, Msg: msg, Err: err}
		}
	}
	l.vars[v.name] = value
	return nil
}

// lookup finds a variable as flb_env_get does.
func (l *loader) lookup(name string) (string, bool) {
	if v, ok := l.vars[name]; ok {
		return v, true
	}
	v, ok := l.lookupEnv(name)
	if ok && v != "" {
		return v, true
	}
	if name == "HOSTNAME" && !ok {
		if h, err := os.Hostname(); err == nil {
			return h, true
		}
	}
	return "", false
}

// expand replaces ${VAR} and ${VAR:-default} as flb_env_var_translate does, and returns the names
// of the variables that were not set.
func expand(s string, lookup func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var unset []string
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start+2:], '}')
		if end <= 0 { // no closing brace, or "${}"
			break
		}
		name := s[start+2 : start+2+end]
		def, hasDef := "", false
		if i := strings.IndexByte(name, ':'); i >= 0 && i+1 < len(name) && name[i+1] == '-' {
			name, def, hasDef = name[:i], name[i+2:], true
		}
		b.WriteString(s[:start])
		v, ok := lookup(name)
		switch {
		case ok && !(hasDef && v == ""):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			unset = append(unset, name)
		}
		s = s[start+2+end+1:]
	}
	b.WriteString(s)
	return b.String(), unset
}
