package ql

import (
	"strings"
)

// operator is the comparison of a clause.
type operator int

const (
	opEq operator = iota
	opNeq
	opLike
	opNotLike
	opLt
	opGt
	opLte
	opGte
	opIn
	opNotIn
	opIs
	opIsNot
	opWas
	opWasNot
	opWasIn
	opWasNotIn
	opChanged
)

// canonical spelling (String) and Jira's display spelling (error messages) of each operator.
var opCanon = [...]string{"=", "!=", "~", "!~", "<", ">", "<=", ">=", "IN", "NOT IN", "IS", "IS NOT",
	"WAS", "WAS NOT", "WAS IN", "WAS NOT IN", "CHANGED"}

func (o operator) String() string { return opCanon[o] }

// display is the operator as Jira names it in validation messages ("in", "is not", "=").
func (o operator) display() string { return strings.ToLower(opCanon[o]) }

func (o operator) bit() uint32 { return 1 << uint(o) }

func (o operator) isHistory() bool { return o >= opWas }

// operandKind says what the right-hand side of a clause is.
type operandKind int

const (
	oValue operandKind = iota // a word, quoted string or number
	oEmpty                    // EMPTY or NULL
	oFunc                     // name(args)
	oList                     // (a, b, ...)
)

// operand is the right-hand side of a clause.
type operand struct {
	kind      operandKind
	text      string // the value, or the function name
	quoted    bool
	number    bool
	args      []string   // function arguments
	items     []*operand // list members (lists may nest, as in Jira's grammar)
	line, col int
}

// node is a boolean expression: *andNode, *orNode, *notNode or *clause.
type node interface{ precedence() int }

type orNode struct{ kids []node }
type andNode struct{ kids []node }
type notNode struct{ kid node }

// clause is one `field operator operand` term.
type clause struct {
	field     string // as written, decoded (e.g. "issueKey", "cf[10010]")
	op        operator
	val       *operand // nil only for CHANGED without predicates
	history   []historyPredicate
	line, col int
}

// historyPredicate is a WAS/CHANGED qualifier like `BY admin`; parsed only to refuse it clearly.
type historyPredicate struct {
	keyword string
	val     *operand
}

// children returns the sub-expressions of n (none for a clause).
func children(n node) []node {
	switch n := n.(type) {
	case *orNode:
		return n.kids
	case *andNode:
		return n.kids
	case *notNode:
		return []node{n.kid}
	}
	return nil
}

func (*orNode) precedence() int  { return 1 }
func (*andNode) precedence() int { return 2 }
func (*notNode) precedence() int { return 3 }
func (*clause) precedence() int  { return 4 }

// orderItem is one ORDER BY term as written.
type orderItem struct {
	field     string
	dir       tokKind // 0 when not given, tAsc or tDesc
	line, col int
}

// writeNode writes the canonical form of n.
func writeNode(b *strings.Builder, n node) {
	switch n := n.(type) {
	case *orNode:
		writeJoined(b, n, n.kids, " OR ")
	case *andNode:
		writeJoined(b, n, n.kids, " AND ")
	case *notNode:
		b.WriteString("NOT ")
		writeChild(b, n, n.kid)
	case *clause:
		b.WriteString(quoteField(n.field))
		b.WriteByte(' ')
		b.WriteString(n.op.String())
		if n.val != nil {
			b.WriteByte(' ')
			writeOperand(b, n.val)
		}
		for _, h := range n.history {
			b.WriteByte(' ')
			b.WriteString(h.keyword)
			b.WriteByte(' ')
			writeOperand(b, h.val)
		}
	}
}

func writeJoined(b *strings.Builder, parent node, kids []node, sep string) {
	for i, k := range kids {
		if i > 0 {
			b.WriteString(sep)
		}
		writeChild(b, parent, k)
	}
}

// writeChild parenthesises a child that binds more loosely than its parent. A NOT inside a NOT
// is parenthesised too, so that the output never depends on how NOT chains are read.
func writeChild(b *strings.Builder, parent, kid node) {
	// NOT NOT x needs no parentheses (the grammar's notClause recurses), and
	// adding them would double the nesting depth the parser allows.
	_, notOfNot := kid.(*notNode)
	if kid.precedence() < parent.precedence() || (kid.precedence() == parent.precedence() && kid.precedence() != 4 && !notOfNot) {
		b.WriteByte('(')
		writeNode(b, kid)
		b.WriteByte(')')
		return
	}
	writeNode(b, kid)
}

func writeOperand(b *strings.Builder, o *operand) {
	switch o.kind {
	case oEmpty:
		b.WriteString("EMPTY")
	case oFunc:
		b.WriteString(quoteWord(o.text, o.quoted))
		b.WriteByte('(')
		for i, a := range o.args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteString(a))
		}
		b.WriteByte(')')
	case oList:
		b.WriteByte('(')
		for i, it := range o.items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeOperand(b, it)
		}
		b.WriteByte(')')
	default:
		if o.number {
			b.WriteString(o.text)
			return
		}
		b.WriteString(quoteWord(o.text, o.quoted))
	}
}

// quoteWord writes a value bare when it was bare and still reads back the same, else quoted.
func quoteWord(s string, quoted bool) string {
	if quoted || !isBareWord(s) {
		return quoteString(s)
	}
	return s
}

func quoteField(s string) string {
	if isBareWord(s) || isCustomField(s) {
		return s
	}
	return quoteString(s)
}

// isBareWord reports whether s lexes back, unquoted, as one plain word with the same text.
func isBareWord(s string) bool {
	if s == "" || isNumber(s) {
		return false
	}
	lower := strings.ToLower(s)
	if keywords[lower] != 0 || reservedWords[lower] {
		return false
	}
	for _, r := range s {
		if stopsWord(r) || r == '\\' {
			return false
		}
	}
	return true
}

func isCustomField(s string) bool {
	if !strings.HasPrefix(s, "cf[") || !strings.HasSuffix(s, "]") {
		return false
	}
	return isNumber(s[3:len(s)-1]) && s[3] != '-'
}

// quoteString writes s as a double-quoted JQL/CQL string, escaping what must be escaped.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			b.WriteString(`\u`)
			const hexdigits = "0123456789abcdef"
			b.WriteByte(hexdigits[r>>12&0xf])
			b.WriteByte(hexdigits[r>>8&0xf])
			b.WriteByte(hexdigits[r>>4&0xf])
			b.WriteByte(hexdigits[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
