package indexer

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// maxListingPages bounds one listing, so a server that never stops paging
// cannot keep a sync running forever (200 × 100,000 items).
const maxListingPages = 100_000

// keyset pages through a listing ordered by modification time, ascending,
// starting at since (all items when zero). Offset paging over a window
// that moves while it is read skips items, so once a page reaches past the
// query's lower bound by more than the bound's margin, the bound jumps to
// the minute of the last item seen and the offset restarts at 0; otherwise
// (a page within one minute, the granularity of CQL and JQL dates, or
// within the margin) it moves on by offset. Items at or after the bound are
// listed again; the caller dedupes by id. When the server does not honour
// the order, it falls back to plain offset paging.
//
// page receives the bound as b writes it ("" for none) and the offset; it
// returns the modification times of the page's items in the order
// received, whether more pages follow and the next offset.
func keyset(since time.Time, b bound, page func(lower string, start int) (times []time.Time, more bool, next int, err error)) error {
	lower := since.Truncate(time.Minute)
	ordered := true
	start := 0
	for range maxListingPages {
		lit := ""
		if !lower.IsZero() {
			lit = b.write(lower)
		}
		times, more, next, err := page(lit, start)
		if err != nil {
			return err
		}
		if !more || len(times) == 0 {
			return nil
		}
		for i := 1; i < len(times) && ordered; i++ {
			ordered = !times[i].Before(times[i-1])
		}
		last := times[len(times)-1].Truncate(time.Minute)
		if ordered && last.Sub(lower) > b.margin {
			lower, start = last, 0
		} else {
			start = next
		}
	}
	return errors.New("listing did not end after " + strconv.Itoa(maxListingPages) + " pages")
}

// bound writes a lower bound of a listing query.
type bound struct {
	// write returns the literal for an instant; the server must never
	// read it as a later instant.
	write func(time.Time) string
	// margin is how much earlier than the instant write starts the
	// literal, to stay early in every zone the server may read it in.
	margin time.Duration
}

// jqlBound writes a JQL lower bound as epoch milliseconds: Jira reads an
// unquoted number as an instant, with no zone involved.
var jqlBound = bound{write: func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }}

// Confluence reads a CQL date in the searching user's profile zone, which
// its REST API does not tell, and the offsets of its timestamps are the
// server's, not that zone. A bound is therefore written early enough for
// the worst case.
const (
	// zoneSpread is how far behind UTC a zone can be (Etc/GMT+12): a UTC
	// wall time moved back by it is never read later than meant.
	zoneSpread = 12 * time.Hour
	// dstShift covers a known zone's ambiguous hour when clocks go back
	// (a wall time then names two instants) and a rule the server's zone
	// database has and ours lacks.
	dstShift = time.Hour
)

// cqlBound returns the bound for an account whose profile zone is loc
// (nil: unknown).
func cqlBound(loc *time.Location) bound {
	margin := dstShift
	if loc == nil {
		loc, margin = time.UTC, zoneSpread
	}
	return bound{margin: margin, write: func(t time.Time) string {
		return atlassian.Quote(t.Add(-margin).In(loc).Format(cqlTimeLayout))
	}}
}

// dedupe keeps one item per id, the one listed last (the newest).
func dedupe(items []item) []item {
	pos := make(map[string]int, len(items))
	out := items[:0]
	for _, it := range items {
		if i, ok := pos[it.id]; ok {
			out[i] = it
			continue
		}
		pos[it.id] = len(out)
		out = append(out, it)
	}
	return out
}

// batch loads the documents of a group of listed items with one request
// the first time any of them is built; the others wait for it. Workers
// take items in listing order, so a group is built by neighbours. Each
// loaded value is handed out once and then forgotten, so a container's
// bodies do not stay in memory until its sync ends.
//
// The first get of a group also starts loading the next loadAhead groups
// (next…), in the background: the workers convert this group while the
// next ones' requests are under way, rather than all waiting for each when
// they reach it. At most 1+loadAhead groups are held or loading at a time.
type batch[T any] struct {
	once  sync.Once
	ahead sync.Once // starts the loads of the groups after it
	ids   []string
	load  func(ctx context.Context, ids []string) (map[string]T, error)
	next  *batch[T]
	mu    sync.Mutex
	got   map[string]T
	err   error
	took  time.Duration // the load's time, counted with its request by the first get
	// counted: the load's request and time are in some worker's Stages.
	counted bool
}

// loadAhead is how many groups after the one being built are loaded in the
// background: with a server's latency above the time the workers take to
// convert a group, one ahead is not enough; two stay within the clients'
// default of 4 requests in flight.
const loadAhead = 2

// then makes b the group after prev (nil: b is the first) and returns b.
func (prev *batch[T]) then(b *batch[T]) *batch[T] {
	if prev != nil {
		prev.next = b
	}
	return b
}

// fill loads the group, once.
func (b *batch[T]) fill(ctx context.Context) {
	b.once.Do(func() {
		t0 := time.Now()
		got, err := b.load(ctx, b.ids)
		b.mu.Lock()
		b.got, b.err, b.took = got, err, time.Since(t0)
		b.mu.Unlock()
	})
}

// get returns the loaded value of id and whether the load returned it. The
// first caller's Stages count the group's request and its fetch time.
func (b *batch[T]) get(ctx context.Context, id string, st *Stages) (T, bool, error) {
	b.ahead.Do(func() {
		for n, i := b.next, 0; n != nil && i < loadAhead; n, i = n.next, i+1 {
			go n.fill(ctx)
		}
	})
	b.fill(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.counted {
		b.counted = true
		st.Fetch += b.took
		st.requests++
	}
	v, ok := b.got[id]
	delete(b.got, id)
	return v, ok, b.err
}
