package ql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchIssue is a Record with its text index cached, as the simulator should keep it.
type benchIssue struct {
	project, key []string
	updated      time.Time
	text         string
	index        *TextIndex
}

func (b *benchIssue) Values(f string) []string {
	switch f {
	case "project":
		return b.project
	case "key":
		return b.key
	}
	return nil
}

func (b *benchIssue) Time(f string) (time.Time, bool) {
	if f == "updated" {
		return b.updated, true
	}
	return time.Time{}, false
}

func (b *benchIssue) Text(string) string { return b.text }

func (b *benchIssue) TextIndex(string) *TextIndex { return b.index }

// uncached hides TextIndex, so Match analyses Text on every call.
type uncached struct{ *benchIssue }

func (u uncached) TextIndex(string) *TextIndex { return nil }

var benchWords = strings.Fields(`the server database index page words two query replication backup
	restore vacuum table column row lock transaction commit rollback checkpoint wal archive standby
	primary replica connection pool timeout error warning log config parameter memory disk cpu`)

func benchIssues(n int) []*benchIssue {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC)
	out := make([]*benchIssue, n)
	for i := range out {
		var sb strings.Builder
		for w := 0; w < 60; w++ {
			sb.WriteString(benchWords[rng.IntN(len(benchWords))])
			sb.WriteByte(' ')
		}
		p := fmt.Sprintf("P%d", i%20)
		b := &benchIssue{project: []string{p}, key: []string{fmt.Sprintf("%s-%d", p, i)}, text: sb.String(),
			updated: base.Add(-time.Duration(rng.IntN(30*24*60)) * time.Minute)}
		b.index = IndexText(b.text)
		out[i] = b
	}
	return out
}

// BenchmarkMatch measures one pass of a query over 100k records (ns/op is per pass).
func BenchmarkMatch(b *testing.B) {
	recs := benchIssues(100_000)
	env := Env{Now: time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC)}
	run := func(b *testing.B, query string, wrap func(*benchIssue) Record, texts ...*TextCache) {
		q, err := Parse(JQL, query)
		if err != nil {
			b.Fatal(err)
		}
		rs := make([]Record, len(recs))
		for i, r := range recs {
			rs[i] = wrap(r)
		}
		env := env
		if len(texts) > 0 {
			env.Texts = texts[0]
			for _, r := range rs { // fill the cache: steady state is what is measured
				q.Match(r, env)
			}
		}
		b.ResetTimer()
		hits := 0
		for b.Loop() {
			var out []Record
			for _, r := range rs {
				if q.Match(r, env) {
					out = append(out, r)
				}
			}
			if terms := q.OrderBy(); len(terms) > 0 {
				slices.SortFunc(out, func(x, y Record) int { return Compare(x, y, terms) })
			}
			hits = len(out)
		}
		b.ReportMetric(float64(hits), "hits")
	}
	cached := func(r *benchIssue) Record { return r }
	b.Run("project-updated-order", func(b *testing.B) {
		run(b, `project = P3 AND updated >= "-1d" ORDER BY updated ASC`, cached)
	})
	b.Run("text-two-words", func(b *testing.B) { run(b, `text ~ "two words"`, cached) })
	b.Run("text-phrase", func(b *testing.B) { run(b, `text ~ "\"two words\""`, cached) })
	b.Run("text-two-words-textcache", func(b *testing.B) {
		run(b, `text ~ "two words"`, func(r *benchIssue) Record { return uncached{r} }, NewTextCache(200_000))
	})
	b.Run("text-two-words-uncached", func(b *testing.B) {
		run(b, `text ~ "two words"`, func(r *benchIssue) Record { return uncached{r} })
	})
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(JQL, `project = ABC AND updated >= "-1d" AND status not in (Done, Closed) ORDER BY updated ASC, key ASC`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexText measures building the index of a 60-word text (B/op is its memory).
func BenchmarkIndexText(b *testing.B) {
	text := benchIssues(1)[0].text
	for b.Loop() {
		IndexText(text)
	}
}
