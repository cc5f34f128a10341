package indexer

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// maxListingPages bounds one listing, so a server that never stops paging
// cannot keep a sync running forever (200 × 100,000 items).
const maxListingPages = 100_000

// keyset pages through a listing ordered by modification time, ascending,
// starting at since (all items when zero). Offset paging over a window
// that moves while it is read skips items, so after each page the lower
// bound jumps to the minute of the last item seen and the offset restarts
// at 0; only a page that lies entirely within one minute (the granularity
// of CQL and JQL dates) moves on by offset. Items of a boundary minute are
// listed twice; the caller dedupes by id. When the server does not honour
// the order, it falls back to plain offset paging.
//
// page receives the lower bound formatted with layout in loc ("" for none)
// and the offset; it returns the modification times of the page's items in
// the order received, whether more pages follow and the next offset.
func keyset(since time.Time, loc *time.Location, page func(lower string, start int) (times []time.Time, more bool, next int, err error), layout string) error {
	lower := since.Truncate(time.Minute)
	ordered := true
	start := 0
	for range maxListingPages {
		bound := ""
		if !lower.IsZero() {
			bound = lower.In(loc).Format(layout)
		}
		times, more, next, err := page(bound, start)
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
		if ordered && last.After(lower) {
			lower, start = last, 0
		} else {
			start = next
		}
	}
	return errors.New("listing did not end after " + strconv.Itoa(maxListingPages) + " pages")
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

// zoneBook remembers the time-zone offset of a server's timestamps. CQL and
// JQL read dates in the user's time zone, which is the server's unless the
// user changed it; formatting the watermark in the zone of the server's own
// timestamps keeps the overlap small.
type zoneBook struct {
	mu  sync.Mutex
	off int
	set bool
}

// get returns the learned zone, UTC when none was learned yet.
func (z *zoneBook) get() *time.Location {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.set {
		return time.UTC
	}
	return time.FixedZone("", z.off)
}

// learn records the offset of a timestamp the server sent.
func (z *zoneBook) learn(t time.Time) {
	_, off := t.Zone()
	z.mu.Lock()
	z.off, z.set = off, true
	z.mu.Unlock()
}

// encode returns the offset in seconds, "" when none was learned.
func (z *zoneBook) encode() string {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.set {
		return ""
	}
	return strconv.Itoa(z.off)
}

// decode restores an offset saved by encode; bad input is ignored.
func (z *zoneBook) decode(s string) {
	off, err := strconv.Atoi(s)
	if err != nil || off < -14*3600 || off > 14*3600 {
		return
	}
	z.mu.Lock()
	z.off, z.set = off, true
	z.mu.Unlock()
}

// batch loads the documents of a group of listed items with one request
// the first time any of them is built; the others wait for it. Workers
// take items in listing order, so a group is built by neighbours. Each
// loaded value is handed out once and then forgotten, so a container's
// bodies do not stay in memory until its sync ends.
type batch[T any] struct {
	once sync.Once
	ids  []string
	load func(ctx context.Context, ids []string) (map[string]T, error)
	mu   sync.Mutex
	got  map[string]T
	err  error
}

// get returns the loaded value of id and whether the load returned it. The
// first caller's time is the fetch time of the whole group.
func (b *batch[T]) get(ctx context.Context, id string, st *Stages) (T, bool, error) {
	b.once.Do(func() {
		t0 := time.Now()
		got, err := b.load(ctx, b.ids)
		st.Fetch += time.Since(t0)
		st.requests++
		b.mu.Lock()
		b.got, b.err = got, err
		b.mu.Unlock()
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.got[id]
	delete(b.got, id)
	return v, ok, b.err
}
