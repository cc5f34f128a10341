package ql

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDepth bounds nesting (parentheses, NOT chains, nested lists) so hostile input cannot exhaust
// the stack.
const maxDepth = 100

const validOperators = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."

// parser is a recursive-descent parser over Jira's JQL grammar (CQL shares it). Its error
// sentences are the ones Jira's JqlParseErrorMessages produce for the same mistakes.
type parser struct {
	d     Dialect
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func errTok(t token, format string, a ...any) *syntaxError {
	return &syntaxError{detail: fmt.Sprintf(format, a...), line: t.line, col: t.col}
}

func errEnd(format string, a ...any) *syntaxError {
	return &syntaxError{detail: fmt.Sprintf(format, a...)}
}

// expected is Jira's "Expecting 'x' but got 'y'." / "Expecting 'x' before the end of the query.".
func expected(t token, what string) *syntaxError {
	if t.kind == tEOF {
		return errEnd("Expecting %s before the end of the query.", what)
	}
	return errTok(t, "Expecting %s but got '%s'.", what, t.display())
}

func badFieldName(t token) *syntaxError {
	switch t.kind {
	case tEOF:
		return errEnd("Expecting a field name at the end of the query.")
	case tLBracket:
		return errTok(t, "Expecting a field name but got '['. Did you mean 'cf['?")
	}
	return errTok(t, "Expecting a field name but got '%s'. You must surround '%s' in quotation marks to use it as a field name.", t.display(), t.display())
}

func badOperand(t token) *syntaxError {
	if t.kind == tEOF {
		return errEnd("Expecting either a value, list or function before the end of the query.")
	}
	return errTok(t, "Expecting either a value, list or function but got '%s'. You must surround '%s' in quotation marks to use it as a value.", t.display(), t.display())
}

func badOperator(t token) *syntaxError {
	if t.kind == tEOF {
		return errEnd("Expecting operator before the end of the query. %s", validOperators)
	}
	return errTok(t, "Expecting operator but got '%s'. %s", t.display(), validOperators)
}

func badFunctionArgument(t token) *syntaxError {
	if t.kind == tEOF {
		return errEnd("Expecting a function argument at the end of the query.")
	}
	return errTok(t, "Expecting a function argument but got '%s'. You must surround '%s' in quotation marks to use it as an argument.", t.display(), t.display())
}

func needLogicalOperator(t token) *syntaxError {
	return errTok(t, "Expecting either 'OR' or 'AND' but got '%s'.", t.display())
}

func tooDeep(t token) *syntaxError {
	return errTok(t, "The query is nested more than %d levels deep.", maxDepth)
}

// checkNumber refuses numbers outside Java's long, as Jira's parseLong does.
func checkNumber(t token) *syntaxError {
	if _, err := strconv.ParseInt(t.text, 10, 64); err != nil {
		return errTok(t, "'%s' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.", t.text)
	}
	return nil
}

// parseTokens parses a whole query: [clause] [ORDER BY ...] EOF.
func (p *parser) parseTokens() (node, []orderItem, *syntaxError) {
	var where node
	var order []orderItem
	var err *syntaxError
	if k := p.peek().kind; k != tEOF && k != tOrder {
		if where, err = p.orClause(); err != nil {
			return nil, nil, err
		}
	}
	if p.peek().kind == tOrder {
		if order, err = p.orderBy(); err != nil {
			return nil, nil, err
		}
		if t := p.peek(); t.kind != tEOF {
			return nil, nil, expected(t, "','")
		}
	}
	if t := p.peek(); t.kind != tEOF {
		if where == nil {
			return nil, nil, badFieldName(t)
		}
		return nil, nil, needLogicalOperator(t)
	}
	return where, order, nil
}

func (p *parser) orClause() (node, *syntaxError) {
	first, err := p.andClause()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.peek().kind == tOr {
		p.take()
		n, err := p.andClause()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &orNode{kids: kids}, nil
}

func (p *parser) andClause() (node, *syntaxError) {
	first, err := p.notClause()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.peek().kind == tAnd {
		p.take()
		n, err := p.notClause()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &andNode{kids: kids}, nil
}

func (p *parser) notClause() (node, *syntaxError) {
	t := p.peek()
	if p.depth >= maxDepth {
		return nil, tooDeep(t)
	}
	p.depth++
	defer func() { p.depth-- }()
	switch {
	case t.kind == tNot || (t.kind == tBang && p.d == JQL):
		p.take()
		kid, err := p.notClause()
		if err != nil {
			return nil, err
		}
		return &notNode{kid: kid}, nil
	case t.kind == tLParen:
		p.take()
		n, err := p.orClause()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			return nil, expected(c, "')'")
		}
		p.take()
		return n, nil
	}
	return p.terminalClause()
}

func (p *parser) terminalClause() (node, *syntaxError) {
	ft := p.peek()
	field, err := p.field()
	if err != nil {
		return nil, err
	}
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	c := &clause{field: field, op: op, line: ft.line, col: ft.col}
	if op != opChanged {
		if c.val, err = p.operand(0); err != nil {
			return nil, err
		}
	}
	// History predicates (FROM, TO, BY, BEFORE, AFTER, ON, DURING) follow WAS and CHANGED.
	for {
		t := p.peek()
		if !isHistoryKeyword(t.kind) {
			break
		}
		p.take()
		v, err := p.operand(0)
		if err != nil {
			return nil, err
		}
		c.history = append(c.history, historyPredicate{keyword: strings.ToUpper(t.raw), val: v})
	}
	return c, nil
}

// field parses a field name: a word, quoted string, number or cf[id].
func (p *parser) field() (string, *syntaxError) {
	t := p.peek()
	switch t.kind {
	case tString, tQuoted:
		p.take()
		if isBlank(t.text) {
			return "", errTok(t, "A field name cannot be empty.")
		}
		return t.text, nil
	case tNumber:
		p.take()
		if err := checkNumber(t); err != nil {
			return "", err
		}
		return t.text, nil
	case tCF:
		p.take()
		if b := p.peek(); b.kind != tLBracket {
			return "", expected(b, "'['")
		}
		p.take()
		id := p.peek()
		if id.kind != tNumber || id.text[0] == '-' {
			if id.kind == tEOF {
				return "", errEnd("Expecting a custom field id (a positive number) before the end of the query.")
			}
			return "", errTok(id, "Expecting a custom field id (a positive number) but got '%s'.", id.display())
		}
		if err := checkNumber(id); err != nil {
			return "", err
		}
		p.take()
		if b := p.peek(); b.kind != tRBracket {
			return "", expected(b, "']'")
		}
		p.take()
		return "cf[" + id.text + "]", nil
	}
	return "", badFieldName(t)
}

func (p *parser) operator() (operator, *syntaxError) {
	t := p.take()
	switch t.kind {
	case tEq:
		return opEq, nil
	case tNeq:
		return opNeq, nil
	case tLike:
		return opLike, nil
	case tNotLike:
		return opNotLike, nil
	case tLt:
		return opLt, nil
	case tGt:
		return opGt, nil
	case tLte:
		return opLte, nil
	case tGte:
		return opGte, nil
	case tIn:
		return opIn, nil
	case tIs:
		switch n := p.peek(); {
		case n.kind == tNot:
			p.take()
			return opIsNot, nil
		case n.kind == tEOF || startsOperand(n.kind):
			return opIs, nil
		default:
			return 0, expected(n, "'NOT'")
		}
	case tNot:
		if n := p.peek(); n.kind != tIn {
			return 0, expected(n, "'IN'")
		}
		p.take()
		return opNotIn, nil
	case tWas:
		if p.peek().kind == tNot {
			p.take()
			if p.peek().kind == tIn {
				p.take()
				return opWasNotIn, nil
			}
			return opWasNot, nil
		}
		if p.peek().kind == tIn {
			p.take()
			return opWasIn, nil
		}
		return opWas, nil
	case tChanged:
		return opChanged, nil
	}
	return 0, badOperator(t)
}

func isHistoryKeyword(k tokKind) bool {
	switch k {
	case tFrom, tTo, tBy, tBefore, tAfter, tOn, tDuring:
		return true
	}
	return false
}

func startsOperand(k tokKind) bool {
	return k == tEmpty || k == tString || k == tQuoted || k == tNumber || k == tLParen
}

// operand parses a value, EMPTY, function call or list. level is the list nesting depth.
func (p *parser) operand(level int) (*operand, *syntaxError) {
	t := p.peek()
	switch t.kind {
	case tEmpty:
		p.take()
		return &operand{kind: oEmpty, line: t.line, col: t.col}, nil
	case tString, tQuoted, tNumber:
		p.take()
		if p.peek().kind == tLParen {
			return p.function(t)
		}
		if t.kind == tNumber {
			if err := checkNumber(t); err != nil {
				return nil, err
			}
		}
		// Jira's lookahead: a value must be followed by something that can follow a value.
		switch n := p.peek(); n.kind {
		case tEOF, tOr, tAnd, tRParen, tComma, tOrder, tFrom, tTo, tBy, tBefore, tAfter, tOn, tDuring:
		default:
			if level > 0 {
				return nil, errTok(n, "Expecting ',' or ')' but got '%s'.", n.display())
			}
			return nil, needLogicalOperator(n)
		}
		return &operand{kind: oValue, text: t.text, quoted: t.kind == tQuoted, number: t.kind == tNumber, line: t.line, col: t.col}, nil
	case tLParen:
		if level >= maxDepth {
			return nil, tooDeep(t)
		}
		p.take()
		l := &operand{kind: oList, line: t.line, col: t.col}
		for {
			it, err := p.operand(level + 1)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, it)
			switch n := p.peek(); n.kind {
			case tComma:
				p.take()
				continue
			case tRParen:
				p.take()
				return l, nil
			default:
				return nil, expected(n, "')'")
			}
		}
	}
	return nil, badOperand(t)
}

// function parses name(args...) once the name has been read and '(' is next.
func (p *parser) function(name token) (*operand, *syntaxError) {
	if isBlank(name.text) {
		return nil, errTok(name, "A function name cannot be empty.")
	}
	if name.kind == tNumber {
		if err := checkNumber(name); err != nil {
			return nil, err
		}
	}
	p.take() // (
	f := &operand{kind: oFunc, text: name.text, quoted: name.kind == tQuoted, line: name.line, col: name.col}
	switch t := p.peek(); t.kind {
	case tRParen:
		p.take()
		return f, nil
	case tEOF, tComma:
		return nil, expected(t, "')'")
	case tString, tQuoted, tNumber:
	default:
		return nil, badFunctionArgument(t)
	}
	for {
		a := p.take()
		f.args = append(f.args, a.text)
		switch t := p.peek(); t.kind {
		case tRParen:
			p.take()
			return f, nil
		case tEOF:
			return nil, expected(t, "')'")
		case tComma:
			p.take()
			switch n := p.peek(); n.kind {
			case tString, tQuoted, tNumber:
				continue
			case tComma, tRParen:
				return nil, errTok(n, "Function argument must be specified.")
			default:
				return nil, badFunctionArgument(n)
			}
		default:
			return nil, errTok(t, "Expecting ')' or ',' but got '%s'.", t.display())
		}
	}
}

// orderBy parses ORDER BY field [ASC|DESC], ...
func (p *parser) orderBy() ([]orderItem, *syntaxError) {
	p.take() // ORDER
	if t := p.peek(); t.kind != tBy {
		return nil, expected(t, "'by'")
	}
	p.take()
	var items []orderItem
	for {
		ft := p.peek()
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		it := orderItem{field: f, line: ft.line, col: ft.col}
		switch t := p.peek(); t.kind {
		case tAsc, tDesc:
			p.take()
			it.dir = t.kind
		case tEOF, tComma:
		default:
			return nil, errTok(t, "Expecting either 'ASC' or 'DESC' but got '%s'.", t.display())
		}
		items = append(items, it)
		if p.peek().kind != tComma {
			return items, nil
		}
		p.take()
	}
}

func isBlank(s string) bool {
	for _, r := range s {
		if !isSpace(r) {
			return false
		}
	}
	return true
}
