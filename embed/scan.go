package embed

import (
	"context"
	"iter"
	"runtime"
	"slices"
	"sync"
)

// scanBatch is a batch of texts of Fit's counting pass and what the
// workers found in them.
type scanBatch struct {
	texts   []string
	words   []string // the stems of every text (stop words left out), in order
	wordEnd []int    // text i's stems are words[wordEnd[i-1]:wordEnd[i]]
	buckets []uint32 // text i's distinct hashed-feature buckets, sorted
	buckEnd []int
	hashes  []uint64 // hashString(0, text)
	done    chan struct{}
}

// scanBatchSize is how many texts a worker takes at a time.
const scanBatchSize = 64

// maxScanWorkers bounds the workers of the counting pass: past a few of
// them the in-order counting on one goroutine is what they wait for. Each
// keeps a stemCache of its own, of its share of maxStemCache, so that the
// fit's memory does not grow with the number of cores.
const maxScanWorkers = 4

// scanTexts ranges over texts once and calls fn, in the order of texts and
// on the calling goroutine, with each text's stems, the distinct buckets of
// its hashed features (none unless buckets is set) and its hash.
// Tokenizing and hashing, the bulk of the work, run on every core; fn sees
// exactly what a loop on one core would give it. It returns the number of
// texts, or ctx's error.
func scanTexts(ctx context.Context, fc featureConfig, buckets bool, texts iter.Seq[string],
	fn func(words []string, buckets []uint32, hash uint64)) (int, error) {
	workers := min(max(runtime.GOMAXPROCS(0), 1), maxScanWorkers)
	jobs := make(chan *scanBatch)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := stemCache{}
			var toks []token
			var feats []feature
			var seen []uint32
			for b := range jobs {
				for _, text := range b.texts {
					toks = tokenizeUpTo(text, toks[:0], cache, maxStemCache/workers)
					for _, t := range toks {
						if t.stem != "" {
							b.words = append(b.words, t.stem)
						}
					}
					b.wordEnd = append(b.wordEnd, len(b.words))
					if buckets {
						feats = extractFeatures(fc, toks, nil, feats)
						seen = seen[:0]
						for _, f := range feats {
							seen = append(seen, uint32(f.hash%idfBuckets))
						}
						slices.Sort(seen)
						b.buckets = append(b.buckets, slices.Compact(seen)...)
					}
					b.buckEnd = append(b.buckEnd, len(b.buckets))
					b.hashes = append(b.hashes, hashString(0, text))
				}
				close(b.done)
			}
		}()
	}
	var inflight []*scanBatch // sent to the workers, in order
	var free []*scanBatch
	consume := func() {
		b := inflight[0]
		inflight = inflight[1:]
		<-b.done
		w, k := 0, 0
		for i := range b.texts {
			fn(b.words[w:b.wordEnd[i]], b.buckets[k:b.buckEnd[i]], b.hashes[i])
			w, k = b.wordEnd[i], b.buckEnd[i]
		}
		clear(b.texts) // let the texts go
		clear(b.words)
		b.texts, b.words, b.wordEnd = b.texts[:0], b.words[:0], b.wordEnd[:0]
		b.buckets, b.buckEnd, b.hashes = b.buckets[:0], b.buckEnd[:0], b.hashes[:0]
		free = append(free, b)
	}
	next := func() *scanBatch {
		if len(free) == 0 {
			return &scanBatch{texts: make([]string, 0, scanBatchSize)}
		}
		b := free[len(free)-1]
		free = free[:len(free)-1]
		return b
	}
	send := func(b *scanBatch) {
		b.done = make(chan struct{})
		jobs <- b
		inflight = append(inflight, b)
		if len(inflight) > 2*workers {
			consume()
		}
	}
	n := 0
	var err error
	cur := next()
	for text := range texts {
		cur.texts = append(cur.texts, text)
		n++
		if len(cur.texts) < scanBatchSize {
			continue
		}
		if err = ctx.Err(); err != nil {
			break
		}
		send(cur)
		cur = next()
	}
	if err == nil && len(cur.texts) > 0 {
		send(cur)
	}
	close(jobs)
	for len(inflight) > 0 {
		if err != nil {
			<-inflight[0].done
			inflight = inflight[1:]
			continue
		}
		consume()
	}
	wg.Wait()
	if err != nil {
		return 0, err
	}
	return n, ctx.Err()
}
