package ql

import (
	"fmt"
	"strings"
)

// tokKind is the lexical class of a token; the classes follow Jira's own JQL grammar.
type tokKind int

const (
	tEOF    tokKind = iota
	tString         // an unquoted word
	tQuoted         // a "double" or 'single' quoted string
	tNumber         // digits with an optional leading minus, unquoted
	tLParen
	tRParen
	tComma
	tLBracket
	tRBracket
	tEq
	tNeq
	tLike
	tNotLike
	tLt
	tGt
	tLte
	tGte
	tBang
	tAnd
	tOr
	tNot
	tIn
	tIs
	tEmpty
	tOrder
	tBy
	tAsc
	tDesc
	tWas
	tChanged
	tFrom
	tTo
	tBefore
	tAfter
	tOn
	tDuring
	tCF
)

// keywords maps a lower-case bare word to its keyword token, as JQL's lexer does.
var keywords = map[string]tokKind{
	"and": tAnd, "or": tOr, "not": tNot, "in": tIn, "is": tIs, "empty": tEmpty, "null": tEmpty,
	"order": tOrder, "by": tBy, "asc": tAsc, "desc": tDesc, "was": tWas, "changed": tChanged,
	"from": tFrom, "to": tTo, "before": tBefore, "after": tAfter, "on": tOn, "during": tDuring,
	"cf": tCF,
}

// reservedWords are the words JQL refuses as bare values (Jira's JqlStringSupportImpl, minus the
// keywords above, which the lexer already turns into tokens).
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`abort access add alias all alter any as audit avg begin between
		boolean break byte catch char character check checkpoint collate collation column commit connect
		continue count create current date decimal declare decrement default defaults define delete
		delimiter difference distinct divide do double drop else encoding end equals escape exclusive
		exec execute exists explain false fetch file field first float for function go goto grant greater
		group having identified if immediate increment index initial inner inout input insert int integer
		intersect intersection into isempty isnull join last left less like limit lock long max min minus
		mode modify modulo more multiply next noaudit notin nowait number object of option outer output
		power previous prior privileges public raise raw remainder rename resource return returns revoke
		right row rowid rownum rows select session set share size sqrt start strict string subtract sum
		synonym table then trans transaction trigger true uid union unique update user validate values
		view when whenever where while with`) {
		m[w] = true
	}
	return m
}()

// token is one lexical unit. text is the decoded value (escapes resolved, quotes removed); raw is
// the source slice. line and col are 1-based, col counted in characters as Jira reports them.
type token struct {
	kind      tokKind
	text      string
	raw       string
	line, col int
}

// display is how an error message names the token.
func (t token) display() string {
	if t.kind == tQuoted || t.kind == tString {
		return t.text
	}
	return t.raw
}

// syntaxError is a parse failure: detail is the product's sentence without the "Error in the JQL
// Query: " prefix, line/col the position (0 when the product gives none, e.g. at the end).
type syntaxError struct {
	detail    string
	line, col int
}

func (e *syntaxError) message() string {
	if e.line == 0 {
		return e.detail
	}
	return fmt.Sprintf("%s (line %d, character %d)", e.detail, e.line, e.col)
}

const validEscapes = `The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX.`

// lexer turns a query into tokens; it stops at the first error, like Jira's.
type lexer struct {
	d         Dialect
	src       []rune
	i         int
	line, col int // position of src[i]
}

func lex(d Dialect, s string) ([]token, *syntaxError) {
	lx := &lexer{d: d, src: []rune(s), line: 1, col: 1}
	var toks []token
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}

func (lx *lexer) peekAt(k int) rune {
	if lx.i+k < len(lx.src) {
		return lx.src[lx.i+k]
	}
	return -1
}

// advance moves past one rune, keeping line and column.
func (lx *lexer) advance() rune {
	r := lx.src[lx.i]
	lx.i++
	switch {
	case r == '\n':
		lx.line, lx.col = lx.line+1, 1
	case r == '\r' && lx.peekAt(0) != '\n':
		lx.line, lx.col = lx.line+1, 1
	case r == '\r':
		// the following \n ends the line
	default:
		lx.col++
	}
	return r
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// isControl is JQL's CONTROLCHARS set: characters that must be escaped everywhere.
func isControl(r rune) bool {
	return (r >= 0 && r <= 0x08) || r == 0x0b || r == 0x0c || (r >= 0x0e && r <= 0x1f) ||
		(r >= 0x7f && r <= 0x9f) || (r >= 0xfdd0 && r <= 0xfdef) || r == 0xfffe || r == 0xffff
}

func isReservedChar(r rune) bool { return strings.ContainsRune("{}*/%+^$#@?;", r) }

// stopsWord reports whether r ends an unquoted word.
func stopsWord(r rune) bool {
	return isSpace(r) || isControl(r) || isReservedChar(r) || strings.ContainsRune(`"'=!<>()~,[]|&`, r)
}

func (lx *lexer) errAt(line, col int, format string, a ...any) *syntaxError {
	return &syntaxError{detail: fmt.Sprintf(format, a...), line: line, col: col}
}

func (lx *lexer) next() (token, *syntaxError) {
	for lx.i < len(lx.src) && isSpace(lx.src[lx.i]) {
		lx.advance()
	}
	line, col, start := lx.line, lx.col, lx.i
	mk := func(k tokKind) token {
		raw := string(lx.src[start:lx.i])
		return token{kind: k, text: raw, raw: raw, line: line, col: col}
	}
	if lx.i >= len(lx.src) {
		return token{kind: tEOF, line: line, col: col}, nil
	}
	r := lx.advance()
	switch r {
	case '(':
		return mk(tLParen), nil
	case ')':
		return mk(tRParen), nil
	case ',':
		return mk(tComma), nil
	case '[':
		return mk(tLBracket), nil
	case ']':
		return mk(tRBracket), nil
	case '=':
		return mk(tEq), nil
	case '~':
		return mk(tLike), nil
	case '!':
		switch lx.peekAt(0) {
		case '=':
			lx.advance()
			return mk(tNeq), nil
		case '~':
			lx.advance()
			return mk(tNotLike), nil
		}
		return mk(tBang), nil
	case '<', '>':
		k := tLt
		if r == '>' {
			k = tGt
		}
		if lx.peekAt(0) == '=' {
			lx.advance()
			k += tLte - tLt
		}
		return mk(k), nil
	case '&', '|':
		if lx.d == CQL {
			return token{}, lx.errAt(line, col, "unexpected character '%c'", r)
		}
		if lx.peekAt(0) == r {
			lx.advance()
		}
		if r == '&' {
			return mk(tAnd), nil
		}
		return mk(tOr), nil
	case '"', '\'':
		return lx.quoted(r, line, col)
	}
	if isControl(r) {
		return token{}, lx.errAt(line, col,
			"The character 'U+%04X' on line %d at position %d must be escaped. Use the escape '\\u%04x' instead.",
			r, line, col, r)
	}
	if isReservedChar(r) && !(lx.d == CQL && r == '/') {
		return token{}, lx.errAt(line, col,
			"The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '\\u%04x' instead.",
			r, r)
	}
	// An unquoted word: everything up to a stop character, with escapes. CQL takes unquoted
	// dates like 2014/09/01, so '/' is part of a word there.
	lx.i, lx.line, lx.col = start, line, col
	var b strings.Builder
	escaped := false
	for lx.i < len(lx.src) && (!stopsWord(lx.src[lx.i]) || (lx.d == CQL && lx.src[lx.i] == '/')) {
		if lx.src[lx.i] == '\\' {
			s, err := lx.escape()
			if err != nil {
				return token{}, err
			}
			b.WriteString(s)
			escaped = true
			continue
		}
		b.WriteRune(lx.advance())
	}
	t := mk(tString)
	t.text = b.String()
	lower := strings.ToLower(t.text)
	if k, ok := keywords[lower]; ok && !escaped {
		t.kind = k
		return t, nil
	}
	if !escaped && isNumber(t.text) {
		t.kind = tNumber
		return t, nil
	}
	if lx.d == JQL && (reservedWords[lower] || keywords[lower] != 0) {
		return token{}, lx.errAt(line, col,
			"'%s' is a reserved JQL word. You must surround it in quotation marks to use it in a query.", t.text)
	}
	return t, nil
}

// isNumber reports whether s is JQL's POSNUMBER or NEGNUMBER: digits with an optional minus.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// escape reads one backslash escape at lx.i and returns what it stands for.
func (lx *lexer) escape() (string, *syntaxError) {
	line, col := lx.line, lx.col
	lx.advance() // the backslash
	if lx.i >= len(lx.src) {
		return "", lx.errAt(line, col, "The escape sequence has not been completed. %s", validEscapes)
	}
	r := lx.advance()
	switch r {
	case 't':
		return "\t", nil
	case 'n':
		return "\n", nil
	case 'r':
		return "\r", nil
	case '"', '\'', '\\', ' ':
		return string(r), nil
	case 'u':
		seq := []rune{'\\', 'u'}
		var v rune
		for k := 0; k < 4; k++ {
			if lx.i >= len(lx.src) {
				return "", lx.errAt(line, col, "'%s' is an illegal JQL escape sequence. %s", string(seq), validEscapes)
			}
			c := lx.advance()
			seq = append(seq, c)
			h := hexVal(c)
			if h < 0 {
				return "", lx.errAt(line, col, "'%s' is an illegal JQL escape sequence. %s", string(seq), validEscapes)
			}
			v = v<<4 | rune(h)
		}
		return string(v), nil
	}
	return "", lx.errAt(line, col, "'\\%c' is an illegal JQL escape sequence. %s", r, validEscapes)
}

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// quoted reads a string opened by q (already consumed) at line:col.
func (lx *lexer) quoted(q rune, line, col int) (token, *syntaxError) {
	start := lx.i - 1
	var b strings.Builder
	for {
		if lx.i >= len(lx.src) {
			rest := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(string(lx.src[start+1:]))
			if rest == "" {
				return token{}, lx.errAt(line, col, "The quoted string has not been completed.")
			}
			return token{}, lx.errAt(line, col, "The quoted string '%s' has not been completed.", rest)
		}
		r := lx.src[lx.i]
		switch {
		case r == q:
			lx.advance()
			return token{kind: tQuoted, text: b.String(), raw: string(lx.src[start:lx.i]), line: line, col: col}, nil
		case r == '\\':
			s, err := lx.escape()
			if err != nil {
				return token{}, err
			}
			b.WriteString(s)
		case isControl(r) || r == '\t':
			return token{}, lx.errAt(lx.line, lx.col,
				"The character 'U+%04X' on line %d at position %d must be escaped. Use the escape '\\u%04x' instead.",
				r, lx.line, lx.col, r)
		default:
			b.WriteRune(lx.advance())
		}
	}
}
