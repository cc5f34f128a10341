package sim

import (
	"cmp"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim/ql"
)

// This file adapts the CQL/JQL parser of package ql to the simulator.

type dialect = ql.Dialect

const (
	dialectCQL = ql.CQL
	dialectJQL = ql.JQL
)

type queryEnv = ql.Env

// query is a parsed and validated query.
type query struct{ q *ql.Query }

// parseQuery parses and validates; errors are *ql.Error carrying the product's wording.
func parseQuery(d dialect, src string, env queryEnv) (*query, error) {
	q, err := ql.Parse(d, src)
	if err != nil {
		return nil, err
	}
	if err := q.Validate(env); err != nil {
		return nil, err
	}
	return &query{q: q}, nil
}

func (q *query) match(r ql.Record, env queryEnv) bool { return q.q.Match(r, env) }

func (q *query) orderBy() []ql.OrderTerm { return q.q.OrderBy() }

// compareRecords orders by ORDER BY terms. Dates compare at full precision, like the products'
// indexes (ql compares them at the minute, as clauses do); other fields follow ql.Compare.
func compareRecords(a, b ql.Record, terms []ql.OrderTerm) int {
	for i, t := range terms {
		ta, oka := a.Time(t.Field)
		tb, okb := b.Time(t.Field)
		var c int
		if oka && okb {
			c = ta.Compare(tb)
			if t.Desc {
				c = -c
			}
		} else {
			c = ql.Compare(a, b, terms[i:i+1])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// queryMessage is the product's wording of a query error.
func queryMessage(err error) string {
	var qe *ql.Error
	if errors.As(err, &qe) {
		return qe.Msg
	}
	return err.Error()
}

// textCache holds a record's analysed texts. Reads happen under the simulator's read lock from
// many goroutines, so entries are built lazily through atomic pointers (a race only builds twice)
// and dropped under the write lock when the text changes.
type textCache struct {
	title, text, summary, description, comment atomic.Pointer[ql.TextIndex]
}

func (c *textCache) reset() {
	for _, p := range []*atomic.Pointer[ql.TextIndex]{&c.title, &c.text, &c.summary, &c.description, &c.comment} {
		p.Store(nil)
	}
}

func (c *textCache) slot(field string) *atomic.Pointer[ql.TextIndex] {
	switch field {
	case "title":
		return &c.title
	case "text":
		return &c.text
	case "summary":
		return &c.summary
	case "description":
		return &c.description
	case "comment":
		return &c.comment
	}
	return nil
}

// index returns the cached analysis of field, building it from text() on first use.
func (c *textCache) index(field string, text func(string) string) *ql.TextIndex {
	p := c.slot(field)
	if p == nil {
		return nil
	}
	if ix := p.Load(); ix != nil {
		return ix
	}
	ix := ql.IndexText(text(field))
	p.Store(ix)
	return ix
}

// TextIndex implements ql.TextIndexer.
func (ct *content) TextIndex(field string) *ql.TextIndex { return ct.texts.index(field, ct.Text) }

// TextIndex implements ql.TextIndexer.
func (is *issue) TextIndex(field string) *ql.TextIndex { return is.texts.index(field, is.Text) }

var (
	_ ql.TextIndexer = (*content)(nil)
	_ ql.TextIndexer = (*issue)(nil)
)

// sortRecords orders hits by ORDER BY terms, ties by id ascending; without terms by id, ascending
// or descending (Jira lists newest first). A single date term, the crawlers' case, sorts on
// extracted keys instead of calling the comparator through pointers.
func sortRecords[R ql.Record](hits []R, terms []ql.OrderTerm, id func(R) int64, newestFirst bool) {
	if len(terms) == 0 {
		slices.SortFunc(hits, func(a, b R) int {
			if newestFirst {
				return cmp.Compare(id(b), id(a))
			}
			return cmp.Compare(id(a), id(b))
		})
		return
	}
	if len(terms) == 1 {
		type key struct {
			t, id int64
			ok    bool
			r     R
		}
		keys := make([]key, len(hits))
		dates := true
		for i, h := range hits {
			t, ok := h.Time(terms[0].Field)
			if !ok && !(t.IsZero() && isDateField(terms[0].Field)) {
				dates = false
				break
			}
			keys[i] = key{t: t.UnixNano(), id: id(h), ok: ok, r: h}
		}
		if dates {
			desc := terms[0].Desc
			slices.SortFunc(keys, func(a, b key) int {
				// Records without the date sort last ascending, first descending (as ql.Compare).
				c := 0
				switch {
				case a.ok != b.ok && a.ok:
					c = -1
				case a.ok != b.ok:
					c = 1
				default:
					c = cmp.Compare(a.t, b.t)
				}
				if desc {
					c = -c
				}
				if c == 0 {
					c = cmp.Compare(a.id, b.id)
				}
				return c
			})
			for i := range keys {
				hits[i] = keys[i].r
			}
			return
		}
	}
	slices.SortFunc(hits, func(a, b R) int {
		if c := compareRecords(a, b, terms); c != 0 {
			return c
		}
		return cmp.Compare(id(a), id(b))
	})
}

func isDateField(f string) bool {
	switch f {
	case "lastmodified", "created", "updated", "resolved", "due":
		return true
	}
	return false
}

// orderedLists caches record lists sorted by one date term, per scope (a space, a project, or all),
// until the next write: a crawler's "ORDER BY lastmodified" / "ORDER BY updated" then costs a
// filtering pass and no sort, whatever its other clauses.
type orderedLists struct {
	mu sync.Mutex
	m  map[string]orderedList
}

type orderedList struct {
	gen  uint64
	list any
}

func ordered[R ql.Record](ol *orderedLists, gen uint64, scope string, term ql.OrderTerm, src func() []R, id func(R) int64) []R {
	k := scope + "\x00" + term.Field + "\x00" + strconv.FormatBool(term.Desc)
	ol.mu.Lock()
	e, ok := ol.m[k]
	ol.mu.Unlock()
	if ok && e.gen == gen {
		return e.list.([]R)
	}
	list := slices.Clone(src())
	sortRecords(list, []ql.OrderTerm{term}, id, false)
	ol.mu.Lock()
	if ol.m == nil || len(ol.m) > 64 {
		ol.m = map[string]orderedList{}
	}
	ol.m[k] = orderedList{gen: gen, list: list}
	ol.mu.Unlock()
	return list
}

var lowerBoundRE = regexp.MustCompile(`(?i)(?:^|[\s(])(lastmodified|updated|created)\s*(>=|>)\s*(?:"([^"]*)"|'([^']*)'|([0-9]+)(?:$|[\s)]))`)

// byDate lists the records of scope in the order of one date term. When
// the term is the product's edit date (modified) or "created" and the
// query bounds it from below, the records before the bound are cut off by
// binary search: an incremental crawl's "updated >= X ORDER BY updated"
// then costs what it returns, not the size of the instance.
func byDate[R ql.Record, S any](ol *orderedLists, gen uint64, query string, term ql.OrderTerm, modified string, loc *time.Location,
	scope []S, scopeKey func(S) string, records func(S) []R, id func(R) int64) []R {
	name := "*"
	if len(scope) == 1 {
		name = scopeKey(scope[0])
	}
	list := ordered(ol, gen, name, term, func() []R {
		var all []R
		for _, s := range scope {
			all = append(all, records(s)...)
		}
		return all
	}, id)
	if f := term.Field; f == modified || f == "created" {
		if b, ok := lowerBound(query, f, loc); ok {
			list = skipBefore(list, f, term.Desc, b)
		}
	}
	return list
}

// lowerBound finds "field >= date" (or >) with an absolute date in a query made only of AND:
// every hit then has field >= that date, so a scan of a list ordered by field may skip the
// records before it. Dates are read like ql reads them (minute precision, in loc, or a bare
// number as epoch milliseconds, which only JQL accepts: CQL refuses it before this); anything
// else (relative dates, functions, OR/NOT anywhere) gives no bound.
func lowerBound(query, field string, loc *time.Location) (time.Time, bool) {
	if orNotRE.MatchString(query) {
		return time.Time{}, false
	}
	quoted := quotedSpans(query)
	var best time.Time
	found := false
	for _, idx := range lowerBoundRE.FindAllStringSubmatchIndex(query, -1) {
		if quoted(idx[2]) || !strings.EqualFold(query[idx[2]:idx[3]], field) {
			continue
		}
		var v string
		switch {
		case idx[6] >= 0:
			v = query[idx[6]:idx[7]]
		case idx[8] >= 0:
			v = query[idx[8]:idx[9]]
		default:
			// JQL's unquoted number: epoch milliseconds, read like ql reads it.
			ms, err := strconv.ParseInt(query[idx[10]:idx[11]], 10, 64)
			if err != nil {
				continue
			}
			if t := time.UnixMilli(ms).Truncate(time.Minute); !found || t.After(best) {
				best, found = t, true
			}
			continue
		}
		for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
			if t, err := time.ParseInLocation(layout, v, loc); err == nil {
				if !found || t.After(best) {
					best, found = t, true
				}
				break
			}
		}
	}
	return best, found
}

// quotedSpans reports whether a byte offset of q lies inside a quoted string.
func quotedSpans(q string) func(int) bool {
	var spans [][2]int
	for i := 0; i < len(q); i++ {
		if q[i] != '"' && q[i] != '\'' {
			continue
		}
		quote, start := q[i], i
		for i++; i < len(q) && q[i] != quote; i++ {
			if q[i] == '\\' {
				i++
			}
		}
		spans = append(spans, [2]int{start, i})
	}
	return func(off int) bool {
		for _, s := range spans {
			if off > s[0] && off <= s[1] {
				return true
			}
		}
		return false
	}
}

// skipBefore narrows a list ordered by a date field (ascending or descending) to the records at
// or after bound.
func skipBefore[R ql.Record](list []R, field string, desc bool, bound time.Time) []R {
	if desc {
		n, _ := slices.BinarySearchFunc(list, bound, func(r R, b time.Time) int {
			t, _ := r.Time(field)
			if t.Before(b) {
				return 1
			}
			return -1
		})
		return list[:n]
	}
	n, _ := slices.BinarySearchFunc(list, bound, func(r R, b time.Time) int {
		t, _ := r.Time(field)
		if t.Before(b) {
			return -1
		}
		return 1
	})
	return list[n:]
}
