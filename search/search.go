package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
func (q Query) snippetSize() int {
	if q.SnippetSize <= 0 {
		return DefaultSnippetSize
	}
	return max(q.SnippetSize, minSnippet)
}

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
}

// fusion holds the ranking constants; eval tests tune them.
type fusion struct {
	byScore  bool    // fuse min-max normalised scores instead of reciprocal ranks
	rrfK     float64 // reciprocal-rank-fusion damping
	wVector  float64 // weight of the vector ranking
	wKeyword float64 // weight of the keyword ranking
	extra    float64 // share of a document's further chunks added to its best
	maxExtra int     // how many further chunks count
	poolMin  int     // chunks taken from each ranking, at least
	poolPerK int     // … and per result wanted
	// longQuery is the number of query terms above which the keyword
	// ranking weighs wKeywordLong instead of wKeyword (0: never).
	longQuery    int
	wKeywordLong float64
	bm25         bm25Params
	proximity    proximityParams
}

// defaultFusion was chosen with TestEvalPGDocs (PostgreSQL manual, 1,169
// pages, 7,963 chunks; the 15 dev questions and embed's 35 paraphrased
// ones). Reciprocal ranks with a small k, the keyword ranking counted twice
// and 0.3 of a page's next three chunks was the best setting on both sets
// with either builtin embedder, and beats each ranking alone. With
// builtin/lsa-v1-512+128 (recall@5 / MRR@10):
//
//	           dev (15)       paraphrases (35)
//	keyword    0.733 / 0.596  0.629 / 0.364
//	vector     0.667 / 0.461  0.371 / 0.225
//	hybrid     0.800 / 0.697  0.629 / 0.490
//
// Min-max score fusion and RRF with k=60 did worse on at least one set;
// BM25's k1 (0.9–1.6) and b (0.4–0.9) and pools of 30–200 chunks made no
// difference to hybrid that held on both sets. A much better embedder
// deserves more weight: re-tune when it changes
// (ATLASBRIDGE_EVAL=1 ATLASBRIDGE_EVAL_TUNE=1 go test ./search -run EvalPGDocs -v).
//
// The keyword ranking then rewards query terms that stand close together
// (proximityRerank: the first 20 chunks, terms within 3 of each other,
// weight 1). End to end (`atlasbridge eval`, fitted builtin embedder,
// recall@5 / MRR@10), before → after:
//
//	                   hybrid                         keyword
//	dev (15)           0.800 / 0.644 → 0.867 / 0.700  0.667 / 0.627 → 0.800 / 0.669
//	paraphrases (35)   0.600 / 0.463 → 0.600 / 0.465  0.571 / 0.362 → 0.600 / 0.431
//	glossary (62)      0.613 / 0.374 → 0.613 / 0.412  0.500 / 0.216 → 0.532 / 0.209
//
// (glossary: the manual's own definitions, held out, as embed's experiment
// builds them). Windows of 2–3, weights 0.5–2 and 10–100 chunks all gave
// dev 0.867; weight 0.7 gained a paraphrase but put dev hybrid MRR below
// keyword-only. Re-tuning RRF k, the keyword weight or extra with it did
// not win on both dev and paraphrases.
//
// A long question (more than 10 terms after stop words) is a description
// rather than keywords: BM25 adds up many weak matches of its common words,
// and the embedder reads it better, so its keyword ranking weighs 0.5
// instead of 2. Only the glossary's definitions are that long (7–81 terms;
// dev and paraphrases have 3–9), and there (`atlasbridge eval --set …`,
// recall@5 / MRR@10):
//
//	                   hybrid before → after
//	glossary (62)      0.613 / 0.412 → 0.613 / 0.480
//	  odd half (31)    0.645 / 0.443 → 0.645 / 0.503
//	  even half (31)   0.581 / 0.380 → 0.581 / 0.456
//
// dev and paraphrases unchanged. Thresholds of 8–12 terms and weights of
// 0–1 all raised glossary MRR (0.432–0.508); 0.5 above 10 is the setting
// that lowered recall@5 on neither half, and leaves room above the
// longest ordinary question. Similar (a whole document as the query)
// keeps weight 2: duplicates share rare terms that BM25 finds best.
var defaultFusion = fusion{rrfK: 10, wVector: 1, wKeyword: 2, extra: 0.3, maxExtra: 3, poolMin: 100, poolPerK: 10,
	longQuery: 10, wKeywordLong: 0.5,
	bm25: bm25Params{k1: 1.2, b: 0.75}, proximity: proximityParams{top: 20, window: 3, weight: 1}}

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
	terms := tokenize(text)
	fu.wKeyword = fu.keywordWeight(len(terms))
	pool := max(fu.poolMin, fu.poolPerK*k)

	x.memMu.RLock()
	m := x.mem
	f := newFilter(q)
	var vecHits, kwHits []scored
	if qvec != nil && m != nil {
		vecHits, err = m.vectorSearch(ctx, qvec, pool, f)
		if err != nil {
			x.memMu.RUnlock()
			return nil, fmt.Errorf("search: %s: vector search: %w", x.dir, err)
		}
	}
	if mode != Vector && m != nil {
		keep := func(o int32) bool {
			d := m.chunks[o].doc
			return d != nil && f.allows(d)
		}
		if f.none() {
			// Spares a memo lookup per candidate chunk (0.3 ms at 100k).
			keep = func(o int32) bool { return m.chunks[o].doc != nil }
		}
		kwHits = m.kw.search(terms, pool, fu.bm25, keep)
		kwHits = m.kw.proximityRerank(kwHits, terms, fu.proximity, func(ords []int32) []string { return x.chunkTexts(ctx, m, ords) })
	}
	var hits []*docHit
	switch mode {
	case Vector:
		hits = m.accumulate(nil, vecHits, func(s scored, _ int) float64 { return s.score })
	case Keyword:
		hits = m.accumulate(nil, kwHits, func(s scored, _ int) float64 { return s.score })
	default:
		hits = m.accumulate(nil, vecHits, fu.contribution(vecHits, fu.wVector))
		hits = m.accumulate(hits, kwHits, fu.contribution(kwHits, fu.wKeyword))
	}
	inKeyword := make(map[*docRec]bool, len(kwHits))
	for _, s := range kwHits {
		inKeyword[m.chunks[s.chunk].doc] = true
	}
	if mode != Hybrid {
		// Raw cosines and BM25 scores have a floor far above zero, so
		// further chunks would outweigh the best one: rank by it alone.
		fu.extra = 0
	}
	hits = m.rankDocs(hits, fu, k)
	type hitRef struct {
		id    string
		idx   int32
		score float64
		kw    bool
	}
	refs := make([]hitRef, len(hits))
	for i, h := range hits {
		refs[i] = hitRef{id: h.doc.id, idx: m.chunks[h.best].idx, score: h.score, kw: inKeyword[h.doc]}
	}
	x.memMu.RUnlock()

	// What a result shows (title, URL, breadcrumb, the chunk's heading and
	// snippet) comes from the store, for the hits only: keeping it in
	// memory cost about 50 MB at 168k chunks.
	snipTerms := terms
	if q.snippetText != "" {
		snipTerms = tokenize(q.snippetText)
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
func (fu fusion) contribution(ranked []scored, w float64) func(scored, int) float64 {
	if !fu.byScore {
		return func(_ scored, r int) float64 { return w / (fu.rrfK + float64(r+1)) }
	}
	if len(ranked) == 0 {
		return nil
	}
	hi, lo := ranked[0].score, ranked[len(ranked)-1].score
	if hi <= lo {
		return func(scored, int) float64 { return w }
	}
	return func(s scored, _ int) float64 { return w * (s.score - lo) / (hi - lo) }
}

// accumulate adds a chunk ranking to the per-document hits; contrib gives a
// chunk's contribution from its score and rank (0-based).
func (m *memIndex) accumulate(hits []*docHit, ranked []scored, contrib func(scored, int) float64) []*docHit {
	byDoc := make(map[*docRec]*docHit, len(hits)+len(ranked))
	for _, h := range hits {
		byDoc[h.doc] = h
	}
	for r, s := range ranked {
		d := m.chunks[s.chunk].doc
		if d == nil {
			continue
		}
		h := byDoc[d]
		if h == nil {
			h = &docHit{doc: d}
			byDoc[d] = h
			hits = append(hits, h)
		}
		v := contrib(s, r)
		found := false
		for i := range h.parts {
			if h.parts[i].ord == s.chunk {
				h.parts[i].score += v
				found = true
				break
			}
		}
		if !found {
			h.parts = append(h.parts, chunkPart{ord: s.chunk, score: v})
		}
	}
	return hits
}

// rankDocs scores each document by its best chunk plus a little of its next
// best ones (a page that matches in several places is a better bet than a
// single lucky chunk), and returns the best k.
func (m *memIndex) rankDocs(hits []*docHit, fu fusion, k int) []*docHit {
	for _, h := range hits {
		sort.Slice(h.parts, func(i, j int) bool {
			if h.parts[i].score != h.parts[j].score {
				return h.parts[i].score > h.parts[j].score
			}
			return h.parts[i].ord < h.parts[j].ord
		})
		h.best = h.parts[0].ord
		h.score = h.parts[0].score
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
// allows, scanning only the shards of the containers f allows (and, with
// filters below the container, only shards holding an allowed chunk).
//
// It does not ask chromem-go: its QueryEmbedding walks the collection's map,
// feeds every document through one channel to its workers, takes a locked
// heap and copies the results, which costs 80–100 ms per 100k vectors where
// this scan of the same vectors takes 7–8 ms (BenchmarkVectorScan, busy
// machine; see the package comment).
func (m *memIndex) vectorSearch(ctx context.Context, qvec []float32, pool int, f *filter) ([]scored, error) {
	if m.dims != 0 && len(qvec) != m.dims {
		return nil, fmt.Errorf("query vector has %d dimensions, the index %d", len(qvec), m.dims)
	}
	if !isUnit(qvec) {
		// Scores are cosines, as chromem-go's are: the fallback's
		// threshold compares them.
		qvec = slices.Clone(qvec)
		scaleToUnit(qvec)
	}
	// With filters below the container, mark the allowed chunks of the
	// allowed containers: shards with none are skipped, the others check
	// the mark before each row. A document's chunks mostly sit in
	// consecutive slots, so f.allows runs about once per document.
	var allow []uint64 // bit per ordinal; nil: every chunk of a scanned shard
	if f.docLevel() {
		allow = make([]uint64, (len(m.chunks)+63)/64)
	}
	var jobs []*shard
	rows := 0
	for _, set := range m.colls {
		if !f.allowsContainer(set.source, set.container) {
			continue
		}
		for _, s := range set.shards {
			if s.live() == 0 || allow != nil && !m.markAllowed(s, f, allow) {
				continue
			}
			jobs = append(jobs, s)
			rows += len(s.rows)
		}
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	// One goroutine per core takes the next shard until none is left;
	// below a few thousand rows starting them costs more than it saves.
	workers := min(runtime.GOMAXPROCS(0), len(jobs), max(1, rows/minRowsPerWorker))
	tops := make([]*topN, workers)
	errs := make([]error, workers)
	var next atomic.Int64
	scan := func(w int) {
		top := newTopN(pool)
		tops[w] = top
		for {
			i := int(next.Add(1)) - 1
			if i >= len(jobs) {
				return
			}
			if err := ctx.Err(); err != nil {
				errs[w] = err
				return
			}
			scanShard(jobs[i], qvec, allow, top)
		}
	}
	if workers <= 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { scan(w) })
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(tops) == 1 {
		return tops[0].sorted(), nil
	}
	top := newTopN(pool)
	for _, t := range tops {
		for _, s := range t.h {
			if top.wants(s.score) {
				top.push(s)
			}
		}
	}
	return top.sorted(), nil
}

// markAllowed sets the bits of the chunks of s whose document f allows and
// reports whether there was any.
func (m *memIndex) markAllowed(s *shard, f *filter, allow []uint64) bool {
	var last *docRec
	ok, found := false, false
	for _, r := range s.rows {
		if r.ord < 0 {
			continue
		}
		if d := m.chunks[r.ord].doc; d != last {
			last, ok = d, f.allows(d)
		}
		if ok {
			allow[r.ord>>6] |= 1 << (r.ord & 63)
			found = true
		}
	}
	return found
}

// minRowsPerWorker is the least rows worth a goroutine of vectorSearch.
const minRowsPerWorker = 4096

// scanShard offers top every chunk of s that allow marks (nil: every
// chunk), scored by cosine similarity with the unit vector q. It allocates
// nothing.
func scanShard(s *shard, q []float32, allow []uint64, top *topN) {
	for i := range s.rows {
		r := &s.rows[i]
		if r.ord < 0 || allow != nil && allow[r.ord>>6]&(1<<(r.ord&63)) == 0 {
			continue
		}
		if sc := float64(dot(q, r.vec)); top.wants(sc) {
			top.push(scored{chunk: r.ord, score: sc})
		}
	}
}
