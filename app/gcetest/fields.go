package gcetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// fieldMask is a parsed partial-response selector (the `fields` query
// parameter): `a,b/c,d(e,f/g)`, where `*` matches any key (needed for maps
// such as an aggregated list's items). A mask with all set keeps the whole
// subtree.
type fieldMask struct {
	all  bool
	kids map[string]*fieldMask
}

var errFieldMask = errors.New("invalid field mask")

// maxMaskDepth bounds parenthesis nesting.
const maxMaskDepth = 32

func parseFieldMask(s string) (*fieldMask, error) {
	p := &maskParser{s: s}
	m, err := p.list(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("%w: unexpected %q at %d", errFieldMask, p.s[p.i], p.i)
	}
	return m, nil
}

type maskParser struct {
	s string
	i int
}

func (p *maskParser) list(depth int) (*fieldMask, error) {
	if depth > maxMaskDepth {
		return nil, fmt.Errorf("%w: nested too deeply", errFieldMask)
	}
	m := &fieldMask{kids: map[string]*fieldMask{}}
	for {
		if err := p.elem(m, depth); err != nil {
			return nil, err
		}
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return m, nil
	}
}

// elem parses `a/b/c` or `a/b(list)` and adds it to m.
func (p *maskParser) elem(m *fieldMask, depth int) error {
	var path []string
	for {
		start := p.i
		for p.i < len(p.s) && !strings.ContainsRune(",/()", rune(p.s[p.i])) {
			p.i++
		}
		name := strings.TrimSpace(p.s[start:p.i])
		if name == "" {
			return fmt.Errorf("%w: empty field name at %d", errFieldMask, start)
		}
		path = append(path, name)
		if p.i < len(p.s) && p.s[p.i] == '/' {
			p.i++
			continue
		}
		break
	}
	var sub *fieldMask
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		var err error
		if sub, err = p.list(depth + 1); err != nil {
			return err
		}
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return fmt.Errorf("%w: missing ')'", errFieldMask)
		}
		p.i++
	}
	cur := m
	for i, name := range path {
		next := cur.kids[name]
		if next == nil {
			next = &fieldMask{kids: map[string]*fieldMask{}}
			cur.kids[name] = next
		}
		if i == len(path)-1 {
			if sub == nil {
				next.all = true
			} else {
				next.merge(sub)
			}
		}
		cur = next
	}
	return nil
}

func (m *fieldMask) merge(o *fieldMask) {
	if o.all {
		m.all = true
	}
	for k, v := range o.kids {
		if m.kids[k] == nil {
			m.kids[k] = &fieldMask{kids: map[string]*fieldMask{}}
		}
		m.kids[k].merge(v)
	}
}

// child is the mask that applies to key: its own entry merged with `*`.
func (m *fieldMask) child(key string) *fieldMask {
	a, b := m.kids[key], m.kids["*"]
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	c := &fieldMask{kids: map[string]*fieldMask{}}
	c.merge(a)
	c.merge(b)
	return c
}

// prune keeps only the selected parts of a JSON document.
func (m *fieldMask) prune(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // keep 64-bit numbers exact
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(m.apply(v))
}

func (m *fieldMask) apply(v any) any {
	if m.all {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(m.kids))
		for k, val := range t {
			if c := m.child(k); c != nil {
				out[k] = c.apply(val)
			}
		}
		return out
	case json.RawMessage:
		return t // already pruned by the caller
	case []any:
		for i, e := range t {
			t[i] = m.apply(e)
		}
		return t
	}
	return v
}

// String returns the mask in a canonical form (keys sorted), used as a
// cache key.
func (m *fieldMask) String() string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	m.write(&b)
	return b.String()
}

func (m *fieldMask) write(b *strings.Builder) {
	if m.all {
		b.WriteString("*all*")
		return
	}
	for i, k := range slices.Sorted(maps.Keys(m.kids)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('(')
		m.kids[k].write(b)
		b.WriteByte(')')
	}
}
