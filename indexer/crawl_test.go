package indexer

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// fakeListing serves a sorted listing the way the servers do: items at or
// after a lower bound given at minute precision, paged by offset.
type fakeListing struct {
	times    []time.Time // sorted
	pageSize int
	loc      *time.Location
	layout   string
	shuffle  bool // answer pages in descending order (order ignored)
	calls    int
}

func (f *fakeListing) page(lower string, start int) ([]time.Time, bool, int, error) {
	f.calls++
	var match []time.Time
	for _, t := range f.times {
		if lower != "" {
			lb, err := time.ParseInLocation(f.layout, lower, f.loc)
			if err != nil {
				return nil, false, 0, err
			}
			if t.Before(lb) {
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
	plus2 := time.FixedZone("", 2*3600)
	for _, tc := range []struct {
		name    string
		times   []time.Time
		since   time.Time
		loc     *time.Location
		shuffle bool
		want    int // distinct items expected
	}{
		{name: "spread over many minutes", times: spread(1000, 17*time.Second), loc: time.UTC, want: 1000},
		{name: "all in one minute, more than a page", times: spread(450, 0), loc: time.UTC, want: 450},
		{name: "since in the middle", times: spread(300, time.Minute), since: base.Add(100 * time.Minute), loc: time.UTC, want: 200},
		{name: "bound written in the server's zone", times: spread(300, time.Minute), since: base.Add(100 * time.Minute), loc: plus2, want: 200},
		{name: "order not honoured: offset paging", times: spread(500, 7*time.Second), loc: time.UTC, shuffle: true, want: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeListing{times: tc.times, pageSize: 100, loc: tc.loc, layout: cqlTimeLayout, shuffle: tc.shuffle}
			seen := map[time.Time]int{}
			err := keyset(tc.since, tc.loc, func(lower string, start int) ([]time.Time, bool, int, error) {
				ts, more, next, err := f.page(lower, start)
				for _, x := range ts {
					seen[x]++
				}
				return ts, more, next, err
			}, cqlTimeLayout)
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
			if f.calls > 3*len(tc.times)/f.pageSize+3 {
				t.Errorf("%d pages requested for %d items", f.calls, len(tc.times))
			}
		})
	}
}

func TestKeysetStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	err := keyset(time.Time{}, time.UTC, func(string, int) ([]time.Time, bool, int, error) { return nil, false, 0, boom }, cqlTimeLayout)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestZoneBook(t *testing.T) {
	var z zoneBook
	if z.get() != time.UTC || z.encode() != "" {
		t.Error("an empty zone book must answer UTC")
	}
	ts, _ := time.Parse("2006-01-02T15:04:05.000-0700", "2024-06-01T10:00:00.000+0530")
	z.learn(ts)
	var back zoneBook
	back.decode(z.encode())
	if _, off := time.Date(2024, 1, 1, 0, 0, 0, 0, back.get()).Zone(); off != 5*3600+1800 {
		t.Errorf("offset after encode/decode = %d", off)
	}
	back.decode("banana")
	back.decode("99999999")
	if _, off := time.Now().In(back.get()).Zone(); off != 5*3600+1800 {
		t.Error("bad input replaced a learned offset")
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
