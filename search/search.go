package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
	"github.com/atlasbridge/atlasbridge/search/internal/rank"
	"github.com/atlasbridge/atlasbridge/search/internal/vec"
)

// Mode chooses the rankings a search uses.
type Mode string

// The search modes; the zero Mode is Hybrid.
const (
	Hybrid  Mode = "hybrid"  // vector and keyword rankings fused
	Vector  Mode = "vector"  // embedding similarity only
	Keyword Mode = "keyword" // BM25 only
)

// ParseMode reads a mode name as given on a command line; "" is Hybrid.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", Hybrid:
		return Hybrid, nil
	case Vector, Keyword:
		return m, nil
	}
	return "", fmt.Errorf("unknown search mode %q (want hybrid, vector or keyword)", s)
}

// Query is one search. Filters within a field are alternatives (any label,
// any status); different fields must all match. Spaces filter Confluence
// documents and Projects Jira issues: with only Spaces given, no Jira issue
// matches, and the other way round. Unknown values match nothing.
type Query struct {
	Text         string
	K            int // documents wanted: 10 when 0, at most MaxK
	Sources      []string
	Spaces       []string
	Projects     []string
	Labels       []string
	Statuses     []string
	Types        []string
	UpdatedAfter time.Time
	Mode         Mode
	// SnippetSize bounds each Result's Snippet in bytes, ellipses included:
	// DefaultSnippetSize when 0, at least 32.
	SnippetSize int

	// snippetText, when set, gives the words snippets are centred on in
	// place of Text (Similar: the document's title, not its whole text).
	snippetText string
}

// DefaultSnippetSize is the size of a Result's Snippet unless the Query
// asks for another.
const DefaultSnippetSize = 240

// snippetSize is the snippet budget q asks for.
func (q Query) snippetSize() int { return snippetBudget(q.SnippetSize) }

// MaxK is the most results one search returns.
const MaxK = 100

// Result is one document found, represented by its best chunk.
type Result struct {
	DocID, Source, Container, Key, Title, URL, Type, Status string
	Updated                                                 time.Time
	// Score orders results within one search (higher is better); its scale
	// depends on the mode: fused reciprocal ranks, cosine similarity or BM25.
	Score float64
	// Snippet is the passage of the best chunk's body that holds the most
	// query terms, as plain text (no breadcrumb, header lines or markdown),
	// cut at word boundaries with "…" where text was cut; at most
	// Query.SnippetSize bytes.
	Snippet    string
	Heading    string // the best chunk's heading path
	Labels     []string
	Restricted bool
	// KeywordHit says the document was in the keyword ranking: one of its
	// chunks shares a query term (after stemming and stop words).
	KeywordHit bool
	// Coverage is the share of the query's weight the document holds: the
	// inverse document frequencies of the distinct query terms (after
	// stemming and stop words) found anywhere in it over those of all of
	// them, a term found nowhere in the index weighing the most. Confidence
	// reads it.
	Coverage float64
	// VectorRank and KeywordRank are the document's places (1-based) in
	// the vector and the page-level keyword rankings, 0 when it is not
	// among their first Query.K: which side found it.
	VectorRank, KeywordRank int
}

// fusion holds the ranking constants; eval tests tune them.
type fusion struct {
	byScore  bool    // fuse min-max normalised scores instead of reciprocal ranks
	rrfK     float64 // reciprocal-rank-fusion damping
	wVector  float64 // weight of the vector ranking
	wKeyword float64 // weight of the keyword ranking
	wPage    float64 // weight of the page-level keyword ranking (keyword.SearchPages)
	extra    float64 // share of a document's further chunks added to its best
	maxExtra int     // how many further chunks count
	poolMin  int     // chunks taken from each ranking, at least
	poolPerK int     // … and per result wanted
	// longQuery is the number of query terms above which the keyword
	// ranking weighs wKeywordLong instead of wKeyword (0: never).
	longQuery    int
	wKeywordLong float64
	wPageLong    float64
	bm25         keyword.Params
	proximity    keyword.Proximity
	// variants is the weight, against a question's own term, of the
	// derivational kin of its terms (keyword.Index.Variants) in the
	// keyword rankings of a hybrid search of at most longQuery terms; 0:
	// none.
	variants float64
	// compounds weighs, likewise, the index terms a question's phrasal
	// verbs make as one word (keyword.Index.Compounds); 0: none.
	compounds float64
}

// defaultFusion was chosen with TestEvalPGDocs on the index `atlasbridge
// eval` builds (the PostgreSQL manual; BENCHMARKS.md has the figures and
// the settings tried), on the dev and paraphrase sets, the glossary set held
// out: reciprocal ranks with a small k; the vector ranking and the chunk
// keyword ranking at equal weight (since the WordNet retrofit, the vectors
// earn it); the page-level keyword ranking (keyword.Index.SearchPages) at a
// quarter of that, enough to lift the page that is about the question as a
// whole, which plain page-level BM25 finds, without drowning the passage
// rankings; and 0.3 of a page's next three chunks. A much better embedder
// deserves more weight: re-tune when it changes (see TestEvalPGDocs).
//
// The keyword ranking then rewards query terms that stand close together
// (keyword.Index.Rerank: the first 20 chunks, terms within 3 of each other,
// weight 1).
//
// A long question (more than 10 terms after stop words) is a description
// rather than keywords: BM25 adds up many weak matches of its common words,
// and the embedder reads it better, so its chunk keyword ranking weighs 0.5
// and its page-level one nothing. 0.5 above 10 terms is the setting that
// raised the glossary set's MRR without lowering recall@5 on either half of
// it, and leaves room above the longest ordinary question (dev and
// paraphrases: 3–9 terms); the page ranking lost glossary questions at any
// weight. Similar (a whole document as the query) keeps the short-query
// weights: duplicates share rare terms that BM25 finds best.
//
// A question of at most 10 terms also looks, in both keyword rankings, for
// the derivational kin of its terms (keyword.Index.Variants: "refer",
// "reference"; "connect", "connection") at half a term's weight: weights
// 0.25–1 all raised MRR on the dev, paraphrase and plain-wording tuning
// sets, 0.5 the most without losing a dev question (at 1 it lost two).
// Its phrasal verbs written as one word ("log in", "login"; "set up",
// "setup") weigh the same half: at 1 the paraphrases lost a little.
var defaultFusion = fusion{rrfK: 10, wVector: 2, wKeyword: 2, wPage: 0.5, extra: 0.3, maxExtra: 3, poolMin: 100, poolPerK: 10,
	longQuery: 10, wKeywordLong: 0.5, wPageLong: 0, variants: 0.5, compounds: 0.5,
	bm25: keyword.Params{K1: 1.2, B: 0.75}, proximity: keyword.Proximity{Top: 20, Window: 3, Weight: 1}}

// keywordWeight is the weight of the keyword ranking for a query of n
// terms.
func (fu fusion) keywordWeight(n int) float64 {
	if fu.longQuery > 0 && n > fu.longQuery {
		return fu.wKeywordLong
	}
	return fu.wKeyword
}

// Search ranks the documents that match q's filters against q.Text.
func (x *Index) Search(ctx context.Context, q Query) ([]Result, error) {
	return x.search(ctx, q, defaultFusion)
}

// docHit is one document's share of the rankings.
type docHit struct {
	doc   *docRec
	parts []chunkPart // per chunk, summed over the rankings
	best  int32       // ordinal of the best chunk
	page  float64     // the page-level ranking's share
	score float64
}

type chunkPart struct {
	ord   int32
	score float64
}

func (x *Index) search(ctx context.Context, q Query, fu fusion) ([]Result, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return nil, errors.New("search: empty query")
	}
	mode, err := ParseMode(string(q.Mode))
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	k := q.K
	switch {
	case k < 0:
		return nil, fmt.Errorf("search: K is %d; want 1..%d", k, MaxK)
	case k == 0:
		k = 10
	case k > MaxK:
		k = MaxK
	}
	if q.SnippetSize < 0 {
		return nil, fmt.Errorf("search: SnippetSize is %d; want 0 (default %d) or more", q.SnippetSize, DefaultSnippetSize)
	}
	if err := x.usable("search"); err != nil {
		return nil, err
	}
	if err := x.refresh(ctx); err != nil {
		return nil, err
	}

	var qvec []float32
	if mode != Keyword {
		vs, err := x.emb.Embed(ctx, []string{text})
		if err != nil {
			return nil, fmt.Errorf("search: embed query with %s: %w", x.emb.Model(), err)
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("search: embedder %s returned %d vectors for 1 query", x.emb.Model(), len(vs))
		}
		if checkVector(vs[0], 0) == nil {
			qvec = vs[0]
		}
	}
	terms := keyword.Tokenize(text)
	if fu.longQuery > 0 && len(terms) > fu.longQuery {
		fu.wPage = fu.wPageLong
	}
	fu.wKeyword = fu.keywordWeight(len(terms))
	pool := max(fu.poolMin, fu.poolPerK*k)

	x.memMu.RLock()
	m := x.mem
	f := newFilter(q)
	var vecHits, kwHits []rank.Scored
	if qvec != nil && m != nil {
		vecHits, err = m.vectorSearch(ctx, qvec, pool, f)
		if err != nil {
			x.memMu.RUnlock()
			return nil, fmt.Errorf("search: %s: vector search: %w", x.dir, err)
		}
	}
	keep := func(o int32) bool {
		d := m.chunks[o].doc
		return d != nil && f.allows(d)
	}
	if f.none() {
		// Spares a memo lookup per candidate chunk.
		keep = func(o int32) bool { return m.chunks[o].doc != nil }
	}
	var extra []keyword.Expansion
	if mode == Hybrid && m != nil && len(terms) <= fu.longQuery {
		// A question and the page that answers it often word the same
		// idea apart: "refer" and "references".
		extra = m.kw.Variants(terms, fu.variants)
		extra = append(extra, m.kw.Compounds(text, terms, fu.compounds)...)
	}
	if mode != Vector && m != nil {
		kwHits = m.kw.SearchExpanded(terms, extra, pool, fu.bm25, keep)
		kwHits = m.kw.Rerank(kwHits, terms, fu.proximity, func(ords []int32) []string { return x.chunkTexts(ctx, m, ords) })
	}
	var pageRanking *keyword.PageRanking
	if m != nil {
		// In vector mode too, for the results' Coverage.
		pageRanking = m.kw.SearchPagesExpanded(terms, extra, pool, fu.bm25, m.pages(f))
	}
	fuse := func() []*docHit {
		var pageHits []keyword.PageHit
		if pageRanking != nil {
			pageHits = pageRanking.Top
		}
		switch mode {
		case Vector:
			return m.accumulate(nil, vecHits, func(s rank.Scored, _ int) float64 { return s.Score })
		case Keyword:
			return m.accumulate(nil, kwHits, func(s rank.Scored, _ int) float64 { return s.Score })
		}
		hits := m.accumulate(nil, vecHits, fu.contribution(vecHits, fu.wVector))
		hits = m.accumulate(hits, kwHits, fu.contribution(kwHits, fu.wKeyword))
		return m.accumulatePages(hits, pageHits, fu.wPage, fu.rrfK)
	}
	hits := fuse()
	var pageHits []keyword.PageHit
	if pageRanking != nil {
		pageHits = pageRanking.Top
	}
	inKeyword := make(map[*docRec]bool, len(kwHits))
	for _, s := range kwHits {
		inKeyword[m.chunks[s.Chunk].doc] = true
	}
	if mode != Hybrid {
		// Raw cosines and BM25 scores have a floor far above zero, so
		// further chunks would outweigh the best one: rank by it alone.
		fu.extra = 0
	}
	hits = m.rankDocs(hits, fu, k)
	vecRank, pageRank := m.docRanks(vecHits, k), map[*docRec]int{}
	for i, p := range pageHits[:min(k, len(pageHits))] {
		pageRank[m.chunks[p.Chunk].doc] = i + 1
	}
	type hitRef struct {
		id              string
		idx             int32
		score, coverage float64
		kw              bool
		vecRank, kwRank int
	}
	refs := make([]hitRef, len(hits))
	for i, h := range hits {
		refs[i] = hitRef{id: h.doc.id, idx: m.chunks[h.best].idx, score: h.score, kw: inKeyword[h.doc],
			vecRank: vecRank[h.doc], kwRank: pageRank[h.doc]}
		if len(h.doc.ords) > 0 {
			refs[i].coverage = pageRanking.Coverage(h.doc.ords[0])
		}
	}
	pageRanking.Release()
	x.memMu.RUnlock()

	// What a result shows (title, URL, breadcrumb, the chunk's heading and
	// snippet) comes from the store, for the hits only: kept in memory it
	// was a good share of the heap.
	snipTerms := terms
	if q.snippetText != "" {
		snipTerms = keyword.Tokenize(q.snippetText)
	}
	results := make([]Result, 0, len(refs))
	for _, h := range refs {
		var text, heading sql.NullString
		var crumbs string
		row, err := scanDoc(x.hitRow.QueryRowContext(ctx, h.idx, h.id), &crumbs, &text, &heading)
		if errors.Is(err, sql.ErrNoRows) {
			continue // deleted by a concurrent sync since it was ranked
		}
		if err != nil {
			return nil, x.fail("search", err)
		}
		r := row.result()
		r.Labels = append([]string(nil), r.Labels...)
		r.Score, r.KeywordHit, r.Heading = h.score, h.kw, heading.String
		r.Coverage, r.VectorRank, r.KeywordRank = h.coverage, h.vecRank, h.kwRank
		if !text.Valid {
			// Replaced by a concurrent sync since: no snippet rather
			// than no result.
			results = append(results, r)
			continue
		}
		s := snippetSource{text: text.String, heading: heading.String, title: row.title, source: row.source,
			typ: row.typ, first: h.idx == 0}
		s.breadcrumb, _ = decodeStrings(crumbs) // damaged: the snippet cuts no breadcrumb line
		snip, fromBody := bodySnippet(s, snipTerms, q.snippetSize())
		if !fromBody {
			// A first chunk with nothing but the breadcrumb and header
			// lines (a page whose text starts with a section): the
			// next chunk's body says more than the header.
			next := s
			next.first = false
			err := x.db.QueryRowContext(ctx, `SELECT text, heading FROM chunks WHERE doc_id = ? AND idx > ? ORDER BY idx LIMIT 1`,
				h.id, h.idx).Scan(&next.text, &next.heading)
			if err == nil {
				if n, ok := bodySnippet(next, snipTerms, q.snippetSize()); ok {
					snip = n
				}
			}
		}
		r.Snippet = snip
		results = append(results, r)
	}
	return results, nil
}

// hitQuery reads a document's row (docColumns), its breadcrumb and one of
// its chunks' text and heading (NULL when the chunk is gone).
const hitQuery = `SELECT ` + docColumns + `, breadcrumb, c.text, c.heading
	FROM documents LEFT JOIN chunks c ON c.doc_id = documents.id AND c.idx = ? WHERE documents.id = ?`

// contribution is how much a chunk of a ranking adds to the fused score:
// w/(k+rank), or w times its score min-max normalised over the ranking.
func (fu fusion) contribution(ranked []rank.Scored, w float64) func(rank.Scored, int) float64 {
	if !fu.byScore {
		return func(_ rank.Scored, r int) float64 { return w / (fu.rrfK + float64(r+1)) }
	}
	if len(ranked) == 0 {
		return nil
	}
	hi, lo := ranked[0].Score, ranked[len(ranked)-1].Score
	if hi <= lo {
		return func(rank.Scored, int) float64 { return w }
	}
	return func(s rank.Scored, _ int) float64 { return w * (s.Score - lo) / (hi - lo) }
}

// accumulate adds a chunk ranking to the per-document hits; contrib gives a
// chunk's contribution from its score and rank (0-based).
func (m *memIndex) accumulate(hits []*docHit, ranked []rank.Scored, contrib func(rank.Scored, int) float64) []*docHit {
	return m.addRanking(hits, ranked, func(h *docHit, s rank.Scored, r int) {
		v := contrib(s, r)
		for i := range h.parts {
			if h.parts[i].ord == s.Chunk {
				h.parts[i].score += v
				return
			}
		}
		h.parts = append(h.parts, chunkPart{ord: s.Chunk, score: v})
	})
}

// addRanking calls add with every chunk of a ranking, its document's hit
// (added to hits when new) and its rank (0-based).
func (m *memIndex) addRanking(hits []*docHit, ranked []rank.Scored, add func(h *docHit, s rank.Scored, r int)) []*docHit {
	byDoc := make(map[*docRec]*docHit, len(hits)+len(ranked))
	for _, h := range hits {
		byDoc[h.doc] = h
	}
	for r, s := range ranked {
		d := m.chunks[s.Chunk].doc
		if d == nil {
			continue
		}
		h := byDoc[d]
		if h == nil {
			h = &docHit{doc: d}
			byDoc[d] = h
			hits = append(hits, h)
		}
		add(h, s, r)
	}
	return hits
}

// pages groups m's chunks into documents for keyword.SearchPages, leaving
// out those f does not allow. A document is keyed by its first chunk's
// ordinal.
func (m *memIndex) pages(f *filter) keyword.Pages {
	key, lens := m.pageKeys()
	p := keyword.Pages{Key: key, Len: lens, Live: len(m.docs)}
	if !f.none() {
		p.Allow = func(key int32) bool {
			d := m.chunks[key].doc
			return d != nil && f.allows(d)
		}
	}
	return p
}

// pageKeys is, by chunk ordinal, the key of the chunk's document in
// keyword.SearchPages (the ordinal of its first chunk), -1 for a removed
// chunk, and by key the document's length in terms: kept with the index as
// chunks come and go, since looking the document up per posting was most
// of the page ranking's cost. A snapshot's chunks arrive without them: the
// first search derives them (memIndex.pageKeys), in one pass over the
// chunks.
type pageKeys struct {
	mu    sync.Mutex // searches derive it under the index's read lock
	key   []int32
	len   []int32
	stale bool
}

// add records chunk ord, the last one, of n terms, as part of the
// document keyed key.
func (p *pageKeys) add(ord, key int32, n int) {
	if p.stale || int(ord) != len(p.key) || int(key) > int(ord) {
		p.stale = true
		return
	}
	p.key = append(p.key, key)
	p.len = append(p.len, 0)
	p.len[key] += int32(max(n, 0))
}

// remove records a document's chunks as removed.
func (p *pageKeys) remove(ords []int32) {
	for _, o := range ords {
		if int(o) < len(p.key) {
			p.key[o], p.len[o] = -1, 0
		}
	}
}

// renumber follows a compaction (memIndex.compact's remap, old ordinal to
// new, -1 for removed).
func (p *pageKeys) renumber(remap []int32, n int) {
	if p.stale || len(p.key) != len(remap) {
		p.stale = true
		return
	}
	key, lens := make([]int32, n), make([]int32, n)
	for old, o := range remap {
		if o < 0 {
			continue
		}
		key[o], lens[o] = -1, p.len[old]
		if k := p.key[old]; k >= 0 {
			key[o] = remap[k]
		}
	}
	p.key, p.len = key, lens
}

// pageKeys returns m's page keys and lengths, deriving them when m's
// chunks were loaded without them or they went stale.
func (m *memIndex) pageKeys() (key, lens []int32) {
	p := &m.pageKey
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stale || len(p.key) != len(m.chunks) {
		p.key, p.len = derivePageKeys(m.chunks, m.kw)
		p.stale = false
	}
	return p.key, p.len
}

// derivePageKeys is the page key of every chunk, from its document, and
// the length of every page.
func derivePageKeys(chunks []chunkRec, kw *keyword.Index) (key, lens []int32) {
	key, lens = make([]int32, len(chunks)), make([]int32, len(chunks))
	for o, c := range chunks {
		key[o] = -1
		if d := c.doc; d != nil && len(d.ords) > 0 {
			key[o] = d.ords[0]
			lens[key[o]] += int32(max(kw.Length(int32(o)), 0))
		}
	}
	return key, lens
}

// accumulatePages adds the page-level keyword ranking to the per-document
// hits: w/(k+rank) to the document's score, not to one of its chunks.
func (m *memIndex) accumulatePages(hits []*docHit, ranked []keyword.PageHit, w, k float64) []*docHit {
	if w == 0 || len(ranked) == 0 {
		return hits
	}
	keys := make([]rank.Scored, len(ranked))
	for i, p := range ranked {
		keys[i] = p.Scored
	}
	return m.addRanking(hits, keys, func(h *docHit, _ rank.Scored, r int) { h.page += w / (k + float64(r+1)) })
}

// docRanks gives the documents of a chunk ranking their 1-based places by
// their best chunk, for the first k documents.
func (m *memIndex) docRanks(ranked []rank.Scored, k int) map[*docRec]int {
	out := make(map[*docRec]int, k)
	for _, s := range ranked {
		if len(out) == k {
			break
		}
		if d := m.chunks[s.Chunk].doc; d != nil {
			if _, ok := out[d]; !ok {
				out[d] = len(out) + 1
			}
		}
	}
	return out
}

// rankDocs scores each document by its best chunk plus a little of its next
// best ones (a page that matches in several places is a better bet than a
// single lucky chunk), and returns the best k.
func (m *memIndex) rankDocs(hits []*docHit, fu fusion, k int) []*docHit {
	for _, h := range hits {
		if len(h.parts) == 0 {
			// Found by the page-level ranking alone: shown by its first
			// chunk.
			h.best, h.score = h.doc.ords[0], h.page
			continue
		}
		sort.Slice(h.parts, func(i, j int) bool {
			if h.parts[i].score != h.parts[j].score {
				return h.parts[i].score > h.parts[j].score
			}
			return h.parts[i].ord < h.parts[j].ord
		})
		h.best = h.parts[0].ord
		h.score = h.parts[0].score + h.page
		for i := 1; i < len(h.parts) && i <= fu.maxExtra; i++ {
			h.score += fu.extra * h.parts[i].score
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].doc.id < hits[j].doc.id
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// filter is a Query's filters, ready to test documents.
type filter struct {
	sources, spaces, projects, labels, statuses, types map[string]bool
	after                                              time.Time
	memo                                               map[*docRec]bool
}

func fold(vals []string) map[string]bool {
	if len(vals) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[strings.ToLower(strings.TrimSpace(v))] = true
	}
	return m
}

func newFilter(q Query) *filter {
	return &filter{sources: fold(q.Sources), spaces: fold(q.Spaces), projects: fold(q.Projects),
		labels: fold(q.Labels), statuses: fold(q.Statuses), types: fold(q.Types), after: q.UpdatedAfter,
		memo: make(map[*docRec]bool)}
}

// allowsContainer says whether any document of a collection can match.
func (f *filter) allowsContainer(source, container string) bool {
	if f.sources != nil && !f.sources[source] {
		return false
	}
	if f.spaces == nil && f.projects == nil {
		return true
	}
	c := strings.ToLower(container)
	if source == SourceConfluence {
		return f.spaces[c]
	}
	return f.projects[c]
}

// none says whether no filter is set at all.
func (f *filter) none() bool {
	return f.sources == nil && f.spaces == nil && f.projects == nil && !f.docLevel()
}

// docLevel says whether filters beyond the container are set.
func (f *filter) docLevel() bool {
	return f.labels != nil || f.statuses != nil || f.types != nil || !f.after.IsZero()
}

func (f *filter) allows(d *docRec) bool {
	if v, ok := f.memo[d]; ok {
		return v
	}
	v := f.check(d)
	f.memo[d] = v
	return v
}

func (f *filter) check(d *docRec) bool {
	if !f.allowsContainer(d.source, d.container) {
		return false
	}
	if f.statuses != nil && !f.statuses[strings.ToLower(d.status)] {
		return false
	}
	if f.types != nil && !f.types[strings.ToLower(d.typ)] {
		return false
	}
	if !f.after.IsZero() && !d.updated.After(f.after) {
		return false
	}
	if f.labels != nil {
		for _, l := range d.labels {
			if f.labels[strings.ToLower(l)] {
				return true
			}
		}
		return false
	}
	return true
}

// vectorSearch returns the pool chunks most similar to qvec among those f
// allows, scanning only the vectors of the containers f allows (and, with
// filters below the container, only shards holding an allowed chunk).
func (m *memIndex) vectorSearch(ctx context.Context, qvec []float32, pool int, f *filter) ([]rank.Scored, error) {
	vf := vec.Filter[container]{Group: func(c container) bool { return f.allowsContainer(c.source, c.name) }}
	if f.docLevel() {
		// A document's chunks mostly sit in consecutive slots, so f.allows
		// runs about once per document.
		var last *docRec
		ok := false
		vf.Chunk = func(o int32) bool {
			if d := m.chunks[o].doc; d != last {
				last, ok = d, f.allows(d)
			}
			return ok
		}
	}
	return m.vecs.Search(ctx, qvec, pool, vf)
}
