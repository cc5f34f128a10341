package indexer

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeListing serves a sorted listing the way the servers do: items at or
// after a lower bound given at minute precision (a quoted CQL date read in
// loc, or JQL's epoch milliseconds), paged by offset.
type fakeListing struct {
	times    []time.Time // sorted
	pageSize int
	loc      *time.Location // the zone the server reads dates in
	shuffle  bool           // answer pages in descending order (order ignored)
	calls    int
}

func (f *fakeListing) readBound(lower string) (time.Time, error) {
	if ms, err := strconv.ParseInt(lower, 10, 64); err == nil {
		return time.UnixMilli(ms).Truncate(time.Minute), nil
	}
	return time.ParseInLocation(cqlTimeLayout, strings.Trim(lower, `"`), f.loc)
}

func (f *fakeListing) page(lower string, start int) ([]time.Time, bool, int, error) {
	f.calls++
	var match []time.Time
	for _, t := range f.times {
		if lower != "" {
			lb, err := f.readBound(lower)
			if err != nil {
				return nil, false, 0, err
			}
			if t.Truncate(time.Minute).Before(lb) {
				continue
			}
		}
		match = append(match, t)
	}
	if f.shuffle {
		slices.Reverse(match)
	}
	if start >= len(match) {
		return nil, false, 0, nil
	}
	end := min(start+f.pageSize, len(match))
	return match[start:end], end < len(match), end, nil
}

func TestKeyset(t *testing.T) {
	base := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	spread := func(n int, step time.Duration) []time.Time {
		out := make([]time.Time, n)
		for i := range out {
			out[i] = base.Add(time.Duration(i) * step)
		}
		return out
	}
	plus2, minus11 := time.FixedZone("", 2*3600), time.FixedZone("", -11*3600)
	for _, tc := range []struct {
		name    string
		times   []time.Time
		since   time.Time
		bound   bound
		reader  *time.Location // the zone the server reads CQL dates in
		shuffle bool
		want    int // distinct items expected
		pages   int // most pages the listing may take
	}{
		{name: "spread over many minutes", times: spread(1000, 17*time.Second), bound: jqlBound, want: 1000},
		{name: "all in one minute, more than a page", times: spread(450, 0), bound: jqlBound, want: 450},
		{name: "since in the middle", times: spread(300, time.Minute), since: base.Add(100 * time.Minute), bound: jqlBound, want: 200},
		{name: "cql bound in the known zone", times: spread(300, time.Minute), since: base.Add(100 * time.Minute), bound: cqlBound(plus2), reader: plus2, want: 200, pages: 6},
		{name: "cql bound, zone unknown, read far west", times: spread(300, time.Minute), since: base.Add(100 * time.Minute), bound: cqlBound(nil), reader: minus11, want: 200, pages: 6},
		{name: "margin wider than a page", times: spread(1000, 30*time.Second), bound: cqlBound(nil), reader: time.UTC, want: 1000, pages: 12},
		{name: "order not honoured: offset paging", times: spread(500, 7*time.Second), bound: jqlBound, shuffle: true, want: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeListing{times: tc.times, pageSize: 100, loc: tc.reader, shuffle: tc.shuffle}
			seen := map[time.Time]int{}
			err := keyset(tc.since, tc.bound, func(lower string, start int) ([]time.Time, bool, int, error) {
				ts, more, next, err := f.page(lower, start)
				for _, x := range ts {
					seen[x]++
				}
				return ts, more, next, err
			})
			if err != nil {
				t.Fatal(err)
			}
			distinct := 0
			for _, x := range tc.times {
				if !x.Before(tc.since.Truncate(time.Minute)) {
					if seen[x] == 0 {
						t.Fatalf("item at %s never listed", x)
					}
					distinct++
				}
			}
			if distinct != tc.want {
				t.Errorf("%d items expected in range, test wants %d", distinct, tc.want)
			}
			most := tc.pages
			if most == 0 {
				most = 3*len(tc.times)/f.pageSize + 3
			}
			if f.calls > most {
				t.Errorf("%d pages requested for %d items, want at most %d", f.calls, len(tc.times), most)
			}
		})
	}
}

func TestKeysetStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	err := keyset(time.Time{}, jqlBound, func(string, int) ([]time.Time, bool, int, error) { return nil, false, 0, boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

// A CQL bound must never be read later than the instant it stands for,
// whatever the account's zone, across daylight-saving changes.
func TestCQLBoundNeverLate(t *testing.T) {
	var zones []*time.Location
	for _, name := range []string{"UTC", "Europe/London", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "Australia/Lord_Howe", "Asia/Kathmandu"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("zone database lacks %s: %v", name, err)
		}
		zones = append(zones, loc)
	}
	// Every quarter hour around the 2024 changes in Europe, America and Australia.
	var instants []time.Time
	for _, day := range []time.Time{time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 27, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 3, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 6, 0, 0, 0, 0, time.UTC)} {
		for m := -24 * 60; m < 48*60; m += 15 {
			instants = append(instants, day.Add(time.Duration(m)*time.Minute))
		}
	}
	for _, reader := range zones {
		for _, known := range []*time.Location{nil, reader} {
			b := cqlBound(known)
			for _, at := range instants {
				lit := strings.Trim(b.write(at), `"`)
				// A wall time in a repeated hour names two instants; the
				// server may take either, so check the later one.
				read, err := time.ParseInLocation(cqlTimeLayout, lit, reader)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range []time.Duration{0, time.Hour} {
					alt := read.Add(d)
					if alt.In(reader).Format(cqlTimeLayout) == lit && alt.After(at) {
						t.Fatalf("reader %s, known %v: bound for %s is %s, read as %s", reader, known != nil, at, lit, alt)
					}
				}
			}
		}
	}
}

func TestDedupeKeepsNewest(t *testing.T) {
	t0 := time.Unix(100, 0)
	items := dedupe([]item{{id: "a", updated: t0}, {id: "b", updated: t0}, {id: "a", updated: t0.Add(time.Minute)}})
	if len(items) != 2 || items[0].id != "a" || !items[0].updated.Equal(t0.Add(time.Minute)) {
		t.Errorf("dedupe = %+v", items)
	}
}

func TestBatchLoadsOnceAndForgets(t *testing.T) {
	loads := 0
	b := &batch[string]{ids: []string{"1", "2"}, load: func(_ context.Context, ids []string) (map[string]string, error) {
		loads++
		return map[string]string{"1": "one", "2": "two"}, nil
	}}
	var st Stages
	if v, ok, err := b.get(context.Background(), "1", &st); v != "one" || !ok || err != nil {
		t.Fatalf("get 1 = %q %v %v", v, ok, err)
	}
	if v, ok, _ := b.get(context.Background(), "2", &st); v != "two" || !ok {
		t.Fatalf("get 2 = %q %v", v, ok)
	}
	// A value is handed out once: the batch keeps no body alive after.
	if _, ok, _ := b.get(context.Background(), "1", &st); ok || len(b.got) != 0 {
		t.Errorf("value handed out twice, or kept (%d left)", len(b.got))
	}
	if loads != 1 || st.requests != 1 {
		t.Errorf("%d loads, %d requests counted; want 1 and 1", loads, st.requests)
	}
}

// TestBatchLoadsTheNextGroupsAhead: the first get of a group starts the
// loads of the loadAhead groups after it in the background, and of no
// more; each load's request is counted once, by the first get of its group.
func TestBatchLoadsTheNextGroupsAhead(t *testing.T) {
	const groups = loadAhead + 2
	var loads [groups]atomic.Int32
	loaded := make(chan int, groups)
	var all []*batch[string]
	var b *batch[string]
	for g := range groups {
		b = b.then(&batch[string]{ids: []string{strconv.Itoa(g)}, load: func(_ context.Context, ids []string) (map[string]string, error) {
			loads[g].Add(1)
			loaded <- g
			return map[string]string{ids[0]: "doc " + ids[0]}, nil
		}})
		all = append(all, b)
	}
	ctx := context.Background()
	var st Stages
	if v, ok, err := all[0].get(ctx, "0", &st); v != "doc 0" || !ok || err != nil {
		t.Fatalf("get 0 = %q %v %v", v, ok, err)
	}
	for range 1 + loadAhead {
		select {
		case g := <-loaded:
			if g > loadAhead {
				t.Fatalf("group %d loaded before group %d was asked for", g, g-loadAhead)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the next groups were not loaded ahead")
		}
	}
	if loads[groups-1].Load() != 0 {
		t.Fatalf("group %d loaded more than %d groups ahead", groups-1, loadAhead)
	}
	for g := 1; g < groups; g++ {
		id := strconv.Itoa(g)
		if v, ok, _ := all[g].get(ctx, id, &st); v != "doc "+id || !ok {
			t.Fatalf("get %d = %q %v", g, v, ok)
		}
	}
	for g := range loads {
		if n := loads[g].Load(); n != 1 {
			t.Errorf("group %d loaded %d times", g, n)
		}
	}
	if st.requests != groups {
		t.Errorf("%d requests counted for %d loads", st.requests, groups)
	}
}
