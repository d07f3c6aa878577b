package record

import (
	"errors"
	"strconv"
	"strings"
)

// Step is one step of a record accessor: a map key, or an array index.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// Path is a parsed record accessor, Fluent Bit's syntax: $key, then any number of ['key'] (or
// ["key"]) and [index] steps, e.g. $kubernetes['labels']['app'] or $args[0]['value'].
type Path []Step

// ErrPath describes the accepted syntax; ParsePath wraps it.
var ErrPath = errors.New("a record accessor: $key followed by ['key'] or [index] steps, e.g. $kubernetes['labels']['app']")

// ParsePath reads a record accessor.
func ParsePath(s string) (Path, error) {
	if len(s) < 2 || s[0] != '$' {
		return nil, ErrPath
	}
	i := 1
	for i < len(s) && s[i] != '[' {
		if s[i] <= ' ' || s[i] == ']' || s[i] == '\'' || s[i] == '"' || s[i] == '$' {
			return nil, ErrPath
		}
		i++
	}
	if i == 1 {
		return nil, ErrPath
	}
	p := Path{{Key: s[1:i]}}
	for i < len(s) {
		if s[i] != '[' || i+1 >= len(s) {
			return nil, ErrPath
		}
		i++
		switch q := s[i]; q {
		case '\'', '"':
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 {
				return nil, ErrPath
			}
			key := s[i+1 : i+1+end]
			i += end + 2
			if key == "" || i >= len(s) || s[i] != ']' {
				return nil, ErrPath
			}
			p = append(p, Step{Key: key})
		default:
			end := strings.IndexByte(s[i:], ']')
			if end <= 0 {
				return nil, ErrPath
			}
			n, err := strconv.Atoi(s[i : i+end])
			if err != nil || n < 0 || s[i] == '+' {
				return nil, ErrPath
			}
			i += end
			p = append(p, Step{Index: n, IsIndex: true})
		}
		i++ // the closing bracket
	}
	return p, nil
}

// String writes the accessor back in Fluent Bit's syntax.
func (p Path) String() string {
	var b strings.Builder
	for i, st := range p {
		switch {
		case i == 0:
			b.WriteString("$" + st.Key)
		case st.IsIndex:
			b.WriteString("[" + strconv.Itoa(st.Index) + "]")
		case strings.Contains(st.Key, "'"):
			b.WriteString(`["` + st.Key + `"]`)
		default:
			b.WriteString("['" + st.Key + "']")
		}
	}
	return b.String()
}

// from follows the steps after the first from the node of the first.
func (p Path) from(n Node) Node {
	for _, st := range p[1:] {
		if st.IsIndex {
			n = n.Index(st.Index)
		} else {
			n = n.Get(st.Key)
		}
		if n.Kind() == NodeAbsent {
			return n
		}
	}
	return n
}
