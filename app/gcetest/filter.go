package gcetest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// filter is a parsed Compute list filter. The fake understands a subset of
// the syntax: comparisons `field = value`, `field != value`, `field:value`
// (`labels.env:*` tests presence), the legacy `field eq regexp` / `ne`,
// joined by AND (or juxtaposition) and OR, negated by NOT, grouped with
// parentheses. Values may be quoted; `*` in an = or : value is a wildcard.
// Fields: name, status, zone, machineType, id, hostname, cpuPlatform and
// labels.KEY. The empty filter matches everything.
type filter struct{ root node }

type node interface {
	match(in *compute.Instance) bool
}

type andNode []node
type orNode []node
type notNode struct{ n node }
type cmpNode struct {
	field, op string
	value     string
	re        *regexp.Regexp // for eq/ne and wildcard =
}

func (a andNode) match(in *compute.Instance) bool {
	for _, n := range a {
		if !n.match(in) {
			return false
		}
	}
	return true
}

func (o orNode) match(in *compute.Instance) bool {
	for _, n := range o {
		if n.match(in) {
			return true
		}
	}
	return false
}

func (n notNode) match(in *compute.Instance) bool { return !n.n.match(in) }

func (c *cmpNode) match(in *compute.Instance) bool {
	v, present := fieldValue(in, c.field)
	switch c.op {
	case ":":
		if c.value == "*" {
			return present
		}
		return present && c.eq(v)
	case "=", "eq":
		return c.eq(v)
	default: // "!=", "ne"
		return !c.eq(v)
	}
}

// eq compares a field value with the literal. URL-valued fields (zone,
// machineType) also match on their last path segment.
func (c *cmpNode) eq(v string) bool {
	cands := []string{v}
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		cands = append(cands, v[i+1:])
	}
	for _, s := range cands {
		if c.re != nil && c.re.MatchString(s) || c.re == nil && s == c.value {
			return true
		}
	}
	return false
}

var filterFields = map[string]bool{"name": true, "status": true, "zone": true, "machineType": true,
	"id": true, "hostname": true, "cpuPlatform": true}

func fieldValue(in *compute.Instance, field string) (string, bool) {
	switch field {
	case "name":
		return in.Name, true
	case "status":
		return in.Status, true
	case "zone":
		return in.Zone, true
	case "machineType":
		return in.MachineType, true
	case "id":
		return strconv.FormatUint(in.Id, 10), true
	case "hostname":
		return in.Hostname, in.Hostname != ""
	case "cpuPlatform":
		return in.CpuPlatform, in.CpuPlatform != ""
	}
	if k, ok := strings.CutPrefix(field, "labels."); ok {
		v, ok := in.Labels[k]
		return v, ok
	}
	return "", false
}

func (f filter) match(in *compute.Instance) bool { return f.root == nil || f.root.match(in) }

// maxFilterDepth bounds nesting so a hostile filter cannot exhaust the stack.
const maxFilterDepth = 32

var errFilterSyntax = errors.New("invalid filter")

// parseFilter parses a Compute filter expression.
func parseFilter(s string) (filter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return filter{}, err
	}
	if len(toks) == 0 {
		return filter{}, nil
	}
	p := &filterParser{toks: toks}
	n, err := p.or(0)
	if err != nil {
		return filter{}, err
	}
	if p.pos != len(p.toks) {
		return filter{}, fmt.Errorf("%w: unexpected %q", errFilterSyntax, p.toks[p.pos].text)
	}
	return filter{root: n}, nil
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '=' || c == ':':
			toks = append(toks, token{text: string(c)})
			i++
		case c == '!':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, token{text: "!="})
				i += 2
				continue
			}
			return nil, fmt.Errorf("%w: lone '!' at %d", errFilterSyntax, i)
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("%w: unterminated string at %d", errFilterSyntax, i)
			}
			toks = append(toks, token{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()=:!\"'", rune(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type filterParser struct {
	toks []token
	pos  int
}

func (p *filterParser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *filterParser) keyword(kw string) bool {
	t, ok := p.peek()
	if ok && !t.quoted && t.text == kw {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) or(depth int) (node, error) {
	var terms orNode
	for {
		n, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if !p.keyword("OR") {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *filterParser) and(depth int) (node, error) {
	var terms andNode
	for {
		t, ok := p.peek()
		if !ok || !t.quoted && (t.text == ")" || t.text == "OR") {
			break
		}
		p.keyword("AND")
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
	switch len(terms) {
	case 0:
		return nil, fmt.Errorf("%w: empty expression", errFilterSyntax)
	case 1:
		return terms[0], nil
	}
	return terms, nil
}

func (p *filterParser) unary(depth int) (node, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("%w: nested too deeply", errFilterSyntax)
	}
	if p.keyword("NOT") {
		n, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	if p.keyword("(") {
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, fmt.Errorf("%w: missing ')'", errFilterSyntax)
		}
		return n, nil
	}
	return p.comparison()
}

func (p *filterParser) comparison() (node, error) {
	if p.pos+3 > len(p.toks) {
		return nil, fmt.Errorf("%w: incomplete comparison", errFilterSyntax)
	}
	f, op, v := p.toks[p.pos], p.toks[p.pos+1], p.toks[p.pos+2]
	if f.quoted || op.quoted {
		return nil, fmt.Errorf("%w: expected field and operator, got %q %q", errFilterSyntax, f.text, op.text)
	}
	if !filterFields[f.text] && !strings.HasPrefix(f.text, "labels.") {
		return nil, fmt.Errorf("%w: unsupported field %q", errFilterSyntax, f.text)
	}
	p.pos += 3
	c := &cmpNode{field: f.text, op: op.text, value: v.text}
	switch op.text {
	case "=", "!=", ":":
		if strings.Contains(v.text, "*") && !(op.text == ":" && v.text == "*") {
			// Quoted, so only invalid UTF-8 can make this fail.
			re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(v.text), `\*`, ".*") + "$")
			if err != nil {
				return nil, fmt.Errorf("%w: bad pattern %q: %v", errFilterSyntax, v.text, err)
			}
			c.re = re
		}
	case "eq", "ne":
		re, err := regexp.Compile("^(?:" + v.text + ")$")
		if err != nil {
			return nil, fmt.Errorf("%w: bad regular expression %q: %v", errFilterSyntax, v.text, err)
		}
		c.re = re
	default:
		return nil, fmt.Errorf("%w: unsupported operator %q", errFilterSyntax, op.text)
	}
	return c, nil
}
